import { KeyedQueue } from '../util/keyed-queue.js';
import { Level } from 'level';
import type { AbstractBatchOperation, AbstractBatchOptions, AbstractLevel, AbstractSublevel } from 'abstract-level';
import { stringifyJson } from '../json/index.js';
import { Sections } from './layout.js';
import { describeOpenFailure, describePgOpenFailure } from './open-error.js';
import { isFencedOut, PgLevel } from './postgres/pg-level.js';
import { DEFAULT_SCHEMA } from './postgres/sql.js';
import { StoreRecovery } from './recovery.js';
import { WriteHealth, isStoreError } from './write-health.js';

/** A put for `Store.rawBatch`: the key with its section's prefix, the value already JSON. */
export interface RawPut { readonly type: 'put'; readonly key: string; readonly value: string; readonly valueEncoding: 'utf8' }

/** The database under the store: LevelDB (`Level`) or PostgreSQL (`PgLevel`), one abstract-level contract. */
export type StoreDb = AbstractLevel<string | Buffer | Uint8Array, string, unknown>;

/** A named section of the store: a sublevel with JSON values. */
export type Section<V> = AbstractSublevel<StoreDb, string | Buffer | Uint8Array, string, V>;

/** One operation of an atomic write across sections. */
export type WriteOp =
  | { readonly type: 'put'; readonly section: Section<unknown>; readonly key: string; readonly value: unknown }
  | { readonly type: 'del'; readonly section: Section<unknown>; readonly key: string };

/**
 * A part that keeps some writes in memory until the next batch (the mirror's write-behind):
 * every batch the store writes takes them along, in the same atomic write. So whatever was
 * handed over before a write was asked for is durable no later than that write.
 */
export interface BatchRider {
  /** Whether anything is waiting to ride. */
  readonly waiting: boolean;
  /** The ops to add to the batch being put together (they go first: the caller's own ops win a shared key). */
  take(): readonly WriteOp[];
  /** The batch that carried `ops` is durable (`ok`) or failed (then the rider keeps them for a later batch). */
  settled(ops: readonly WriteOp[], ok: boolean): void;
}

export interface StoreOptions {
  /**
   * fsync every write. Off by default: a write that returned is in the OS page cache,
   * which survives a crash of the process (SIGKILL) but not of the machine.
   */
  readonly sync?: boolean;
  /** LevelDB's block cache, bytes (default `DEFAULT_CACHE_BYTES`). */
  readonly cacheBytes?: number;
  /** LevelDB's memtable size before it is written to a table file, bytes (default `DEFAULT_WRITE_BUFFER_BYTES`). */
  readonly writeBufferBytes?: number;
}

export interface PostgresStoreOptions {
  /** Wait for the server's WAL flush at every commit (see `PgLevelOptions.sync`). */
  readonly sync?: boolean;
  /** The schema holding bridgekit's tables (default `public`). */
  readonly schema?: string;
  /** Connections in the pool (default `DEFAULT_POOL_SIZE`). */
  readonly poolSize?: number;
  /** Cluster mode: several processes share the store (see `PgLevelOptions.shared`). */
  readonly shared?: boolean;
}

/** What else a write commits atomically with its ops (PostgreSQL cluster mode only). */
export interface WriteExtras {
  /** Shared-journal items marked handled in the same transaction. */
  readonly acks?: readonly number[];
}

/** The config's `store` section: a Level folder (`path`) or a PostgreSQL database (`url`). */
export type StoreConfig = StoreOptions & PostgresStoreOptions & { readonly path?: string | undefined; readonly url?: string | undefined };

export const DEFAULT_POOL_SIZE = 8;

/**
 * A block cache a quarter of LevelDB's 8 MiB. Its memory is native, allocated by whichever
 * worker thread runs a read, so it lands in several malloc arenas that keep it; and what
 * the mirror reads is small records the OS page cache keeps hot anyway. The memtable stays
 * at LevelDB's 4 MiB: a smaller one means more flushes and compactions of the journal,
 * which cost the intake about 1 µs of CPU per event. docs/performance.md has the figures.
 */
