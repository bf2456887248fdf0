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
   * Journals a transaction's items, in order, in one statement that also leases the lanes
   * in `claim` to this process where nobody holds them, and wakes the other processes when
   * one of them holds a lane of these items.
   */
  async accept(txnId: string, items: readonly NewItem[], now: number, wakeChannel: string, claim: readonly string[]): Promise<Journaled> {
    const { inbox, inboxIds, inboxCounter, leases } = this.db.tables;
    const ids = items.map((i) => i.id);
    const lanes = items.map((i) => i.lane);
    const bodies = items.map((i) => i.body);
    let rows: Array<{ kind: string; seq: string | null; key: string | null; base: string }>;
    try {
      // The counter's row lock first (the ids depend on it: two accepts never wait on each
      // other in opposite orders), then the ids (the dedupe window: a repeat, in this list or
      // journaled before, is not inserted), then the first item of each new id.
      rows = await this.db.query(
        `WITH base AS (UPDATE ${inboxCounter} SET next = next + $5 RETURNING next - $5 AS b),
        items AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS u(id, lane, body, ord)),
        fresh_ids AS (INSERT INTO ${inboxIds} (item_id, received_at) SELECT DISTINCT id, $6::bigint FROM items
          WHERE (SELECT b FROM base) IS NOT NULL ON CONFLICT (item_id) DO NOTHING RETURNING item_id),
        fresh AS (SELECT DISTINCT ON (id) id, lane, body, ord FROM items WHERE id IN (SELECT item_id FROM fresh_ids) ORDER BY id, ord),
        ins AS (INSERT INTO ${inbox} (seq, lane, txn_id, received_at, item)
          SELECT (SELECT b FROM base) + ord - 1, lane, $4, $6, body FROM fresh ORDER BY ord RETURNING seq),
        claimed AS (INSERT INTO ${leases} (key, owner) SELECT DISTINCT l, $7 FROM unnest($9::text[]) AS l
          ON CONFLICT (key) DO NOTHING RETURNING key)
        SELECT 'i' AS kind, seq::text AS seq, NULL AS key, (SELECT b FROM base)::text AS base FROM ins
        UNION ALL SELECT 'l', NULL, key, (SELECT b FROM base)::text FROM claimed
        UNION ALL SELECT 'b', NULL, NULL, (SELECT b FROM base)::text
        UNION ALL SELECT 'n', NULL, NULL, NULL FROM (SELECT pg_notify($8, 'items')
          WHERE EXISTS (SELECT 1 FROM ${leases} WHERE key = ANY($2::text[]) AND owner <> $7)) AS wake`,
        [ids, lanes, bodies, txnId, items.length, now, this.processId, wakeChannel, claim]);
    } catch (err) {
      throw fenceError(err, this.processId);
    }
    const base = Number(rows.find((r) => r.kind === 'b')!.base);
    const fresh = rows.filter((r) => r.kind === 'i').map((r) => Number(r.seq)).sort((x, y) => x - y)
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
         SELECT * FROM ${inbox} WHERE seq >= $1
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
       WHERE i.lane = ANY($1::text[]) ORDER BY i.seq`, [lanes]);
    return raw.map(rowOf);
  }

  /**
   * Leases lanes with unhandled items and no holder (their holder left or was reaped), at
   * most this process's share of them (they are spread over the live processes, each
   * taking its share at its next look); returns those won.
   */
  async claimOrphans(limit: number): Promise<string[]> {
    const { inbox, leases, processes } = this.db.tables;
    try {
      const rows = await this.db.query<{ key: string }>(
        `WITH free AS (SELECT DISTINCT lane FROM ${inbox} i
           WHERE NOT EXISTS (SELECT 1 FROM ${leases} l WHERE l.key = i.lane) LIMIT $2),
         share AS (SELECT greatest(1, ceil((SELECT count(*) FROM free)::numeric
           / greatest(1, (SELECT count(*) FROM ${processes} WHERE expires_at > now()))))::int AS n)
         INSERT INTO ${leases} (key, owner) SELECT lane, $1 FROM free LIMIT (SELECT n FROM share)
         ON CONFLICT (key) DO NOTHING RETURNING key`, [this.processId, limit]);
      return rows.map((r) => r.key);
    } catch (err) {
      throw fenceError(err, this.processId);
    }
  }

  /**
   * Gives up idle lanes: only those with nothing unhandled in the journal (an item of the
   * lane journaled meanwhile keeps it leased). Returns the lanes given up.
   */
  async releaseIdle(lanes: readonly string[]): Promise<string[]> {
    const { inbox, leases } = this.db.tables;
    const rows = await this.db.query<{ key: string }>(
      `DELETE FROM ${leases} l WHERE l.owner = $1 AND l.key = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM ${inbox} i WHERE i.lane = l.key) RETURNING l.key`, [this.processId, lanes]);
    return rows.map((r) => r.key);
  }

  /** Takes a lease that is free (the leader's); whether this process holds it now. */
  async claimLease(key: string): Promise<boolean> {
    try {
      const rows = await this.db.query<{ owner: string }>(
        `INSERT INTO ${this.db.tables.leases} (key, owner) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET key = EXCLUDED.key
         WHERE ${this.db.tables.leases}.owner = $2 RETURNING owner`, [key, this.processId]);
      return rows.length > 0;
    } catch (err) {
      throw fenceError(err, this.processId);
    }
  }

  /** The lanes the database says this process leases. */
  async ownedLanes(): Promise<string[]> {
    const rows = await this.db.query<{ key: string }>(`SELECT key FROM ${this.db.tables.leases} WHERE owner = $1 AND key NOT LIKE 'conn:%' AND key <> 'leader'`, [this.processId]);
    return rows.map((r) => r.key);
  }

  /** Forgets the ids of items received before `cutoff` (ms): past the dedupe window. */
  async prune(cutoff: number): Promise<number> {
    const rows = await this.db.query<{ n: number }>(
      `WITH gone AS (DELETE FROM ${this.db.tables.inboxIds} WHERE received_at < $1 RETURNING 1) SELECT count(*)::int AS n FROM gone`, [cutoff]);
    return rows[0]?.n ?? 0;
  }

  /** Journals one item the bridge brings back itself (a replayed dead letter); false when its id was journaled before. */
  async insertOne(item: NewItem, txnId: string, now: number): Promise<boolean> {
    const { inbox, inboxIds, inboxCounter } = this.db.tables;
    const rows = await this.db.query<{ seq: string }>(
      `WITH fresh AS (INSERT INTO ${inboxIds} (item_id, received_at) VALUES ($1, $4) ON CONFLICT (item_id) DO NOTHING RETURNING item_id),
       base AS (UPDATE ${inboxCounter} SET next = next + 1 WHERE EXISTS (SELECT 1 FROM fresh) RETURNING next - 1 AS b)
       INSERT INTO ${inbox} (seq, lane, txn_id, received_at, item) SELECT b, $2, $3, $4, $5 FROM base RETURNING seq::text AS seq`,
      [item.id, item.lane, txnId, now, item.body]);
    return rows.length > 0;
  }

  /** Unhandled items, all lanes (for the backlog at start and `doctor`). */
  async pendingCount(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.db.tables.inbox}`, []);
    return rows[0]?.n ?? 0;
  }
}
