import type { Pool } from 'pg';
import type { StoreTables } from '../store/index.js';
import { pendingItems } from './shared-journal.js';

/** One row of the processes table as `doctor` shows it. */
export interface ProcessStatus {
  readonly id: string;
  /** ms until its row expires (negative: expired, not reaped yet). */
  readonly expiresInMs: number;
  /** The lease TTL it renews its row by (recorded at join); undefined for a row without it. */
  readonly leaseTtlMs: number | undefined;
  /** Leases it holds: lanes (rooms, `presence:…`, `to_device:…`) and connections (`conn:…`). */
  readonly lanes: number;
  readonly connections: number;
}

/** A lane with unhandled items and no lease: work no process has taken. */
export interface OrphanLane {
  readonly lane: string;
  readonly items: number;
  /** ms since its oldest unhandled item was received. */
  readonly oldestAgeMs: number;
}

export interface ClusterStatus {
  readonly processes: readonly ProcessStatus[];
  /** Unhandled items in the shared journal, and how old the oldest is (ms; undefined when none). */
  readonly unhandled: number;
  readonly oldestUnhandledAgeMs: number | undefined;
  /** Lanes with unhandled items and no lease: the oldest first, at most `ORPHANS_SHOWN`. */
  readonly orphans: readonly OrphanLane[];
  /** How many such lanes there are in all. */
  readonly orphanLanes: number;
  /** The process holding the `leader` lease (placement `leader`; with encryption it holds the crypto device), if any. */
  readonly leader: string | undefined;
}

export const ORPHANS_SHOWN = 5;

/**
 * Reads the cluster's tables (migration 3) as they stand, changing nothing: for `doctor`,
 * which may run beside the live processes. An item of the shared journal is unhandled while
 * its lane's watermark is below it (handled rows are pruned soon after). Ages are measured by the database's clock
 * (expiry) and by `now` against `received_at` (the bridges' clocks, which wrote it).
 */
export async function readClusterStatus(pool: Pool, t: StoreTables, now = Date.now()): Promise<ClusterStatus> {
  const processes = await pool.query<{ id: string; expires_in_ms: number; ttl: number | null; lanes: number; connections: number }>(
    `SELECT p.id, (extract(epoch FROM p.expires_at - now()) * 1000)::float8 AS expires_in_ms,
       CASE WHEN jsonb_typeof(p.info -> 'leaseTtlMs') = 'number' THEN (p.info ->> 'leaseTtlMs')::float8 END AS ttl,
       count(l.key) FILTER (WHERE l.key NOT LIKE 'conn:%')::int AS lanes,
       count(l.key) FILTER (WHERE l.key LIKE 'conn:%')::int AS connections
     FROM ${t.processes} p LEFT JOIN ${t.leases} l ON l.owner = p.id
     GROUP BY p.id, p.expires_at, p.info ORDER BY p.started_at, p.id`);
  const journal = await pool.query<{ n: number; oldest: string | null }>(
    `SELECT count(*)::int AS n, min(j.received_at)::text AS oldest FROM ${pendingItems(t)}`);
  const orphans = await pool.query<{ lane: string; items: number; oldest: string; lanes: number }>(
    `SELECT u.lane, count(*)::int AS items, min(j.received_at)::text AS oldest, (count(*) OVER ())::int AS lanes
     FROM ${pendingItems(t, `NOT EXISTS (SELECT 1 FROM ${t.leases} l WHERE l.key = u.lane)`)}
     GROUP BY u.lane ORDER BY min(j.received_at) LIMIT ${ORPHANS_SHOWN}`);
  const leader = await pool.query<{ owner: string }>(`SELECT owner FROM ${t.leases} WHERE key = 'leader'`);
  const oldest = journal.rows[0]?.oldest;
  return {
    processes: processes.rows.map((r) => ({ id: r.id, expiresInMs: r.expires_in_ms, leaseTtlMs: r.ttl ?? undefined, lanes: r.lanes, connections: r.connections })),
    unhandled: journal.rows[0]?.n ?? 0,
    oldestUnhandledAgeMs: oldest == null ? undefined : Math.max(0, now - Number(oldest)),
    orphans: orphans.rows.map((r) => ({ lane: r.lane, items: r.items, oldestAgeMs: Math.max(0, now - Number(r.oldest)) })),
    orphanLanes: orphans.rows[0]?.lanes ?? 0,
    leader: leader.rows[0]?.owner,
  };
}
