import type { PgLevel } from '../store/index.js';
import { FencedOutError } from '../store/index.js';

/** One item as the shared journal holds it. */
export interface JournalRow {
  readonly seq: number;
  readonly lane: string;
  readonly txnId: string;
  readonly receivedAt: number;
  /** The item as a one-item transaction body (`singleItemBody`), parsed again when read. */
  readonly body: Buffer;
}

/** An item to journal: its dedupe id, its lane (what is leased), its body. */
export interface NewItem {
  readonly id: string;
  readonly lane: string;
  readonly body: Buffer;
}

export interface Journaled {
  /** The sequence numbers given to this call (`base .. base + n - 1`, holes where duplicates were). */
  readonly base: number;
  /** The items that were new, by their index in the call. */
  readonly fresh: ReadonlyArray<{ readonly index: number; readonly seq: number }>;
  /** Lanes this call leased to the process (they had no holder). */
  readonly claimed: readonly string[];
}

interface RawRow { seq: string; lane: string; txn_id: string; received_at: string; item: Buffer }

function rowOf(r: RawRow): JournalRow {
  return { seq: Number(r.seq), lane: r.lane, txnId: r.txn_id, receivedAt: Number(r.received_at), body: r.item };
}

/** PostgreSQL's code for a foreign key violation: a lease for an owner that is gone (reaped). */
const FOREIGN_KEY_VIOLATION = '23503';

function fenceError(err: unknown, processId: string): unknown {
  const code = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  return code === FOREIGN_KEY_VIOLATION ? new FencedOutError(processId) : err;
}

/**
 * The SQL of the shared journal (cluster mode). Every process may insert; the counter
 * row's lock serializes inserts, so sequence order is commit order: a reader that saw
 * `seq` committed has seen everything before it. Dedupe is the unique index on the item
 * id: a concurrent retry of the same transaction waits for the first insert and then
 * finds its items there.
 */
export class SharedJournal {
  constructor(private readonly db: PgLevel, private readonly processId: string) {}

  /**
   * Journals a transaction's items, in order, in one statement that also leases their
   * lanes to this process where nobody holds them, and wakes the other processes when one
   * of them holds a lane of these items.
   */
  async accept(txnId: string, items: readonly NewItem[], now: number, wakeChannel: string): Promise<Journaled> {
    const { inbox, inboxCounter, leases } = this.db.tables;
    const ids = items.map((i) => i.id);
    const lanes = items.map((i) => i.lane);
    const bodies = items.map((i) => i.body);
    let rows: Array<{ kind: string; seq: string | null; key: string | null; base: string }>;
    try {
      rows = await this.db.query(
        `WITH base AS (UPDATE ${inboxCounter} SET next = next + $5 RETURNING next - $5 AS b),
        ins AS (INSERT INTO ${inbox} (seq, item_id, lane, txn_id, received_at, item)
          SELECT (SELECT b FROM base) + u.ord - 1, u.id, u.lane, $4, $6, u.body
          FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS u(id, lane, body, ord)
          ORDER BY u.ord
          ON CONFLICT (item_id) DO NOTHING RETURNING seq),
        claimed AS (INSERT INTO ${leases} (key, owner) SELECT DISTINCT l, $7 FROM unnest($2::text[]) AS l
          ON CONFLICT (key) DO NOTHING RETURNING key)
        SELECT 'i' AS kind, seq::text AS seq, NULL AS key, (SELECT b FROM base)::text AS base FROM ins
        UNION ALL SELECT 'l', NULL, key, (SELECT b FROM base)::text FROM claimed
        UNION ALL SELECT 'b', NULL, NULL, (SELECT b FROM base)::text
        UNION ALL SELECT 'n', NULL, NULL, NULL FROM (SELECT pg_notify($8, '')
          WHERE EXISTS (SELECT 1 FROM ${leases} WHERE key = ANY($2::text[]) AND owner <> $7)) AS wake`,
        [ids, lanes, bodies, txnId, items.length, now, this.processId, wakeChannel]);
    } catch (err) {
      throw fenceError(err, this.processId);
    }
    const base = Number(rows.find((r) => r.kind === 'b')!.base);
    const fresh = rows.filter((r) => r.kind === 'i').map((r) => Number(r.seq)).sort((a, b) => a - b)
      .map((seq) => ({ index: seq - base, seq }));
    return { base, fresh, claimed: rows.filter((r) => r.kind === 'l').map((r) => r.key!) };
  }

