import { Client } from 'pg';

/** Server settings that load pg_stat_statements (`BENCH_PG_PROFILE=1`). */
export const PROFILE_SETTINGS = ['shared_preload_libraries=pg_stat_statements', 'pg_stat_statements.track=all', 'pg_stat_statements.track_planning=on'] as const;

export interface StatementCost {
  readonly calls: number;
  /** ms spent planning and executing, in all (waits for locks included). */
  readonly totalMs: number;
  readonly rows: number;
  /** WAL bytes written. */
  readonly walBytes: number;
  readonly query: string;
}

async function withClient<T>(url: string, run: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

/** Starts counting from zero (the extension is created on first use). */
export async function resetProfile(url: string): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
    await client.query('SELECT pg_stat_statements_reset()');
  });
}

/** What PostgreSQL spent per statement since `resetProfile`, the costliest first. */
export async function readProfile(url: string, limit = 12): Promise<StatementCost[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ calls: string; total: number; rows: string; wal: string; query: string }>(
      `SELECT calls::text, total_plan_time + total_exec_time AS total, rows::text, wal_bytes::text AS wal, query FROM pg_stat_statements
       WHERE query NOT ILIKE '%pg_stat_statements%' ORDER BY total_plan_time + total_exec_time DESC LIMIT $1`, [limit]);
    return rows.map((r) => ({ calls: Number(r.calls), totalMs: r.total, rows: Number(r.rows), walBytes: Number(r.wal), query: r.query.replace(/\s+/g, ' ') }));
  });
}

/** The profile as lines, costs per event. */
export function profileLines(costs: readonly StatementCost[], events: number): string[] {
  return costs.map((c) => `    ${(c.totalMs * 1000 / events).toFixed(1).padStart(6)} µs/ev  ${(c.walBytes / events).toFixed(0).padStart(5)} WAL B/ev  `
    + `${String(c.calls).padStart(7)} calls  ${String(c.rows).padStart(7)} rows  ${c.query.slice(0, 160)}`);
}