/** LevelDB's own batch option (abstract-level's types do not know it). */
const SYNC = { sync: true } as AbstractBatchOptions<string, unknown>;

/**
 * Level's `json` encoding, except that a value nested too deep for `JSON.stringify`
 * (anything a homeserver or a remote network sent) is still written, not refused.
 */
const JSON_VALUES = {
  name: 'bridgekit-json',
  format: 'utf8' as const,
  encode: (value: unknown): string => stringifyJson(value),
  decode: (text: string): unknown => JSON.parse(text) as unknown,
};

/** How often `writeProblem` may probe a failing store. */
const PROBE_INTERVAL_MS = 1_000;

export const DEFAULT_CACHE_BYTES = 2 * 1024 * 1024;
export const DEFAULT_WRITE_BUFFER_BYTES = 4 * 1024 * 1024;

/**
 * The embedded Level database. Every part of bridgekit keeps its data in a named
 * section (see `layout.ts`), and writes that must happen together go through `write`
 * as one atomic batch.
 */
export class Store {
  private readonly sections = new Map<string, Section<unknown>>();
  /** Writes asked for while a batch is being written: they go as the next batch. */
  private waiting: Array<{ ops: readonly WriteOp[]; extras?: WriteExtras; resolve: () => void; reject: (err: unknown) => void }> = [];
  private writing = false;
  private readonly riders: BatchRider[] = [];
  /** Whether writes go through; `writeProblem` probes a failing store. */
  readonly health = new WriteHealth();
  private lastProbe = 0;
  private recovery: StoreRecovery | undefined;
  private closing = false;
  /** Named locks when one process owns the store: a queue per key. */
  private readonly localLocks = new KeyedQueue();
  /** Told when the store was reopened to clear a failure LevelDB keeps until then (for the log). */
  onReopened: ((cause: string) => void) | undefined;

  /**
   * @param folder the Level store's folder; undefined on PostgreSQL, whose durability
   *   needs no file beside it (see `inbox/acked-mark.ts`)
   */
  private constructor(
    readonly db: StoreDb, private readonly sync: boolean, private readonly writeBufferBytes: number, readonly folder: string | undefined,
  ) {}

  /** Opens the store the config names: PostgreSQL when it has a `url`, else the Level folder at `path`. */
  static openConfigured(config: StoreConfig): Promise<Store> {
    if (config.url !== undefined) return Store.openPostgres(config.url, config);
    if (config.path === undefined) throw new TypeError('store: neither path nor url is set');
    return Store.open(config.path, config);
  }

  /** Opens (creating and migrating the schema when needed) a store in a PostgreSQL database. */
  static async openPostgres(url: string, options: PostgresStoreOptions = {}): Promise<Store> {
    const db = new PgLevel({
      url, schema: options.schema ?? DEFAULT_SCHEMA, poolSize: options.poolSize ?? DEFAULT_POOL_SIZE, sync: options.sync ?? false,
      shared: options.shared ?? false,
    }, { valueEncoding: JSON_VALUES });
    try {
      await db.open();
    } catch (err) {
      throw describePgOpenFailure(db.location, err);
    }
    return new Store(db as unknown as StoreDb, false, DEFAULT_WRITE_BUFFER_BYTES, undefined);
  }

  static async open(path: string, options: StoreOptions = {}): Promise<Store> {
    const db = new Level<string, unknown>(path, {
      valueEncoding: JSON_VALUES,
      cacheSize: options.cacheBytes ?? DEFAULT_CACHE_BYTES,
      writeBufferSize: options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES,
    });
    try {
      await db.open();
    } catch (err) {
      throw describeOpenFailure(path, err);
    }
    return new Store(db, options.sync ?? false, options.writeBufferBytes ?? DEFAULT_WRITE_BUFFER_BYTES, path);
  }

  /** Where the store is, for messages: the Level folder, or the database URL without its password. */
  get location(): string {
    return (this.db as unknown as { location: string }).location;
  }

