import type { BatchRider, Section, Store, WriteOp } from '../store/index.js';

type Layer = Map<Section<unknown>, Map<string, WriteOp>>;

/** Before a retry after a failed write (when nothing else writes in between). */
const RETRY_MS = 1_000;
/**
 * How long staged ops wait for another batch (the inbox's next journal or acknowledgement
 * write, usually well within it) before they are written on their own.
 */
const RIDE_WAIT_MS = 5;

/**
 * The mirror's writes, kept in memory until the store's next batch takes them (see
 * BatchRider): a room's events no longer wait for a write each, and the writes of many
 * events go to disk together, one per key (a room's record once, not once per event).
 *
 * Why it is safe: `stage` runs before `apply` resolves, so before the handler finishes
 * and before the item's acknowledgement is asked for; the batch that writes the
 * acknowledgement takes every staged op along, or a batch before it did. After a crash
 * the disk holds a prefix of each room's applied events, and the items after it, not
 * acknowledged, are delivered again (and recognised through the event index where their
 * writes did land). A failed batch gives its ops back, unless a later value of the same
 * key is staged by then; they go with the next batch.
 *
 * A read of a key that is staged or being written (`holds`), and every range read, waits
 * until what is staged is on disk (`settle`): the disk stays the one place state is read
 * from, and a read of anything else does not wait.
 */
export class WriteBehind implements BatchRider {
  private staged: Layer = new Map();
  private stagedOps = 0;
  /** Taken by the batch being written: still not on disk. */
  private flying: Layer | undefined;
  private scheduled = false;
  /** Set by `discard` while a batch is being written: its ops, if it fails, are not given back. */
  private discardFlying: ((op: WriteOp) => boolean) | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly flushSoon = () => {
    if (!this.scheduled) return;
    this.store.flush().catch(() => undefined); // the failure gave the ops back; retried below
  };

  constructor(private readonly store: Store) {
    store.addRider(this);
  }

  get waiting(): boolean {
    return this.stagedOps > 0;
  }

  /** Whether anything is staged or being written. */
  get busy(): boolean {
    return this.stagedOps > 0 || this.flying !== undefined;
  }

  put<V>(section: Section<V>, key: string, value: V): void {
    this.stage({ type: 'put', section: section as Section<unknown>, key, value });
  }

  del<V>(section: Section<V>, key: string): void {
    this.stage({ type: 'del', section: section as Section<unknown>, key });
  }

  /** Whether the key is staged or being written: not on disk yet. */
  holds(section: Section<unknown>, key: string): boolean {
    return this.staged.get(section)?.has(key) === true || this.flying?.get(section)?.has(key) === true;
  }

  /** Resolves once everything staged so far is on disk. */
  async settle(): Promise<void> {
    while (this.busy) await this.store.flush();
  }

  /** Writes what is staged and rides no more. */
  async close(): Promise<void> {
    try {
      await this.settle();
    } finally {
      clearTimeout(this.retryTimer);
      this.store.removeRider(this);
    }
  }

  /**
   * Drops staged ops without writing them (all, or those `which` picks) and returns how
   * many. For a process fenced out of its rooms: another process holds them now, and these
   * writes would overwrite its. Ops of a batch being written cannot be called back; if that
   * batch fails, the dropped ones are not given back.
   */
  discard(which: (op: WriteOp) => boolean = () => true): number {
    let dropped = 0;
    for (const keys of this.staged.values()) {
      for (const [key, op] of keys) {
        if (!which(op)) continue;
        keys.delete(key);
        dropped++;
      }
    }
    this.stagedOps -= dropped;
    if (this.flying) {
      const before = this.discardFlying;
      this.discardFlying = before ? (op) => before(op) || which(op) : which;
    }
    return dropped;
  }

  take(): readonly WriteOp[] {
    this.scheduled = false;
    if (this.stagedOps === 0) return NO_OPS;
    const ops: WriteOp[] = [];
    for (const keys of this.staged.values()) for (const op of keys.values()) ops.push(op);
    this.flying = this.staged;
    this.staged = new Map();
    this.stagedOps = 0;
    return ops;
  }

  settled(ops: readonly WriteOp[], ok: boolean): void {
    if (ops.length === 0) return;
    this.flying = undefined;
    const discarded = this.discardFlying;
    this.discardFlying = undefined;
    if (ok) return;
    // Back into the stage, unless a later write of the key is there already (or it was discarded meanwhile).
    for (const op of ops) {
      if (discarded?.(op) === true) continue;
      const keys = this.layer(op.section);
      if (!keys.has(op.key)) {
        keys.set(op.key, op);
        this.stagedOps++;
      }
    }
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      this.scheduled = true;
      this.flushSoon();
    }, RETRY_MS);
    this.retryTimer.unref();
  }

  private stage(op: WriteOp): void {
    const keys = this.layer(op.section);
    if (!keys.has(op.key)) this.stagedOps++;
    keys.set(op.key, op);
    if (!this.scheduled) {
      // Most batches are the inbox's, which take the ops along; this one is for when none comes.
      this.scheduled = true;
      setTimeout(this.flushSoon, RIDE_WAIT_MS);
    }
  }

  private layer(section: Section<unknown>): Map<string, WriteOp> {
    let keys = this.staged.get(section);
    if (!keys) this.staged.set(section, keys = new Map());
    return keys;
  }
}

const NO_OPS: readonly WriteOp[] = [];
