import { AdvisoryLocks } from './advisory-locks.js';
import { AbstractLevel, type AbstractDatabaseOptions } from 'abstract-level';
import { Pool, type QueryResultRow } from 'pg';
import { migrate } from './migrations.js';
import { PgIterator, type PgIteratorOptions } from './pg-iterator.js';
import { StoreLock } from './store-lock.js';
import { rangeWhere, redactUrl, storeTables, type KeyRange, type StoreTables } from './sql.js';

export interface PgLevelOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: string;
  /** The schema holding the tables (created when missing). */
  readonly schema: string;
  /** Connections in the pool. */
  readonly poolSize: number;
  /**
   * Wait for the server's WAL flush at every commit (`synchronous_commit`). Off, a commit
   * survives a crash of the bridge, not of the database server (its last fraction of a
   * second of commits): the same class of promise as the Level store without `sync`, which
   * survives the process, not the machine.
   */
  readonly sync: boolean;
  /**
   * Cluster mode: several processes share the store (each takes the store's advisory lock
   * shared, so a one-process bridge is refused while they run, and they while it runs).
   */
  readonly shared?: boolean;
}

/**
 * A shared-journal item handled: its lane's watermark moves up to `seq`. A lane's items are
 * handled one after another, so when one is handled every earlier one of its lane is too.
 */
export interface JournalAck {
  readonly lane: string;
  readonly seq: number;
}

/** Options of a batch on PostgreSQL (`Store.write` passes them). */
export interface PgBatchOptions {
  /** Shared-journal items to mark handled in the same transaction as the batch's writes. */
  readonly acks?: readonly JournalAck[];
}

/**
 * A write by a process the cluster no longer counts as alive (its heartbeat lapsed and
 * another process reaped it): nothing of it was written. Not a store failure that retrying
 * heals; the process must stop (see cluster/membership.ts).
 */
export class FencedOutError extends Error {
  readonly code = 'LEVEL_FENCED';
  constructor(readonly processId: string) {
    super(`this process (${processId}) is no longer a live member of the cluster: its writes are refused`);
    this.name = 'FencedOutError';
  }
}

export function isFencedOut(err: unknown): err is FencedOutError {
  return (err as { code?: unknown } | undefined)?.code === 'LEVEL_FENCED';
}

/** A failure of the database (unreachable, a lost connection): store errors carry a `LEVEL_` code. */
export class PgStoreError extends Error {
  readonly code = 'LEVEL_IO_ERROR';
  constructor(message: string, cause: unknown) {
    super(`PostgreSQL: ${message}`, { cause });
    this.name = 'PgStoreError';
  }
}

type BatchOp = { type: 'put'; key: Buffer; value: Buffer } | { type: 'del'; key: Buffer };

/**
 * An abstract-level database over one PostgreSQL table (`k bytea PRIMARY KEY, v bytea`),
 * so that sublevels, encodings and ranges are abstract-level's own, exactly as on Level,
 * and every caller of the store stays as it is. A batch is one SQL statement: atomic.
 */
export class PgLevel extends AbstractLevel<Buffer, string, unknown> {
  readonly tables: StoreTables;
  /** The URL without its password, for messages. */
  readonly location: string;
  private pool: Pool | undefined;
  private lock: StoreLock | undefined;
  /** Cluster mode: named locks every process on the store shares (see `Store.withLock`). */
  readonly sharedLocks: AdvisoryLocks | undefined;
  /** The last write issued: the next one waits for it (see `write`). */
  private lastWrite: Promise<unknown> = Promise.resolve();
  /**
   * Cluster mode, once joined: every write commits only while this process's row is in the
   * processes table, and holds a key-share lock on it meanwhile, so that a process reaping
   * this one waits for the write or the write sees it gone (see `_batch`).
   */
  private fencedBy: string | undefined;
  /** Cluster mode: a batch putting a key under this prefix wakes the cluster (NOTIFY on commit). */
  private notifyPrefix: { readonly prefix: Buffer; readonly payload: string } | undefined;

  constructor(private readonly options: PgLevelOptions, dbOptions: AbstractDatabaseOptions<string, unknown>) {
    super({
      encodings: { buffer: true },
      implicitSnapshots: false,
      permanence: true,
      // The schema is always created when missing; createIfMissing: false is not offered.
      createIfMissing: false,
      errorIfExists: false,
      getMany: true,
      clear: true,
      seek: true,
    } as ConstructorParameters<typeof AbstractLevel>[0], dbOptions);
    this.tables = storeTables(options.schema);
    this.location = redactUrl(options.url);
    this.sharedLocks = options.shared === true ? new AdvisoryLocks(options.url, `bridgekit.locks:${this.tables.schema}`) : undefined;
  }