  /** Cluster mode: every write from now on is fenced by this process's membership (PostgreSQL only). */
  fenceWith(processId: string): void {
    if (!(this.db instanceof PgLevel)) throw new TypeError('cluster mode needs the PostgreSQL store');
    this.db.fenceWith(processId);
  }

  /** The PostgreSQL database under the store, for the parts that read and write beyond key-value (cluster mode); undefined on Level. */
  get postgres(): PgLevel | undefined {
    return this.db instanceof PgLevel ? this.db : undefined;
  }

  /**
   * Runs `work` under the lock named `key`: one at a time per key among every process on
   * the store (cluster mode: a PostgreSQL advisory lock; else a queue in this process).
   * For rare sections that must not run twice at once, such as creating a room once.
   */
  withLock<T>(key: string, work: () => Promise<T>): Promise<T> {
    const shared = this.postgres?.sharedLocks;
    return shared ? shared.withLock(key, work) : this.localLocks.run(key, work);
  }

  /** Which backend holds the data. */
  get backend(): 'level' | 'postgres' {
    return this.folder === undefined ? 'postgres' : 'level';
  }

  section<V>(name: string): Section<V> {
    let section = this.sections.get(name);
    if (!section) {
      section = this.db.sublevel<string, unknown>(name, { valueEncoding: JSON_VALUES });
      this.sections.set(name, section);
    }
    return section as unknown as Section<V>;
  }

  /** A section whose values are bytes, written as given (the inbox journal's records). */
  bytesSection(name: string): Section<Buffer> {
    let section = this.sections.get(name);
    if (!section) {
      section = this.db.sublevel<string, Buffer>(name, { valueEncoding: 'buffer' }) as unknown as Section<unknown>;
      this.sections.set(name, section);
    }
    return section as unknown as Section<Buffer>;
  }

  /**
   * Applies every operation or none, and resolves once they are written. Writes asked for
   * while a batch is being written are grouped into the next batch, in the order asked:
   * under load, many rooms' small writes cost one Level batch (whose fixed cost dominates).
   * A failed batch fails every write in it.
   */
  write(ops: readonly WriteOp[], extras?: WriteExtras): Promise<void> {
    if (ops.length === 0 && !extras?.acks?.length) return Promise.resolve();
    if (extras && !(this.db instanceof PgLevel)) return Promise.reject(new TypeError('write extras need the PostgreSQL store'));
    return new Promise((resolve, reject) => {
      this.waiting.push(extras ? { ops, extras, resolve, reject } : { ops, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        void this.drain();
      }
    });
  }

  /** Rides along with every batch from now on (see BatchRider). */
  addRider(rider: BatchRider): void {
    this.riders.push(rider);
  }

  removeRider(rider: BatchRider): void {
    const at = this.riders.indexOf(rider);
    if (at >= 0) this.riders.splice(at, 1);
  }

  /** Writes what the riders hold now (with any writes already asked for); resolves once it is durable. */
  flush(): Promise<void> {
    if (!this.writing && !this.riders.some((r) => r.waiting)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ ops: [], resolve, reject });
      if (!this.writing) {
        this.writing = true;
        void this.drain();
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      const group = this.waiting;
      this.waiting = [];
      // A copy: a rider removed while the batch is written still hears how it went.
      const riders = this.riders.length === 0 ? NO_RIDERS : [...this.riders];
      const riding = riders.map((r) => r.take());
      const batch: Array<AbstractBatchOperation<StoreDb, string, unknown>> = [];
      for (const ops of riding) for (const op of ops) batch.push(levelOp(op));
      let acks: number[] | undefined;
      for (const { ops, extras } of group) {
        for (const op of ops) batch.push(levelOp(op));
        if (extras?.acks) (acks ??= []).push(...extras.acks);
      }
      let ok = true;
      try {
        if (batch.length > 0 || acks) await this.batch(batch, acks);
      } catch (err) {
        ok = false;
        // The riders first: a caller told of the failure may look at what they hold.
        riding.forEach((ops, i) => riders[i]!.settled(ops, false));
        for (const w of group) w.reject(err);
      }
      if (ok) {
        riding.forEach((ops, i) => riders[i]!.settled(ops, true));
        for (const w of group) w.resolve();
      }
    }
    this.writing = false;
  }

