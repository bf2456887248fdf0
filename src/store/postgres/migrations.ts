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
        item_id text NOT NULL UNIQUE,
        lane text NOT NULL,
        txn_id text NOT NULL,
        received_at bigint NOT NULL,
        item bytea,
        handled boolean NOT NULL DEFAULT false);
      CREATE INDEX bridgekit_inbox_pending ON ${t.inbox} (lane, seq) WHERE NOT handled;
      CREATE INDEX bridgekit_inbox_pending_seq ON ${t.inbox} (seq) WHERE NOT handled;
      CREATE INDEX bridgekit_inbox_received ON ${t.inbox} (received_at) WHERE handled;
      CREATE TABLE ${t.inboxCounter} (one boolean PRIMARY KEY DEFAULT true CHECK (one), next bigint NOT NULL);
      INSERT INTO ${t.inboxCounter} (next) VALUES (0)`,
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