  async _open(): Promise<void> {
    const pool = new Pool({
      connectionString: this.options.url,
      max: this.options.poolSize,
      idleTimeoutMillis: 10_000,
      // An idle pool must not keep a process alive that is otherwise done.
      allowExitOnIdle: true,
      ...(this.options.sync ? {} : { options: '-c synchronous_commit=off' }),
      application_name: 'bridgekit',
    });
    // A connection that dies while idle is the pool's to replace; without a listener it would crash the process.
    pool.on('error', () => undefined);
    let lock: StoreLock | undefined;
    try {
      await migrate(pool, this.tables);
      lock = await StoreLock.take(this.options.url, this.tables, this.location, this.options.shared === true);
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    this.pool = pool;
    this.lock = lock;
  }

  async _close(): Promise<void> {
    const { pool, lock } = this;
    this.pool = undefined;
    this.lock = undefined;
    await this.sharedLocks?.close();
    await pool?.end();
    await lock?.release();
  }

  /** The pool, for checks that read beyond the key-value table (migrations, `doctor`). */
  get connections(): Pool {
    if (!this.pool) throw new PgStoreError('the store is not open', undefined);
    return this.pool;
  }

  /**
   * Runs one statement. A `name` makes it a prepared statement on each connection: parsed and
   * planned once there, not at every call (for the statements run per transaction or per
   * batch; a name stands for one text).
   */
  async query<R extends QueryResultRow>(text: string, params: unknown[], name?: string): Promise<R[]> {
    try {
      return (await this.connections.query<R>(name === undefined ? { text, values: params } : { name, text, values: params })).rows;
    } catch (err) {
      throw err instanceof PgStoreError ? err : new PgStoreError(err instanceof Error ? err.message : String(err), err);
    }
  }

  /**
   * Runs writes one at a time, in the order they were issued. LevelDB applies writes in the
   * order it gets them, and callers rely on it (a batch still committing, then a delete of
   * the same keys issued after it); a pool would run them on several connections at once,
   * and the later could commit first.
   */
  private write(text: string, params: unknown[], name?: string): Promise<unknown[]> {
    const run = this.lastWrite.then(() => this.query(text, params, name));
    this.lastWrite = run.catch(() => undefined);
    return run;
  }

  /**
   * Cluster mode: a batch that puts a key starting with `prefix` (a section's) also sends
   * `payload` on the cluster's wake-up channel, in its own statement: listeners hear it once
   * the batch commits, never before (forwarded messages: their holder reads them at once).
   */
  notifyOnPut(prefix: Buffer, payload: string): void {
    this.notifyPrefix = { prefix, payload };
  }

  /** Cluster mode: from now on every write is fenced by this process's row (see `fencedBy`). */
  fenceWith(processId: string): void {
    this.fencedBy = processId;
  }

  async _get(key: Buffer): Promise<Buffer | undefined> {
    const rows = await this.query<{ v: Buffer }>(`SELECT v FROM ${this.tables.kv} WHERE k = $1`, [key], 'bridgekit_get');
    return rows[0]?.v;
  }

  async _getMany(keys: Buffer[]): Promise<Array<Buffer | undefined>> {
    const rows = await this.query<{ k: Buffer; v: Buffer }>(`SELECT k, v FROM ${this.tables.kv} WHERE k = ANY($1::bytea[])`, [keys], 'bridgekit_get_many');
    const found = new Map(rows.map((row) => [row.k.toString('latin1'), row.v]));
    return keys.map((key) => found.get(key.toString('latin1')));
  }

  async _put(key: Buffer, value: Buffer): Promise<void> {
    await this._batch([{ type: 'put', key, value }]);
  }

  async _del(key: Buffer): Promise<void> {
    await this._batch([{ type: 'del', key }]);
  }

  /**
   * The last operation on each key decides (operations apply in order); the deletes and the
   * upserts then go as one statement, which PostgreSQL applies entirely or not at all.
   */
  async _batch(operations: BatchOp[], options?: PgBatchOptions): Promise<void> {
    const last = new Map<string, BatchOp>();
    for (const op of operations) {
      const id = op.key.toString('latin1');
      last.delete(id); // keeps the map in the order of each key's last operation
      last.set(id, op);
    }
    const delKeys: Buffer[] = [];
    const putKeys: Buffer[] = [];
    const putValues: Buffer[] = [];
    for (const op of last.values()) {
      if (op.type === 'del') delKeys.push(op.key);
      else {
        putKeys.push(op.key);
        putValues.push(op.value);
      }
    }
    const acks = options?.acks ?? [];
    if (this.fencedBy !== undefined || acks.length > 0) {
      await this.fencedBatch(putKeys, putValues, delKeys, acks);
      return;
    }
    const { kv } = this.tables;
    const upsert = `INSERT INTO ${kv} (k, v) SELECT * FROM unnest($1::bytea[], $2::bytea[]) ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v`;
    if (delKeys.length === 0) await this.write(upsert, [putKeys, putValues], 'bridgekit_put');
    else if (putKeys.length === 0) await this.write(`DELETE FROM ${kv} WHERE k = ANY($1::bytea[])`, [delKeys], 'bridgekit_del');
    else await this.write(`WITH gone AS (DELETE FROM ${kv} WHERE k = ANY($3::bytea[])) ${upsert}`, [putKeys, putValues, delKeys], 'bridgekit_put_del');
  }

  /** Marks shared-journal items handled, with nothing else to write (fenced like every write). */
  async acknowledge(acks: readonly JournalAck[]): Promise<void> {
    if (this.status !== 'open') throw new PgStoreError('the store is not open', undefined);
    await this.fencedBatch([], [], [], acks);
  }

  /**
   * Cluster mode: the batch and its acknowledgements as one statement that writes only if
   * this process's row is there (a reaped process writes nothing, and learns it). Still one
   * round trip: the fence is a CTE the writes depend on.
   */
  private async fencedBatch(putKeys: Buffer[], putValues: Buffer[], delKeys: Buffer[], acks: readonly JournalAck[]): Promise<void> {
    const { kv, processes, laneAcks } = this.tables;
    const owner = this.fencedBy;
    const params: unknown[] = [owner ?? '', putKeys, putValues, delKeys, acks.map((a) => a.lane), acks.map((a) => a.seq)];
    const alive = owner === undefined ? 'SELECT $1::text AS id' : `SELECT id FROM ${processes} WHERE id = $1 FOR KEY SHARE`;
    const ok = 'EXISTS (SELECT 1 FROM fence)';
    const wake = this.notifyPrefix;
    const notify = wake !== undefined && putKeys.some((k) => k.subarray(0, wake.prefix.length).equals(wake.prefix));
    if (notify) params.push(`bridgekit_wake_${this.tables.schema}`, wake.payload);
    // One watermark per lane, the lanes in order (two statements never lock them in opposite orders).
    const text = `WITH fence AS (${alive}),
      gone AS (DELETE FROM ${kv} WHERE k = ANY($4::bytea[]) AND ${ok}),
      put AS (INSERT INTO ${kv} (k, v) SELECT k, v FROM unnest($2::bytea[], $3::bytea[]) AS u(k, v) WHERE ${ok}
        ON CONFLICT (k) DO UPDATE SET v = EXCLUDED.v),
      acked AS (INSERT INTO ${laneAcks} (lane, acked) SELECT lane, max(seq) FROM unnest($5::text[], $6::bigint[]) AS a(lane, seq)
        WHERE ${ok} GROUP BY lane ORDER BY lane
        ON CONFLICT (lane) DO UPDATE SET acked = greatest(${laneAcks}.acked, EXCLUDED.acked))${notify ? `,
      woke AS (SELECT pg_notify($7, $8) FROM fence)` : ''}
      SELECT count(*)::int AS alive${notify ? ', (SELECT count(*) FROM woke)::int AS woke' : ''} FROM fence`;
    // A prepared statement per text: the one that also wakes the cluster is named apart.
    const name = `${owner === undefined ? 'bridgekit_acks' : 'bridgekit_fenced_write'}${notify ? '_wake' : ''}`;
    const rows = await this.write(text, params, name) as Array<{ alive: number }>;
    if (owner !== undefined && rows[0]?.alive !== 1) throw new FencedOutError(owner);
  }

  async _clear(options: KeyRange & { reverse: boolean; limit: number }): Promise<void> {
    const params: unknown[] = [];
    const where = rangeWhere(options, params);
    const { kv } = this.tables;
    if (options.limit < 0) {
      await this.write(`DELETE FROM ${kv} WHERE ${where}`, params);
      return;
    }
    params.push(options.limit);
    await this.write(`DELETE FROM ${kv} WHERE k IN (SELECT k FROM ${kv} WHERE ${where} ORDER BY k ${options.reverse ? 'DESC' : 'ASC'} LIMIT $${params.length})`, params);
  }

  _iterator(options: PgIteratorOptions): PgIterator {
    return new PgIterator(this, options as ConstructorParameters<typeof PgIterator>[1]);
  }
}
