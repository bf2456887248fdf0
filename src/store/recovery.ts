import { statfs } from 'node:fs/promises';
import type { Store } from './store.js';

/** How often a failing store is probed. */
const PROBE_EVERY_MS = 2_000;
/** Reopening is tried at most this often. */
const REOPEN_EVERY_MS = 10_000;

/**
 * A LevelDB failure that outlives its cause. A failed write of the write-ahead log
 * (`….log`) is not: the next write tries again. A failed compaction or table write
 * (`….ldb`, `MANIFEST-…`) is: LevelDB keeps that error and fails every later write with it
 * until the database is reopened (seen on a full tmpfs: space freed, writes still failing).
 */
export function isStickyFailure(problem: string): boolean {
  return /\.(ldb|sst)\b|MANIFEST/.test(problem) && !/\.log\b/.test(problem);
}

/**
 * While a store's writes fail: probes it every few seconds (so recovery is seen without
 * traffic), and when LevelDB holds on to a failure whose cause is gone (there is free space
 * again), reopens the database in place. Ends once a write goes through.
 */
export class StoreRecovery {
  private readonly timer: NodeJS.Timeout;
  private busy = false;
  private lastReopen = 0;

  constructor(private readonly store: Store, private readonly reopen: () => Promise<void>, private readonly neededBytes: number) {
    this.timer = setInterval(() => void this.tick(), PROBE_EVERY_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const { store } = this;
      // A reopen that failed (the disk still full) left it closed: opening again is the way back.
      const closed = store.db.status === 'closed';
      if (!closed) await store.probeWrite();
      const problem = store.health.problem;
      if (problem === undefined) {
        store.recovered();
        return;
      }
      if (!(closed || isStickyFailure(problem)) || Date.now() - this.lastReopen < REOPEN_EVERY_MS) return;
      if (!await this.hasRoom()) return;
      this.lastReopen = Date.now();
      await this.reopen().catch((err: unknown) => store.health.failed(err));
      if (store.db.status === 'open') await store.probeWrite();
    } finally {
      this.busy = false;
    }
  }

  /** Whether the store's disk has room for a memtable's worth of tables again. */
  private async hasRoom(): Promise<boolean> {
    if (this.store.folder === undefined) return true; // PostgreSQL: its disk is the server's
    try {
      const fs = await statfs(this.store.folder);
      return fs.bavail * fs.bsize >= this.neededBytes;
    } catch {
      return true; // Cannot tell: trying costs one reopen.
    }
  }
}
