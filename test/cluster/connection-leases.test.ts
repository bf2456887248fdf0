import assert from 'node:assert/strict';
import { LocalConnectionLeases, connectionLeaseKey } from '../../src/cluster/index.js';
import type { Store } from '../../src/store/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { LeasedConnection } from '../../src/plugin/leases.js';
import { waitFor } from '../helpers/net.js';
import { useClusterMembers } from './member.js';

/** Where each connection runs: key → the members running it now, and every start and stop in order. */
class Ledger {
  readonly running = new Map<string, Set<string>>();
  readonly log: string[] = [];
  /** The most members that ran one key at the same time. */
  most = 0;

  connection(key: string, member: string): LeasedConnection {
    return {
      start: () => {
        const set = this.running.get(key) ?? new Set<string>();
        set.add(member);
        this.running.set(key, set);
        this.most = Math.max(this.most, set.size);
        this.log.push(`start ${key} ${member}`);
      },
      stop: () => {
        this.running.get(key)?.delete(member);
        this.log.push(`stop ${key} ${member}`);
      },
    };
  }

  where(key: string): string[] {
    return [...this.running.get(key) ?? []];
  }
}

describe('cluster: connection leases (ctx.leases)', function () {
  this.timeout(60_000);
  const members = useClusterMembers();
  const join = (retryMs = 200) => members.join({ retryMs });

  async function leaseRows(store: Store): Promise<Array<{ key: string; owner: string }>> {
    return store.postgres!.query(`SELECT key, owner FROM ${store.postgres!.tables.leases} WHERE key LIKE 'conn:%' ORDER BY key`, []);
  }

  it('runs each connection in one process only, and moves it when the holder releases it', async () => {
    const ledger = new Ledger();
    const a = await join();
    const b = await join();
    const aBot = a.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'a'));
    const bBot = b.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'b'));
    a.leases.forPlugin('irc').run('login:1', ledger.connection('login:1', 'a'));
    b.leases.forPlugin('irc').run('login:1', ledger.connection('login:1', 'b'));
    await waitFor(() => ledger.where('bot').length === 1 && ledger.where('login:1').length === 1, 10_000, 'both connections running');
    // Some more rounds of both trying: still one each.
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(ledger.most, 1, 'never two at once');
    const holder = ledger.where('bot')[0]!;
    const rows = await leaseRows(a.store);
    const ownerOf = (key: string) => rows.find((r) => r.key === key)?.owner;
    assert.equal(ownerOf(connectionLeaseKey('irc', 'bot')), (holder === 'a' ? a : b).inbox.processId);
    assert.equal(aBot.running, holder === 'a');
    assert.equal(bBot.running, holder === 'b');

    await (holder === 'a' ? aBot : bBot).release();
    const other = holder === 'a' ? 'b' : 'a';
    await waitFor(() => ledger.where('bot')[0] === other, 10_000, 'the other process to take the connection');
    assert.ok(ledger.log.indexOf(`stop bot ${holder}`) < ledger.log.indexOf(`start bot ${other}`), 'stopped before the other started');
    assert.equal(ledger.most, 1);
  });

  it('hands the connections of a process that stops to another, stopped before its lease goes', async () => {
    const ledger = new Ledger();
    const a = await join();
    a.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'a'));
    await waitFor(() => ledger.where('bot')[0] === 'a', 10_000, 'a runs the bot');
    // A long retry timer: b gets the connection through the wake-up a's stop sends.
    const b = await join(60_000);
    b.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'b'));
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(ledger.where('bot'), ['a']);
    await a.stop();
    await waitFor(() => ledger.where('bot')[0] === 'b', 10_000, 'b to take the connection');
    assert.deepEqual(ledger.log, ['start bot a', 'stop bot a', 'start bot b']);
    assert.deepEqual((await leaseRows(b.store)).map((r) => r.owner), [b.inbox.processId]);
  });

  it('takes the connections of a process whose heartbeat stopped once it is reaped; the reaped one stops them', async () => {
    const ledger = new Ledger();
    const a = await join();
    a.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'a'));
    await waitFor(() => ledger.where('bot')[0] === 'a', 10_000, 'a runs the bot');
    const b = await join();
    b.leases.forPlugin('irc').run('bot', ledger.connection('bot', 'b'));
    // "kill -9" of a's membership: its heartbeat stops (its lease checks go on, as in a stalled process that comes back).
    clearInterval((a.inbox as unknown as { membership: { timer: NodeJS.Timeout } }).membership.timer);
    await waitFor(() => ledger.where('bot').includes('b'), 20_000, 'b to take the connection after the TTL');
    await waitFor(() => !ledger.where('bot').includes('a'), 5_000, 'a to stop its connection');
    assert.deepEqual(ledger.where('bot'), ['b']);
    assert.ok(ledger.log.includes('stop bot a'));
  });

  it('passes a held lease to a connection run again under its key, after the old one stopped', async () => {
    const ledger = new Ledger();
    const a = await join();
    a.leases.forPlugin('irc').run('login:7', ledger.connection('login:7', 'first'));
    await waitFor(() => ledger.where('login:7')[0] === 'first', 10_000, 'the first runs');
    const second = a.leases.forPlugin('irc').run('login:7', ledger.connection('login:7', 'second'));
    await waitFor(() => second.running, 10_000, 'the second runs');
    assert.deepEqual(ledger.log, ['start login:7 first', 'stop login:7 first', 'start login:7 second']);
    assert.equal((await leaseRows(a.store)).length, 1);
    await second.release();
    assert.deepEqual(await leaseRows(a.store), [], 'released: the lease is gone');
    assert.deepEqual(ledger.where('login:7'), []);
  });
});

describe('one process: connection leases', () => {
  it('starts at once, stops on release and when the bridge closes, and tries a failed start again', async () => {
    const ledger = new Ledger();
    const leases = new LocalConnectionLeases(silentLogger(), 20);
    const bot = leases.run('bot', ledger.connection('bot', 'here'));
    assert.deepEqual(ledger.where('bot'), ['here'], 'started synchronously');
    assert.equal(bot.running, true);
    const login = leases.run('login:1', ledger.connection('login:1', 'here'));
    await login.release();
    assert.equal(login.running, false);
    assert.deepEqual(ledger.where('login:1'), []);
    let tries = 0;
    const flaky = leases.run('flaky', {
      start: () => { if (++tries < 3) throw new Error('not yet'); },
      stop: () => undefined,
    });
    await waitFor(() => flaky.running && tries === 3, 5_000, 'a third try to succeed');
    await leases.close();
    assert.deepEqual(ledger.where('bot'), []);
    assert.equal(flaky.running, false);
  });
});
