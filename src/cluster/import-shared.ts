import { parseTransaction } from '../events/index.js';
import type { Logger } from '../log/logger.js';
import { InboxUnavailable, type BridgeInbox } from '../inbox/index.js';
import type { Store } from '../store/index.js';

const PAGE = 1_000;

/**
 * Items a cluster left unhandled in the shared journal, moved into a one-process bridge's
 * inbox: switching cluster mode off loses nothing. Each item is accepted under its own
 * txnId (so its dedupe id is the one it had: a crash halfway repeats nothing), then marked
 * handled in the shared journal. Returns how many were moved.
 */
export async function importSharedJournal(store: Store, inbox: BridgeInbox, logger: Logger): Promise<number> {
  const db = store.postgres;
  if (!db) return 0;
  const { inbox: table } = db.tables;
  let moved = 0;
  for (;;) {
    const rows = await db.query<{ seq: string; txn_id: string; item: Buffer }>(
      `SELECT i.seq::text AS seq, i.txn_id, i.item FROM ${table} i WHERE NOT i.handled ORDER BY i.seq LIMIT $1`, [PAGE]);
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
    await db.query(`UPDATE ${table} SET handled = true, item = NULL WHERE seq = ANY($1::bigint[])`, [rows.map((r) => r.seq)]);
    moved += rows.length;
  }
  if (moved > 0) logger.info({ moved }, 'moved items a cluster left unhandled into this one-process bridge\'s journal');
  return moved;
}
