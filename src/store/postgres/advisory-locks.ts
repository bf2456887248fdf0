import { Pool, type PoolClient } from 'pg';

/**
 * Named locks shared by every process on one PostgreSQL store (cluster mode): a
 * session-level advisory lock per key, `pg_advisory_lock(space, key)` in the two-key form,
 * which never meets the store's own one-key lock. Each holder keeps a connection of a
 * small pool of its own while its work runs, so that work which writes to the store never
 * waits for a connection a lock holds; a process that dies lets its locks go with its
 * sessions. For rare, short sections (creating a portal or a management room), not nested.
 */
export class AdvisoryLocks {
  private pool: Pool | undefined;
  private closed = false;

  constructor(private readonly url: string, private readonly space: string, private readonly connections = 4) {}

  async withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new Error('the store is closed');
    const client = await this.open().connect();
    let broken: Error | undefined;
    // A session lost while held (the server restarted, the connection was killed) must not
    // crash the process: the error is kept, and the connection closed on release.
    const onError = (err: Error) => { broken ??= err; };
    client.on('error', onError);
    try {
      await client.query('SELECT pg_advisory_lock(hashtext($1), hashtext($2))', [this.space, key]);
      try {
        return await work();
      } finally {
        broken ??= await unlock(client, this.space, key);
      }
    } catch (err) {
      broken ??= err instanceof Error ? err : new Error(String(err));
      throw err;
    } finally {
      // A connection whose unlock may not have happened is closed: its session's locks go with it.
      client.off('error', onError);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.pool?.end();
  }

  private open(): Pool {
    if (!this.pool) {
      this.pool = new Pool({ connectionString: this.url, max: this.connections, idleTimeoutMillis: 10_000, allowExitOnIdle: true, application_name: 'bridgekit-locks' });
      // A connection that dies while idle is the pool's to replace; without a listener it would crash the process.
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }
}

async function unlock(client: PoolClient, space: string, key: string): Promise<Error | undefined> {
  try {
    const { rows } = await client.query<{ unlocked: boolean }>('SELECT pg_advisory_unlock(hashtext($1), hashtext($2)) AS unlocked', [space, key]);
    return rows[0]?.unlocked === true ? undefined : new Error(`the advisory lock ${key} was not held`);
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}
