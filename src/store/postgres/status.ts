import { Pool } from 'pg';
import { migrationStatus, type MigrationStatus } from './migrations.js';
import { storeTables } from './sql.js';

export interface PostgresStatus extends MigrationStatus {
  /** The server's version, as it reports it (`server_version`). */
  readonly serverVersion: string;
}

/**
 * Connects once and reads where the schema stands, changing nothing (for `doctor`, which
 * must not migrate a database behind the operator's back). Throws when unreachable.
 */
export async function postgresStatus(url: string, schema: string): Promise<PostgresStatus> {
  const pool = inspectionPool(url);
  try {
    const { rows } = await pool.query<{ server_version: string }>('SHOW server_version');
    return { serverVersion: rows[0]?.server_version ?? 'unknown', ...await migrationStatus(pool, storeTables(schema)) };
  } finally {
    await pool.end();
  }
}

/** One connection for reading where the store stands (`doctor`); the caller ends it. */
export function inspectionPool(url: string): Pool {
  const pool = new Pool({ connectionString: url, max: 1, connectionTimeoutMillis: 5_000, application_name: 'bridgekit-doctor' });
  pool.on('error', () => undefined);
  return pool;
}
