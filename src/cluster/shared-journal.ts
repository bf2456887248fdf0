import type { PgLevel, StoreTables } from '../store/index.js';
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

/**
 * The unhandled items of the journal as `u(seq, lane)` (with `item`, their bodies, when
 * asked) of rows `j`, a FROM and WHERE clause: an item is handled once its lane's watermark
 * reached it (a lane without one has all its items unhandled).
 */
export function pendingItems(t: StoreTables, where = 'TRUE', bodies = false): string {
  const unnest = bodies ? 'unnest(j.seqs, j.lanes, j.items) AS u(seq, lane, item)' : 'unnest(j.seqs, j.lanes) AS u(seq, lane)';
  return `${t.journal} j CROSS JOIN LATERAL ${unnest}
    LEFT JOIN ${t.laneAcks} a ON a.lane = u.lane WHERE ${where} AND u.seq > coalesce(a.acked, -1)`;
}

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
 * The SQL of the shared journal (cluster mode): one row per journaled transaction holding
 * its new items (their sequence numbers, lanes and bodies, in order), keyed by its last
 * sequence number; a lane's handled items are a watermark in the lane acknowledgements,
 * and a row whose items are all handled is pruned. Every process may insert; the counter
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
    const { journal, inboxIds, inboxCounter, leases } = this.db.tables;
    const ids = items.map((i) => i.id);
    const lanes = items.map((i) => i.lane);
    const bodies = items.map((i) => i.body);
    let rows: Array<{ kind: string; seq: string | null; key: string | null; base: string }>;
    try {
      // The ids first, in order (the dedupe window: a repeat, in this list or journaled
      // before, is not inserted; a concurrent retry of the same ids waits here for the first,
      // and two accepts never wait on each other's ids in opposite orders), then the counter's
      // row lock, held to the commit (it orders the journal rows: only the row insert and the
      // leases run under it), then one row with the first item of each new id, then the leases
      // (always after the counter: the locks are taken in one order, ids, counter, leases).
      rows = await this.db.query(
        `WITH items AS (SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[]) WITH ORDINALITY AS u(id, lane, body, ord)),
        fresh_ids AS (INSERT INTO ${inboxIds} (item_id, received_at) SELECT DISTINCT id, $6::bigint FROM items ORDER BY id
          ON CONFLICT (item_id) DO NOTHING RETURNING item_id),
        base AS (UPDATE ${inboxCounter} SET next = next + $5 WHERE (SELECT count(*) FROM fresh_ids) >= 0 RETURNING next - $5 AS b),
        fresh AS (SELECT DISTINCT ON (id) (SELECT b FROM base) + ord - 1 AS seq, lane, body, ord FROM items
          WHERE id IN (SELECT item_id FROM fresh_ids) ORDER BY id, ord),
        ins AS (INSERT INTO ${journal} (last, txn_id, received_at, seqs, lanes, items)
          SELECT max(seq), $4, $6, array_agg(seq ORDER BY ord), array_agg(lane ORDER BY ord), array_agg(body ORDER BY ord)
          FROM fresh HAVING count(*) > 0 RETURNING seqs),
        claimed AS (INSERT INTO ${leases} (key, owner) SELECT DISTINCT l, $7 FROM unnest($9::text[]) AS l
          WHERE (SELECT b FROM base) IS NOT NULL ON CONFLICT (key) DO NOTHING RETURNING key)
        SELECT 'i' AS kind, s::text AS seq, NULL AS key, (SELECT b FROM base)::text AS base FROM ins, unnest(ins.seqs) AS s
        UNION ALL SELECT 'l', NULL, key, (SELECT b FROM base)::text FROM claimed
        UNION ALL SELECT 'b', NULL, NULL, (SELECT b FROM base)::text
        UNION ALL SELECT 'n', NULL, NULL, NULL FROM (SELECT pg_notify($8, 'items')
          WHERE EXISTS (SELECT 1 FROM ${leases} WHERE key = ANY($2::text[]) AND owner <> $7)) AS wake`,
        [ids, lanes, bodies, txnId, items.length, now, this.processId, wakeChannel, claim], 'bridgekit_journal_accept_v2');
    } catch (err) {
      throw fenceError(err, this.processId);
    }
    const base = Number(rows.find((r) => r.kind === 'b')!.base);
    const fresh = rows.filter((r) => r.kind === 'i').map((r) => Number(r.seq)).sort((x, y) => x - y)
      .map((seq) => ({ index: seq - base, seq }));
    return { base, fresh, claimed: rows.filter((r) => r.kind === 'l').map((r) => r.key!) };
  }

  /**
   * Unhandled items from `fromSeq` on in lanes this process holds, in order, from at most
   * `limit` journal rows; and how far that read: the counter as of the same snapshot
   * (everything below it is committed and was seen) when the rows ran out, else just past
   * the last row read.
   */
  async fetchHeld(fromSeq: number, limit: number): Promise<{ rows: JournalRow[]; next: number; full: boolean }> {
    const t = this.db.tables;
    const raw = await this.db.query<Partial<RawRow> & { next: string; n: number; upto: string | null }>(
      `WITH held AS (SELECT coalesce(array_agg(key), '{}') AS lanes FROM ${t.leases} WHERE owner = $2),
       page AS (SELECT * FROM ${t.journal} WHERE last >= $1 AND lanes && (SELECT lanes FROM held) ORDER BY last LIMIT $3),
       items AS (SELECT u.seq, u.lane, p.txn_id, p.received_at, u.item
         FROM page p CROSS JOIN LATERAL unnest(p.seqs, p.lanes, p.items) AS u(seq, lane, item)
         LEFT JOIN ${t.laneAcks} a ON a.lane = u.lane
         CROSS JOIN held h WHERE u.seq >= $1 AND u.lane = ANY(h.lanes) AND u.seq > coalesce(a.acked, -1))
       SELECT m.next, m.n, m.upto, i.seq::text AS seq, i.lane, i.txn_id, i.received_at::text AS received_at, i.item
       FROM (SELECT (SELECT next FROM ${t.inboxCounter})::text AS next, (SELECT count(*) FROM page)::int AS n,
         (SELECT max(last) FROM page)::text AS upto) m
       LEFT JOIN LATERAL (SELECT * FROM items ORDER BY seq) i ON true`,
      [fromSeq, this.processId, limit], 'bridgekit_journal_held');
    const first = raw[0];
    const full = (first?.n ?? 0) >= limit;
    const next = full ? Number(first!.upto) + 1 : Number(first?.next ?? fromSeq);
    return { rows: raw.filter((r) => r.seq != null).map((r) => rowOf(r as RawRow)), next, full };
  }

  /** Every unhandled item of `lanes`, in order (a lane just leased: what its last holder left). */
  async fetchLanes(lanes: readonly string[]): Promise<JournalRow[]> {
    const t = this.db.tables;
    const raw = await this.db.query<RawRow>(
      `SELECT u.seq::text AS seq, u.lane, j.txn_id, j.received_at::text AS received_at, u.item
       FROM ${pendingItems(t, 'j.lanes && $1::text[] AND u.lane = ANY($1::text[])', true)} ORDER BY u.seq`, [lanes]);
    return raw.map(rowOf);
  }

  /**
   * Leases lanes with unhandled items and no holder (their holder left or was reaped), at
   * most this process's share of them (they are spread over the live processes, each
   * taking its share at its next look); returns those won.
   */
  async claimOrphans(limit: number): Promise<string[]> {
    const t = this.db.tables;
    try {
      const rows = await this.db.query<{ key: string }>(
        `WITH free AS (SELECT DISTINCT u.lane FROM ${pendingItems(t, `u.lane NOT IN (SELECT key FROM ${t.leases})`)} LIMIT $2),
         share AS (SELECT greatest(1, ceil((SELECT count(*) FROM free)::numeric
           / greatest(1, (SELECT count(*) FROM ${t.processes} WHERE expires_at > now()))))::int AS n)
         INSERT INTO ${t.leases} (key, owner) SELECT lane, $1 FROM free LIMIT (SELECT n FROM share)
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
    const t = this.db.tables;
    const rows = await this.db.query<{ key: string }>(
      `WITH pending AS (SELECT DISTINCT u.lane FROM ${pendingItems(t, 'j.lanes && $2::text[] AND u.lane = ANY($2::text[])')})
       DELETE FROM ${t.leases} l WHERE l.owner = $1 AND l.key = ANY($2::text[])
       AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.lane = l.key) RETURNING l.key`, [this.processId, lanes]);
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

  /**
   * Deletes journal rows whose items are all handled, and the watermarks of lanes no row
   * holds any more (journaled before the statement's snapshot: a row journaled after it
   * holds only items past the watermark, which a missing watermark leaves unhandled too).
   * A watermark an acknowledgement holds locked is skipped, never waited for; one process
   * prunes at a time. A row past every watermark has its last item unhandled: not looked
   * into. Returns the rows and watermarks deleted.
   */
  async pruneHandled(): Promise<{ rows: number; lanes: number }> {
    const t = this.db.tables;
    const rows = await this.db.query<{ rows: number; lanes: number }>(
      `WITH turn AS (SELECT pg_try_advisory_xact_lock(hashtext($1)) AS mine),
       done AS (DELETE FROM ${t.journal} j WHERE (SELECT mine FROM turn)
         AND j.last <= (SELECT max(acked) FROM ${t.laneAcks}) AND NOT EXISTS (
         SELECT 1 FROM unnest(j.seqs, j.lanes) AS u(seq, lane) LEFT JOIN ${t.laneAcks} a ON a.lane = u.lane
         WHERE u.seq > coalesce(a.acked, -1)) RETURNING 1),
       idle AS (SELECT lane FROM ${t.laneAcks} WHERE (SELECT mine FROM turn)
         AND acked < (SELECT next FROM ${t.inboxCounter})
         AND lane NOT IN (SELECT unnest(lanes) FROM ${t.journal}) FOR UPDATE SKIP LOCKED),
       forgot AS (DELETE FROM ${t.laneAcks} WHERE lane IN (SELECT lane FROM idle) RETURNING 1)
       SELECT (SELECT count(*) FROM done)::int AS rows, (SELECT count(*) FROM forgot)::int AS lanes`,
      [`bridgekit.prune:${t.schema}`]);
    return rows[0] ?? { rows: 0, lanes: 0 };
  }

  /** Journals one item the bridge brings back itself (a replayed dead letter); false when its id was journaled before. */
  async insertOne(item: NewItem, txnId: string, now: number): Promise<boolean> {
    const { journal, inboxIds, inboxCounter } = this.db.tables;
    const rows = await this.db.query<{ last: string }>(
      `WITH fresh AS (INSERT INTO ${inboxIds} (item_id, received_at) VALUES ($1, $4) ON CONFLICT (item_id) DO NOTHING RETURNING item_id),
       base AS (UPDATE ${inboxCounter} SET next = next + 1 WHERE EXISTS (SELECT 1 FROM fresh) RETURNING next - 1 AS b)
       INSERT INTO ${journal} (last, txn_id, received_at, seqs, lanes, items)
       SELECT b, $3, $4, ARRAY[b], ARRAY[$2::text], ARRAY[$5::bytea] FROM base RETURNING last::text AS last`,
      [item.id, item.lane, txnId, now, item.body]);
    return rows.length > 0;
  }

  /** Unhandled items, all lanes (for the backlog at start and `doctor`). */
  async pendingCount(): Promise<number> {
    const rows = await this.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${pendingItems(this.db.tables)}`, []);
    return rows[0]?.n ?? 0;
  }
}