  /**
   * Pre-encoded puts straight to the root database (keys already carry their section's
   * prefix, values are already JSON), for bulk loads whose per-operation cost matters.
   * Not grouped with other writes; fsynced like them when `sync` is on.
   */
  rawBatch(ops: readonly RawPut[]): Promise<void> {
    return this.batch(ops as RawPut[]);
  }

  /**
   * Why the store cannot write (one line naming the file and the OS error), or undefined
   * when it can. While writes are failing, a probe write (at most one a second) finds out
   * whether the fault has cleared, even when nothing else is writing.
   */
  async writeProblem(now = Date.now()): Promise<string | undefined> {
    if (!this.health.failing) return undefined;
    if (now - this.lastProbe >= PROBE_INTERVAL_MS) await this.probeWrite(now);
    return this.health.problem;
  }

  /** Writes (and deletes) one key: a success ends a run of failures (see `health`). */
  async probeWrite(now = Date.now()): Promise<void> {
    this.lastProbe = now;
    const probe = this.section<number>(Sections.doctorProbe);
    await this.write([put(probe, 'ready', now), del(probe, 'ready')]).catch(() => undefined);
  }

  /**
   * The database's batch, fsynced when `sync` is on (Level; PostgreSQL's is set per
   * connection). Any options object sends Level down a slow path (it copies the options
   * per operation): one is passed only when it changes something.
   */
  private async batch(ops: Array<AbstractBatchOperation<StoreDb, string, unknown>>, acks?: readonly number[]): Promise<void> {
    try {
      // abstract-level skips an empty batch without calling the database: acknowledgements alone go directly.
      if (acks && ops.length === 0) await (this.db as unknown as PgLevel).acknowledge(acks);
      else if (acks) await this.db.batch(ops, { acks } as AbstractBatchOptions<string, unknown>);
      else await (this.sync ? this.db.batch(ops, SYNC) : this.db.batch(ops));
    } catch (err) {
      // A value that would not encode is the caller's bug, not the disk's; a fenced-out
      // process's write is refused by the cluster, not failed by the database.
      if (isStoreError(err) && !isFencedOut(err)) {
        this.health.failed(err);
        this.recovery ??= new StoreRecovery(this, () => this.reopen(), this.writeBufferBytes * 2);
      }
      throw err;
    }
    if (this.health.failing) this.health.succeeded();
  }

  /**
   * Closes and opens the database in place, sections too: the only way out of a failure
   * LevelDB keeps once it happened (a compaction that failed on a full disk fails every
   * later write, even after space is freed). Operations during it fail like any store
   * failure, and are retried as such.
   */
  private async reopen(): Promise<void> {
    if (this.closing) return;
    const cause = this.health.problem ?? 'unknown';
    if (this.db.status === 'open') await this.db.close();
    await this.db.open();
    for (const section of this.sections.values()) await section.open();
    this.onReopened?.(cause);
  }

  /** Called by the recovery loop when the store writes again, or is closing. */
  recovered(): void {
    this.recovery?.stop();
    this.recovery = undefined;
  }

  async close(): Promise<void> {
    this.closing = true;
    this.recovered();
    await this.db.close();
  }
}

const NO_RIDERS: readonly BatchRider[] = [];

function levelOp(op: WriteOp): AbstractBatchOperation<StoreDb, string, unknown> {
  return op.type === 'put'
    ? { type: 'put', sublevel: op.section, key: op.key, value: op.value }
    : { type: 'del', sublevel: op.section, key: op.key };
}

/** Builds write operations for one section, so callers need not repeat it. */
export function put<V>(section: Section<V>, key: string, value: V): WriteOp {
  return { type: 'put', section: section as Section<unknown>, key, value };
}

export function del<V>(section: Section<V>, key: string): WriteOp {
  return { type: 'del', section: section as Section<unknown>, key };
}
