import type { Store, WriteOp } from '../store/index.js';

interface Waiting {
  readonly ops: readonly WriteOp[];
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
}

/**
 * Group commit: writes asked for while a batch is being written go to Level together as
 * the next batch, one batch at a time, in the order they were asked for. Each caller
 * learns when its own ops are durable; a failed batch fails every caller in it.
 */
export class Committer {
  private pending: Waiting[] = [];
  private writing = false;

  constructor(private readonly store: Store) {}

  commit(ops: readonly WriteOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // Let the rest of this turn of the event loop join the batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.write(batch.flatMap((b) => b.ops));
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    this.writing = false;
  }
}
