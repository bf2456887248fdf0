import { parseTransaction } from '../events/index.js';
import type { Logger } from '../log/logger.js';
import { InboxUnavailable, type BridgeInbox } from '../inbox/index.js';
import type { Store } from '../store/index.js';
import { pendingItems } from './shared-journal.js';

const PAGE = 1_000;

/**
 * Items a cluster left unhandled in the shared journal, moved into a one-process bridge's
 * inbox: switching cluster mode off loses nothing. Each item is accepted under its own
 * txnId (so its dedupe id is the one it had: a crash halfway repeats nothing), then its
 * lane's watermark passes it; once all are moved the shared journal is emptied. Returns
 * how many were moved.
 */
export async function importSharedJournal(store: Store, inbox: BridgeInbox, logger: Logger): Promise<number> {
  const db = store.postgres;
  if (!db) return 0;
  const t = db.tables;
  let moved = 0;
  for (;;) {
    const rows = await db.query<{ seq: string; lane: string; txn_id: string; item: Buffer }>(
      `SELECT u.seq::text AS seq, u.lane, j.txn_id, u.item FROM ${pendingItems(t, 'TRUE', true)} ORDER BY u.seq LIMIT $1`, [PAGE]);
    if (rows.length === 0) break;
    for (const row of rows) {
      const txn = parseTransaction(JSON.parse(row.item.toString('utf8')));
      for (;;) {
        try {
          await inbox.accept(row.txn_id, txn);
          break;
        } catch (err) {
          if (!(err instanceof InboxUnavailable)) throw err;
          await inbox.drained(); // the backlog is full: let it drain, then go on
        }
      }
    }
    // The page is in seq order: every item of a lane up to its last one here is moved.
    await db.query(`INSERT INTO ${t.laneAcks} (lane, acked) SELECT lane, max(seq) FROM unnest($1::text[], $2::bigint[]) AS a(lane, seq)
      GROUP BY lane ON CONFLICT (lane) DO UPDATE SET acked = greatest(${t.laneAcks}.acked, EXCLUDED.acked)`,
    [rows.map((r) => r.lane), rows.map((r) => r.seq)]);
    moved += rows.length;
  }
  // Nothing is left unhandled (no cluster process runs beside a one-process bridge).
  await db.query(`WITH rows AS (DELETE FROM ${t.journal}) DELETE FROM ${t.laneAcks}`, []);
  if (moved > 0) logger.info({ moved }, 'moved items a cluster left unhandled into this one-process bridge\'s journal');
  return moved;
}
