/**
 * Forwarding (issue #21): a message given to a leased connection by key reaches it in the
 * process that runs it, once, in order; written with the sender's writes when it runs
 * elsewhere, handed to the next holder when the lease moves, retried and finally kept as a
 * dead letter when its delivery keeps failing.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ForwardQueue, LocalConnectionLeases, connectionLeaseKey } from '../../src/cluster/index.js';
import { UnitOfWork } from '../../src/inbox/index.js';
import { silentLogger } from '../../src/log/logger.js';
import type { DeliveryAttempt, LeasedConnection } from '../../src/plugin/leases.js';
import { Store } from '../../src/store/index.js';
import { waitFor } from '../helpers/net.js';
import { useClusterMembers } from './member.js';

const BOT = connectionLeaseKey('irc', 'bot');

/** A connection that records what it is given (and may refuse it). */
function recorder(got: unknown[], refuse: (message: unknown, attempt: DeliveryAttempt) => boolean = () => false): LeasedConnection<unknown> {
  return {
    start: () => undefined,
    stop: () => undefined,
    deliver: async (message, attempt) => {
      if (refuse(message, attempt)) throw new Error('the remote network is down');
      got.push(message);
    },
  };
}

describe('cluster: forwarding to leased connections', function () {
  this.timeout(60_000);
  const { join, forget } = useClusterMembers();

  it('commits a handler\'s message with its writes and wakes the holder in another process, which delivers it once and deletes it', async () => {
    // No poll and no lease retry to speak of: only the NOTIFY sent by the commit can wake the holder.
    const a = await join({ forwardPollMs: 60_000 });
    const b = await join({ forwardPollMs: 60_000, retryMs: 60_000 });
    const got: unknown[] = [];
    a.leases.forPlugin('irc').run('bot', recorder(got));
    await waitFor(() => a.leases.holding.includes(BOT), 10_000, 'a to hold the bot');
    const work = new UnitOfWork();
    await b.leases.forward(BOT, { text: 'hello' }, { work, seq: 41, n: 0, attempt: 1, lastAttempt: false });
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(got, [], 'nothing delivered before the handler\'s writes commit');
    const queue = new ForwardQueue(b.store);
    assert.deepEqual([...(await queue.backlog()).keys()], [], 'nothing in the store before the commit either');
    await b.store.write(work.ops);
    await waitFor(() => got.length === 1, 10_000, 'a to deliver the message');
    assert.deepEqual(got, [{ text: 'hello' }]);
    await waitFor(async () => (await queue.backlog()).size === 0, 10_000, 'the delivered message to be deleted');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(got.length, 1, 'delivered once');
  });

  it('delivers in the holder\'s own process at once, awaited; a throw reaches the sender and nothing is written', async () => {
    const a = await join();
    const got: unknown[] = [];
    let down = false;
    a.leases.forPlugin('irc').run('bot', recorder(got, () => down));
    await waitFor(() => a.leases.holding.includes(BOT), 10_000, 'a to hold the bot');
    await a.leases.forPlugin('irc').send('bot', { n: 1, at: new Date(0) });
    assert.deepEqual(got, [{ n: 1, at: '1970-01-01T00:00:00.000Z' }], 'delivered before send resolved, as JSON');
    down = true;
    await assert.rejects(a.leases.forPlugin('irc').send('bot', { n: 2 }), /the remote network is down/);
    await assert.rejects(a.leases.forPlugin('irc').send('bot', { n: 3n }), /not JSON/);
    assert.equal((await new ForwardQueue(a.store).backlog()).size, 0);
  });

  it('keeps messages for a connection nobody runs, and hands what one holder could not deliver to the next, in order', async () => {
    const a = await join({ maxAttempts: 1_000 });
    const queue = new ForwardQueue(a.store);
    // Nobody runs the bot yet: the messages wait in the store.
    for (let n = 1; n <= 3; n++) await a.leases.forPlugin('irc').send('bot', { n });
    assert.deepEqual([...(await queue.backlog()).entries()].map(([k, v]) => [k, v.count]), [[BOT, 3]]);
    // a runs it, but the network refuses everything: retried, kept in order, nothing lost.
    const refusedAt: unknown[] = [];
    a.leases.forPlugin('irc').run('bot', recorder([], (m) => { refusedAt.push(m); return true; }));
    await waitFor(() => refusedAt.length >= 3, 10_000, 'a to try (and fail) a few times');
    assert.ok(refusedAt.every((m) => JSON.stringify(m) === '{"n":1}'), 'the first message blocks the ones behind it');
    for (let n = 4; n <= 5; n++) await a.leases.forPlugin('irc').send('bot', { n });
    const got: unknown[] = [];
    const b = await join();
    b.leases.forPlugin('irc').run('bot', recorder(got));
    forget(a);
    await a.stop();
    await waitFor(() => got.length === 5, 10_000, 'b to take the lease and deliver everything');
    assert.deepEqual(got, [1, 2, 3, 4, 5].map((n) => ({ n })));
    await waitFor(async () => (await new ForwardQueue(b.store).backlog()).size === 0, 10_000, 'the store emptied');
  });

  it('tries a failing delivery again, then keeps it as a dead letter; a message its schema refuses is a dead letter at once', async () => {
    const a = await join({ maxAttempts: 3 });
    const attempts: DeliveryAttempt[] = [];
    const got: unknown[] = [];
    a.leases.forPlugin('irc').run('bot', {
      start: () => undefined,
      stop: () => undefined,
      messages: z.object({ text: z.string() }),
      deliver: async (message, attempt) => {
        if (message.text === 'doomed') {
          attempts.push(attempt);
          throw new Error('refused by the server');
        }
        got.push(message);
      },
    });
    await waitFor(() => a.leases.holding.includes(BOT), 10_000, 'a to hold the bot');
    const b = await join();
    for (const m of [{ text: 'doomed' }, { text: 42 }, { text: 'fine' }]) await b.leases.forPlugin('irc').send('bot', m);
    await waitFor(() => got.length === 1, 10_000, 'the message behind the failing ones to be delivered');
    assert.deepEqual(got, [{ text: 'fine' }]);
    assert.deepEqual(attempts, [{ attempt: 1, lastAttempt: false }, { attempt: 2, lastAttempt: false }, { attempt: 3, lastAttempt: true }]);
    const dead = await new ForwardQueue(a.store).deadLetters();
    const summary = dead.map((d) => [d.letter.m, d.letter.attempts, d.letter.error]).sort((x, y) => Number(y[1]) - Number(x[1]));
    assert.deepEqual(summary, [[{ text: 'doomed' }, 3, 'refused by the server'], [{ text: 42 }, 0, summary[1]![2]]]);
    assert.match(String(summary[1]![2]), /^invalid: text: /);
    assert.equal((await new ForwardQueue(a.store).backlog()).size, 0);
  });
});

