import type { Pool, PoolClient } from 'pg';
import type { StoreTables } from './sql.js';

/** One step of the schema, applied once, in order, in the transaction that records it. */
interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: (t: StoreTables) => string;
}

/**
 * The schema, version by version. Append only: a released step never changes, a change
 * is a new step (docs/postgres.md lists them for operators who apply them by hand).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'one key-value table for every section',
    sql: (t) => `CREATE TABLE ${t.kv} (k bytea PRIMARY KEY, v bytea NOT NULL)`,
  },
  {
    version: 2,
    name: 'cluster mode: processes, leases and the shared journal',
    sql: (t) => `
      CREATE TABLE ${t.processes} (
        id text PRIMARY KEY,
        started_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        info jsonb NOT NULL DEFAULT '{}'::jsonb);
      CREATE TABLE ${t.leases} (
        key text PRIMARY KEY,
        owner text NOT NULL REFERENCES ${t.processes} (id) ON DELETE CASCADE,
        acquired_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX bridgekit_leases_owner ON ${t.leases} (owner);
      CREATE TABLE ${t.inbox} (
        seq bigint PRIMARY KEY,
        lane text NOT NULL,
        txn_id text NOT NULL,
        received_at bigint NOT NULL,
        item bytea NOT NULL);
      CREATE INDEX bridgekit_inbox_lane ON ${t.inbox} (lane, seq);
      CREATE TABLE ${t.inboxIds} (item_id text PRIMARY KEY, received_at bigint NOT NULL);
      CREATE INDEX bridgekit_inbox_ids_received ON ${t.inboxIds} (received_at);
      CREATE TABLE ${t.inboxCounter} (one boolean PRIMARY KEY DEFAULT true CHECK (one), next bigint NOT NULL);
      INSERT INTO ${t.inboxCounter} (next) VALUES (0)`,
  },
  {
    version: 3,
    name: 'cluster mode: the shared journal as one row per transaction, handled items as per-lane watermarks',
    // One row per item and a delete per handled item cost PostgreSQL four to five times the
    // one-process mode's CPU per event. Unhandled items of the old table come over as rows of
    // their own (a lane without a watermark has every item it holds unhandled); the dedupe
    // window's time index becomes a BRIN (ids are written in time order), its ids compare as bytes.
    sql: (t) => `
      CREATE TABLE ${t.journal} (
        last bigint PRIMARY KEY,
        txn_id text NOT NULL,
        received_at bigint NOT NULL,
        seqs bigint[] NOT NULL,
        lanes text[] NOT NULL,
        items bytea[] NOT NULL);
      CREATE TABLE ${t.laneAcks} (lane text COLLATE "C" PRIMARY KEY, acked bigint NOT NULL);
      INSERT INTO ${t.journal} (last, txn_id, received_at, seqs, lanes, items)
        SELECT seq, txn_id, received_at, ARRAY[seq], ARRAY[lane], ARRAY[item] FROM ${t.inbox};
      DROP TABLE ${t.inbox};
      DROP INDEX ${t.quotedSchema}.bridgekit_inbox_ids_received;
      ALTER TABLE ${t.inboxIds} ALTER COLUMN item_id TYPE text COLLATE "C";
      CREATE INDEX bridgekit_inbox_ids_received ON ${t.inboxIds} USING brin (received_at)`,
  },
];

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export interface MigrationStatus {
  /** The newest version applied (0: none, a new database). */
  readonly current: number;
  /** What this bridgekit knows of. */
  readonly latest: number;
}

/** Where the schema stands, without changing anything (for `doctor`). */
export async function migrationStatus(pool: Pool, t: StoreTables): Promise<MigrationStatus> {
  const exists = await pool.query<{ found: string | null }>('SELECT to_regclass($1) AS found', [t.migrations]);
  if (exists.rows[0]?.found == null) return { current: 0, latest: LATEST_VERSION };
  const { rows } = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t.migrations}`);
  return { current: rows[0]?.v ?? 0, latest: LATEST_VERSION };
}

/** A database whose schema is newer than this bridgekit: an older release must not write to it. */
export class SchemaTooNewError extends Error {
  constructor(readonly current: number, readonly latest: number) {
    super(`the database's schema is at version ${current}, newer than this bridgekit knows (${latest}): run the bridgekit release that migrated it, or a newer one`);
    this.name = 'SchemaTooNewError';
  }
}

/**
 * Applies the steps not yet applied, each recorded in the migrations table, all in one
 * transaction under an advisory lock: two processes starting at once migrate once.
 * Returns the versions applied.
 */
export async function migrate(pool: Pool, t: StoreTables): Promise<number[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`bridgekit.migrate:${t.schema}`]);
    const applied = await applyPending(client, t);
    await client.query('COMMIT');
    return applied;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function applyPending(client: PoolClient, t: StoreTables): Promise<number[]> {
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${t.quotedSchema}`);
  await client.query(`CREATE TABLE IF NOT EXISTS ${t.migrations} (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
  const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${t.migrations}`);
  const current = rows[0]?.v ?? 0;
  if (current > LATEST_VERSION) throw new SchemaTooNewError(current, LATEST_VERSION);
  const applied: number[] = [];
  for (const step of MIGRATIONS) {
    if (step.version <= current) continue;
    await client.query(step.sql(t));
    await client.query(`INSERT INTO ${t.migrations} (version, name) VALUES ($1, $2)`, [step.version, step.name]);
    applied.push(step.version);
  }
  return applied;
}