  /**
   * Unhandled items from `fromSeq` on in lanes this process holds, in order, and the
   * counter as of the same snapshot (everything below it is committed and was seen).
   */
  async fetchHeld(fromSeq: number, limit: number): Promise<{ rows: JournalRow[]; next: number }> {
    const { inbox, inboxCounter, leases } = this.db.tables;
    const raw = await this.db.query<RawRow & { next: string }>(
      `SELECT c.next::text AS next, i.seq::text AS seq, i.lane, i.txn_id, i.received_at::text AS received_at, i.item
       FROM ${inboxCounter} c LEFT JOIN LATERAL (
         SELECT * FROM ${inbox} WHERE NOT handled AND seq >= $1
           AND lane IN (SELECT key FROM ${leases} WHERE owner = $2) ORDER BY seq LIMIT $3) i ON true`,
      [fromSeq, this.processId, limit]);
    const next = Number(raw[0]?.next ?? fromSeq);
    return { rows: raw.filter((r) => r.seq !== null).map(rowOf), next };
  }

  /** Every unhandled item of `lanes`, in order (a lane just leased: what its last holder left). */
  async fetchLanes(lanes: readonly string[]): Promise<JournalRow[]> {
    const { inbox } = this.db.tables;
    const raw = await this.db.query<RawRow>(
      `SELECT i.seq::text AS seq, i.lane, i.txn_id, i.received_at::text AS received_at, i.item FROM ${inbox} i
       WHERE NOT i.handled AND i.lane = ANY($1::text[]) ORDER BY i.seq`, [lanes]);
    return raw.map(rowOf);
  }

  /** Leases lanes with unhandled items and no holder (their holder left or was reaped); returns those won. */
  async claimOrphans(limit: number): Promise<string[]> {
    const { inbox, leases } = this.db.tables;
    try {
      const rows = await this.db.query<{ key: string }>(
        `INSERT INTO ${leases} (key, owner)
         SELECT lane, $1 FROM (SELECT DISTINCT lane FROM ${inbox} i WHERE NOT handled
           AND NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.key = i.lane) LIMIT $2) AS free
         ON CONFLICT (key) DO NOTHING RETURNING key`, [this.processId, limit]);
      return rows.map((r) => r.key);
    } catch (err) {
      throw fenceError(err, this.processId);
    }
  }

  /** Gives lanes up (idle ones, at a clean stop everything goes with the process row). */
  async release(lanes: readonly string[]): Promise<void> {
    await this.db.query(`DELETE FROM ${this.db.tables.leases} WHERE owner = $1 AND key = ANY($2::text[])`, [this.processId, lanes]);
  }

  /** Forgets handled items received before `cutoff` (ms): past the dedupe window. */
  async prune(cutoff: number): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM ${this.db.tables.inbox} WHERE handled AND received_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`, [cutoff]);
    return rows[0]?.n ?? 0;
  }

  /** Journals one item the bridge brings back itself (a replayed dead letter); false when its id was journaled before. */
  async insertOne(item: NewItem, txnId: string, now: number): Promise<boolean> {
    const { inbox, inboxCounter } = this.db.tables;
    const rows = await this.db.query<{ seq: string }>(
      `WITH base AS (UPDATE ${inboxCounter} SET next = next + 1 RETURNING next - 1 AS b)
       INSERT INTO ${inbox} (seq, item_id, lane, txn_id, received_at, item) SELECT b, $1, $2, $3, $4, $5 FROM base
       ON CONFLICT (item_id) DO NOTHING RETURNING seq::text AS seq`, [item.id, item.lane, txnId, now, item.body]);
    return rows.length > 0;
  }

  /** Unhandled items, all lanes (for the backlog at start and `doctor`). */
  async pendingCount(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.db.tables.inbox} WHERE NOT handled`, []);
    return rows[0]?.n ?? 0;
  }
}