describe('one process: forwarding to leased connections', () => {
  let dir: string;
  let store: Store;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bridgekit-forward-'));
    store = await Store.open(join(dir, 'store'));
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('delivers at once while the connection runs, and keeps what comes before it runs for its start', async () => {
    const leases = new LocalConnectionLeases(silentLogger(), 20, { store, options: { maxAttempts: 3, retryBaseMs: 10, retryMaxMs: 50, pollMs: 60_000 } });
    const plugin = leases.forPlugin('irc');
    await plugin.send('login:1', { n: 1 });
    const work = new UnitOfWork();
    await leases.forward(connectionLeaseKey('irc', 'login:1'), { n: 2 }, { work, seq: 7, n: 0, attempt: 1, lastAttempt: false });
    await store.write(work.ops);
    const got: unknown[] = [];
    plugin.run('login:1', recorder(got));
    await waitFor(() => got.length === 2, 5_000, 'what waited to be delivered at the start');
    // Waiting messages go in order: the handler's (by its item) before the one sent outside handlers.
    assert.deepEqual(got, [{ n: 2 }, { n: 1 }]);
    await waitFor(async () => (await new ForwardQueue(store).backlog()).size === 0, 5_000, 'the store emptied');
    await plugin.send('login:1', { n: 3 });
    assert.deepEqual(got.at(-1), { n: 3 }, 'delivered at once, awaited');
    plugin.run('quiet', { start: () => undefined, stop: () => undefined });
    await assert.rejects(plugin.send('quiet', { n: 4 }), /conn:irc:quiet takes no forwarded messages/);
    await leases.close();
  });
});
