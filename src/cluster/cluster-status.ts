import type { Pool } from 'pg';
import { Sections, type StoreTables } from '../store/index.js';
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
  /** Messages forwarded to connections and not delivered yet, per connection (lease key), the oldest first. */
  readonly forwards: readonly ForwardBacklog[];
  /** Forwarded messages given up (dead letters). */
  readonly deadForwards: number;
}

/** The messages waiting for one connection. */
export interface ForwardBacklog {
  readonly lease: string;
  readonly messages: number;
  readonly oldestAgeMs: number;
  /** Whether a live process holds its lease (else they wait for one to run it). */
  readonly held: boolean;
}

/** A section's key range in the store's table: `!<name>!` up to the next byte. */
function sectionRange(name: string): [Buffer, Buffer] {
  return [Buffer.from(`!${name}!`), Buffer.from(`!${name}"`)];
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
  const [from, to] = sectionRange(Sections.forwards);
  // A key is `!leases.forwards!<lease key>\0<order>`; the value JSON with `at` (ms).
  const forwards = await pool.query<{ lease: string; messages: number; oldest: number; held: boolean }>(
    `SELECT f.lease, count(*)::int AS messages, min(f.at)::float8 AS oldest, bool_or(l.key IS NOT NULL) AS held
     FROM (SELECT convert_from(substring(k FROM $3::int + 1 FOR position('\\x00'::bytea IN k) - $3::int - 1), 'UTF8') AS lease,
             (convert_from(v, 'UTF8')::jsonb ->> 'at')::float8 AS at
           FROM ${t.kv} WHERE k >= $1 AND k < $2) f
     LEFT JOIN ${t.leases} l ON l.key = f.lease
     GROUP BY f.lease ORDER BY min(f.at)`, [from, to, from.length]);
  const [deadFrom, deadTo] = sectionRange(Sections.forwardDeadLetters);
  const dead = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t.kv} WHERE k >= $1 AND k < $2`, [deadFrom, deadTo]);
  const oldest = journal.rows[0]?.oldest;
  return {
    processes: processes.rows.map((r) => ({ id: r.id, expiresInMs: r.expires_in_ms, leaseTtlMs: r.ttl ?? undefined, lanes: r.lanes, connections: r.connections })),
    unhandled: journal.rows[0]?.n ?? 0,
    oldestUnhandledAgeMs: oldest == null ? undefined : Math.max(0, now - Number(oldest)),
    orphans: orphans.rows.map((r) => ({ lane: r.lane, items: r.items, oldestAgeMs: Math.max(0, now - Number(r.oldest)) })),
    orphanLanes: orphans.rows[0]?.lanes ?? 0,
    leader: leader.rows[0]?.owner,
    forwards: forwards.rows.map((r) => ({ lease: r.lease, messages: r.messages, oldestAgeMs: Math.max(0, now - r.oldest), held: r.held })),
    deadForwards: dead.rows[0]?.n ?? 0,
  };
}
