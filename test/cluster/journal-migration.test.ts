import assert from 'node:assert/strict';
import pg from 'pg';
import { parseTransaction } from '../../src/events/index.js';
import type { RoomEvent } from '../../src/events/types.js';
import type { ItemHandler } from '../../src/inbox/index.js';
import { singleItemBody } from '../../src/inbox/record.js';
import { MIGRATIONS } from '../../src/store/postgres/migrations.js';
import { storeTables } from '../../src/store/index.js';
import { makeEvent } from '../helpers/events.js';
import { waitFor } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { joinCluster, type ClusterMember } from './member.js';

describe('cluster: the shared journal, one row per transaction with per-lane watermarks (migration 3)', function () {
  this.timeout(60_000);
  const server = usePgServer();
  const members: ClusterMember[] = [];
  afterEach(async () => {
    for (const m of members.splice(0)) await m.stop();
  });

  const recorder = (): { seen: string[]; handler: ItemHandler } => {
    const seen: string[] = [];
    return { seen, handler: async (item) => {
      if (item.kind === 'event') seen.push(item.event.event_id);
    } };
  };

  it('carries the unhandled items of a migration-2 journal over, each handled once and in order; the handled ones stay handled', async () => {
    const schema = server.schema();
    const t = storeTables(schema);
    const a = [makeEvent('!a:localhost'), makeEvent('!a:localhost'), makeEvent('!a:localhost')];
    const b = makeEvent('!b:localhost');
    const pool = new pg.Pool({ connectionString: server.url() });
    try {
      // A store at migration 2 whose cluster handled a[1] (its row deleted, its id kept) and left a[0], a[2], b.
      await pool.query(`CREATE SCHEMA ${t.quotedSchema}; CREATE TABLE ${t.migrations} (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      for (const step of MIGRATIONS.filter((m) => m.version <= 2)) {
        await pool.query(step.sql(t));
        await pool.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [step.version, step.name]);
      }
      const left: Array<[number, RoomEvent]> = [[0, a[0]!], [2, a[2]!], [3, b]];
      for (const [seq, event] of left) {
        await pool.query(`INSERT INTO ${t.inbox} (seq, lane, txn_id, received_at, item) VALUES ($1, $2, 'old', $3, $4)`,
          [seq, event.room_id, Date.now(), singleItemBody({ kind: 'event', event })]);
      }
      for (const event of [...a, b]) await pool.query(`INSERT INTO ${t.inboxIds} (item_id, received_at) VALUES ($1, $2)`, [event.event_id, Date.now()]);
      await pool.query(`UPDATE ${t.inboxCounter} SET next = 4`);

      const { seen, handler } = recorder();
      const member = await joinCluster(server.url(), schema, { handler });
      members.push(member);
      await waitFor(() => seen.length === 3, 10_000, 'the carried-over items handled');
      assert.deepEqual(seen.filter((id) => id !== b.event_id), [a[0]!.event_id, a[2]!.event_id], 'in order, the handled one not again');
      assert.ok(seen.includes(b.event_id));
      const { rows } = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [t.inbox]);
      assert.equal(rows[0]!.found, null, 'the old table is gone');
      // The homeserver's retry of the old transaction: the dedupe window came over.
      const again = await member.inbox.accept('old', parseTransaction({ events: [...a, b] }));
      assert.equal(again.duplicates, 4);
      await waitFor(async () => (await pool.query(`SELECT 1 FROM ${t.journal}`)).rowCount === 0, 10_000, 'the handled rows pruned');
      assert.equal(seen.length, 3);
    } finally {
      await pool.end();
    }
  });

  it('prunes handled rows, then the watermarks no row needs; a room\'s next items are handled after, and its old ones not again', async () => {
    const schema = server.schema();
    const t = storeTables(schema);
    const { seen, handler } = recorder();
    const member = await joinCluster(server.url(), schema, { handler });
    members.push(member);
    const room = '!prune:localhost';
    const first = [makeEvent(room), makeEvent(room), makeEvent('!other:localhost')];
    await member.inbox.accept('p1', parseTransaction({ events: first }));
    await waitFor(() => seen.length === 3, 10_000, 'the first transaction handled');
    const db = member.store.postgres!;
    const count = async (table: string) => (await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`, []))[0]!.n;
    await waitFor(async () => await count(t.journal) === 0 && await count(t.laneAcks) === 0, 10_000, 'rows and watermarks pruned');
    const second = [makeEvent(room), makeEvent(room)];
    const result = await member.inbox.accept('p2', parseTransaction({ events: [...first, ...second] }));
    assert.equal(result.duplicates, 3);
    await waitFor(() => seen.length === 5, 10_000, 'the new items handled');
    assert.deepEqual(seen.slice(3), second.map((e) => e.event_id));
  });

  it('a lane\'s watermark never moves back: an acknowledgement batched earlier may land after a later item\'s commit', async () => {
    const schema = server.schema();
    const member = await joinCluster(server.url(), schema, {});
    members.push(member);
    const lane = '!order:localhost';
    await member.store.write([], { acks: [{ lane, seq: 7 }, { lane: '!b:localhost', seq: 2 }] });
    await member.store.write([], { acks: [{ lane, seq: 5 }] });
    const rows = await member.store.postgres!.query<{ lane: string; acked: string }>(
      `SELECT lane, acked::text AS acked FROM ${storeTables(schema).laneAcks} ORDER BY lane`, []);
    assert.deepEqual(rows.map((r) => [r.lane, r.acked]), [['!b:localhost', '2'], [lane, '7']]);
  });
});
