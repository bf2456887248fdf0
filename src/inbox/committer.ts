import type { Store, WriteOp } from '../store/index.js';

/**
 * Group commit: writes asked for in the same turn of the event loop go to Level as one
 * batch. Each caller still learns when its own ops are durable; a failed batch fails
 * every caller in it.
 */
export class Committer {
  private pending: Array<{ ops: readonly WriteOp[]; resolve: () => void; reject: (err: unknown) => void }> = [];
  private scheduled = false;

  constructor(private readonly store: Store) {}

  commit(ops: readonly WriteOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    try {
      await this.store.write(batch.flatMap((b) => b.ops));
      for (const b of batch) b.resolve();
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
