import { Client } from 'pg';
import type { StoreTables } from './sql.js';

/** A second opener of a store that is open elsewhere: Level's own code for its lock. */
export class StoreLockedError extends Error {
  readonly code = 'LEVEL_LOCKED';
  constructor(where: string) {
    super(`${where} is open in another process (its session holds the store's advisory lock)`);
    this.name = 'StoreLockedError';
  }
}

/**
 * One process at a time per store, as LevelDB's LOCK file makes it for a folder: a
 * session-level advisory lock on a connection of its own, held while the store is open
 * (PostgreSQL releases it when that session ends, a crash included). Commands that work
 * on a stopped bridge's data are refused while the bridge runs, and a second `bridgekit
 * run` on the same database and schema is refused at start.
 */
export class StoreLock {
  private constructor(private readonly client: Client) {}

  /**
   * `shared`: cluster mode, where any number of processes hold the lock shared; a
   * one-process opener (and every command on a stopped bridge's data) is refused meanwhile.
   */
  static async take(url: string, tables: StoreTables, where: string, shared = false): Promise<StoreLock> {
    const client = new Client({ connectionString: url, application_name: 'bridgekit-lock' });
    client.on('error', () => undefined); // a lost session has lost the lock: nothing to do here
    await client.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(`SELECT ${shared ? 'pg_try_advisory_lock_shared' : 'pg_try_advisory_lock'}(hashtext($1)) AS locked`, [`bridgekit.store:${tables.schema}`]);
      if (rows[0]?.locked !== true) throw new StoreLockedError(shared ? `${where} (a one-process bridge)` : where);
    } catch (err) {
      await client.end().catch(() => undefined);
      throw err;
    }
    // An idle lock session must not keep a process alive that is otherwise done (as the pool's allowExitOnIdle).
    socketOf(client)?.unref?.();
    return new StoreLock(client);
  }

  async release(): Promise<void> {
    // Referenced again while it closes: an unreferenced socket would let the process exit halfway.
    socketOf(this.client)?.ref?.();
    await this.client.end();
  }
}

/** The session's socket (pg does not expose it in its types). */
function socketOf(client: Client): { ref?: () => void; unref?: () => void } | undefined {
  return (client as unknown as { connection?: { stream?: { ref?: () => void; unref?: () => void } } }).connection?.stream;
}
