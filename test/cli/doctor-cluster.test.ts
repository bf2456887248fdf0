import assert from 'node:assert/strict';
import { checkCluster } from '../../src/cli/doctor-cluster.js';
import { validateConfig, type BridgeConfig } from '../../src/config/index.js';
import { parseTransaction } from '../../src/events/index.js';
import { Store } from '../../src/store/index.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { joinCluster, type ClusterMember } from '../cluster/member.js';
import { ForwardQueue } from '../../src/cluster/index.js';
import { forwardKey } from '../../src/cluster/forward-queue.js';

function configFor(store: Record<string, unknown>, cluster: Record<string, unknown> = {}, encryption: Record<string, unknown> = {}): BridgeConfig {
  return validateConfig({
    homeserver: { url: 'http://127.0.0.1:1', domain: 'localhost' },
    appservice: { id: 'test', url: null, bind: '127.0.0.1', port: 0, registration: 'registration.yaml', bot: 'bot', prefix: '_test_' },
    store, cluster, encryption,
    bridge: { plugin: 'echo' },
    logging: { level: 'silent' },
  }, 'test', '/tmp');
}

describe('doctor: the cluster check', function () {
  this.timeout(60_000);
  const pg = usePgServer();
  let schema: string;
  let store: Store | undefined;
  const members: ClusterMember[] = [];

  beforeEach(() => { schema = pg.schema(); });
  afterEach(async () => {
    for (const m of members.splice(0)) await m.stop();
    await store?.close();
    store = undefined;
  });

  const clusterConfig = () => configFor({ url: pg.url(), schema }, { enabled: true, leaseTtlSeconds: 6, pollSeconds: 1 });

  /** A migrated schema, and SQL on its cluster tables (`$T.processes` …). */
  async function tables(): Promise<(sql: string, params?: unknown[]) => Promise<void>> {
    store = await Store.openPostgres(pg.url(), { schema, shared: true });
    const db = store.postgres!;
    return async (sql, params = []) => {
      await db.query(sql.replace(/\$T\.(\w+)/g, (_m, name: string) => (db.tables as unknown as Record<string, string>)[name]!), params);
    };
  }

  /** An unhandled item of the shared journal (a transaction's row; its id stays in inboxIds). */
  async function item(sql: (s: string, p?: unknown[]) => Promise<void>, seq: number, lane: string, ageMs: number): Promise<void> {
    await sql(`INSERT INTO $T.journal (last, txn_id, received_at, seqs, lanes, items) VALUES ($1, 't', $3, ARRAY[$1::bigint], ARRAY[$2::text], ARRAY[$4::bytea])`,
      [seq, lane, Date.now() - ageMs, Buffer.from('{}')]);
    await sql(`INSERT INTO $T.inboxIds (item_id, received_at) VALUES ($1, $2)`, [`$item${seq}`, Date.now() - ageMs]);
  }

  it('is skipped on a Level store, and on PostgreSQL with cluster mode off and empty tables', async () => {
    assert.deepEqual(await checkCluster(configFor({ path: '/tmp/nowhere' })), { name: 'cluster', status: 'skip', detail: 'the store is Level: one process' });
    await tables();
    const result = await checkCluster(configFor({ url: pg.url(), schema }));
    assert.equal(result.status, 'skip');
    assert.match(result.detail, /cluster mode is off and the cluster tables are empty/);
  });

  it('lists live processes with their leases, expired rows, the backlog, and fails on lanes nobody has taken for long', async () => {
    const sql = await tables();
    await sql(`INSERT INTO $T.processes (id, expires_at) VALUES ('host:1:live', now() + interval '4 seconds'), ('host:2:dead', now() - interval '3 seconds')`);
    await sql(`INSERT INTO $T.leases (key, owner) VALUES ('!a:x', 'host:1:live'), ('conn:irc:bot', 'host:1:live'), ('!b:x', 'host:2:dead')`);
    await item(sql, 0, '!a:x', 1_000);
    await item(sql, 1, '!b:x', 2_000);
    await item(sql, 2, '!c:x', 120_000);
    await item(sql, 3, '!c:x', 60_000);
    // Handled long ago: only its id is left.
    await sql(`INSERT INTO $T.inboxIds (item_id, received_at) VALUES ('$handled', $1)`, [Date.now() - 500_000]);
    // Handled, its row not pruned yet: its lane's watermark is past it.
    await item(sql, 4, '!d:x', 300_000);
    await sql(`INSERT INTO $T.laneAcks (lane, acked) VALUES ('!d:x', 4)`);
    const result = await checkCluster(clusterConfig());
    assert.equal(result.status, 'fail', JSON.stringify(result));
    assert.match(result.detail, /^1 live process\(es\), 1 lane lease\(s\), 1 connection lease\(s\), 4 unhandled item\(s\); 1 lane\(s\) with items no process takes, the oldest waiting 120 s$/);
    const notes = result.notes!.join('\n');
    assert.match(notes, /^process host:1:live: heartbeat 2\.\d s ago, 1 lane lease\(s\), 1 connection lease\(s\)$/m);
    assert.match(notes, /^process host:2:dead: EXPIRED 3\.\d s ago, not reaped yet, still holding 1 lane\(s\) and 0 connection\(s\)$/m);
    assert.match(notes, /^shared journal: 4 unhandled item\(s\), the oldest received 120 s ago$/m);
    assert.match(notes, /^lanes with unhandled items and no lease: 1\n {2}!c:x: 2 item\(s\), the oldest 120 s old$/m);
  });

  it('passes with a young unleased lane (a process claims it at its next poll), warns on expired rows left unreaped and on work with no process', async () => {
    const sql = await tables();
    await sql(`INSERT INTO $T.processes (id, expires_at) VALUES ('host:1:live', now() + interval '6 seconds')`);
    await item(sql, 0, '!new:x', 200);
    const young = await checkCluster(clusterConfig());
    assert.equal(young.status, 'pass', JSON.stringify(young));
    assert.match(young.notes!.join('\n'), /!new:x: 1 item\(s\)/);

    await sql(`INSERT INTO $T.processes (id, expires_at) VALUES ('host:2:gone', now() - interval '5 minutes')`);
    await sql(`INSERT INTO $T.leases (key, owner) VALUES ('!new:x', 'host:1:live')`);
    const stale = await checkCluster(clusterConfig());
    assert.equal(stale.status, 'warn', JSON.stringify(stale));
    assert.match(stale.detail, /1 process row\(s\) expired 300 s ago and not reaped/);

    await sql(`DELETE FROM $T.processes WHERE id = 'host:1:live'`);
    const nobody = await checkCluster(clusterConfig());
    assert.equal(nobody.status, 'warn');
    assert.match(nobody.detail, /^no live process: 1 item\(s\) wait, 1 expired process row\(s\) wait to be reaped$/);
    assert.match(nobody.advice!, /start a bridge process/);
  });

  it('with encryption, names the process that holds the crypto device (the leader), or says none does', async () => {
    const sql = await tables();
    const config = configFor({ url: pg.url(), schema }, { enabled: true }, { enabled: true });
    await sql(`INSERT INTO $T.processes (id, expires_at) VALUES ('host:1:lead', now() + interval '5 seconds'), ('host:2:standby', now() + interval '5 seconds')`);
    const none = await checkCluster(config);
    assert.match(none.notes!.join('\n'), /^crypto device: held by no process now \(no leader/m);
    await sql(`INSERT INTO $T.leases (key, owner) VALUES ('leader', 'host:1:lead')`);
    const held = await checkCluster(config);
    assert.equal(held.status, 'pass', JSON.stringify(held));
    assert.match(held.notes!.join('\n'), /^crypto device: held by process host:1:lead \(placement leader, forced by encryption\.enabled\)$/m);
    // Without encryption nothing is said of a device.
    assert.doesNotMatch((await checkCluster(clusterConfig())).notes!.join('\n'), /crypto device/);
  });

  it('sees two running processes, the rooms each leased and the journal drained', async () => {
    let hold = true;
    const handler = async () => { while (hold) await new Promise((r) => setTimeout(r, 10)); };
    const a = await joinCluster(pg.url(), schema, { handler });
    members.push(a, await joinCluster(pg.url(), schema, { handler }));
    await a.inbox.accept('t1', parseTransaction({ events: [makeEvent('!one:localhost'), makeEvent('!two:localhost')] }));
    const busy = await checkCluster(clusterConfig());
    assert.equal(busy.status, 'pass', JSON.stringify(busy));
    assert.match(busy.detail, /^2 live process\(es\), 2 lane lease\(s\), 0 connection lease\(s\), 2 unhandled item\(s\)$/);
    // Its heartbeat age by its own TTL (1.5 s, recorded in its row), not the config's 6 s.
    assert.match(busy.notes!.join('\n'), new RegExp(`process ${a.inbox.processId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: heartbeat [01]\\.\\d s ago, 2 lane lease\\(s\\)`));
    hold = false;
    await waitFor(async () => (await checkCluster(clusterConfig())).detail.endsWith(', 0 unhandled item(s)'), 10_000, 'the items handled');
  });

  it('shows messages forwarded to connections, and warns about old ones for a connection no process runs', async () => {
    const a = await joinCluster(pg.url(), schema);
    members.push(a);
    await a.leases.forPlugin('irc').send('login:1', { text: 'waits' });
    const young = await checkCluster(clusterConfig());
    assert.equal(young.status, 'pass', JSON.stringify(young));
    assert.ok(young.notes!.includes('forwarded messages: 1 waiting for 1 connection(s)'), JSON.stringify(young.notes));
    assert.match(young.notes!.join('\n'), /conn:irc:login:1: 1 message\(s\), the oldest \d\.\d s old, no process runs it/);
    await new ForwardQueue(a.store).put(forwardKey('conn:irc:login:2', 't1'), { m: {}, at: Date.now() - 60_000 });
    const old = await checkCluster(clusterConfig());
    assert.equal(old.status, 'warn');
    assert.match(old.detail, /messages forwarded to 1 connection\(s\) no process runs, the oldest waiting 60 s$/);
    assert.match(old.notes!.join('\n'), /forwarded messages: 2 waiting for 2 connection\(s\)\n {2}conn:irc:login:2: 1 message\(s\), the oldest 60 s old/);
  });
});
