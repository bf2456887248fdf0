import type { WriteOp } from '../store/index.js';
import type { Committer } from './committer.js';
import type { JournaledItem, TxnProgress } from './progress.js';

/** Acknowledgements gathered until the committer puts its next batch together. */
class AckGroup {
  readonly entries: JournaledItem[] = [];

  /** One write per transaction, however many of its items are in the group. */
  ops(): WriteOp[] {
    const ops: WriteOp[] = [];
    let last: TxnProgress | undefined;
    const seen = new Set<TxnProgress>();
    for (const { txn } of this.entries) {
      if (txn === last || seen.has(txn)) continue;
      seen.add(last = txn);
      ops.push(...txn.op());
    }
    return ops;
  }

  undo(): void {
    for (const { txn, index } of this.entries) txn.unack(index);
  }
}

/**
 * Acknowledgements of items whose handler wrote nothing: nothing waits for them, so they
 * need no promise each. They are marked handled at once and written together, one
 * progress write per transaction and batch, in the next batch the committer writes
 * (commits are in order, so after any earlier acknowledgement).
 */
export class AckQueue {
  private open: AckGroup | undefined;

  constructor(
    private readonly committer: Committer,
    private readonly onDurable: (count: number) => void,
    private readonly onFailed: (err: unknown, entries: readonly JournaledItem[]) => void,
  ) {}

  add(entry: JournaledItem): void {
    entry.txn.mark(entry.index);
    let group = this.open;
    if (!group) {
      const created = group = this.open = new AckGroup();
      this.committer.commit(() => {
        this.open = undefined;
        return created.ops();
      }, () => {
        // A batch before this one failed and takes this group with it, unwritten.
        if (this.open === created) this.open = undefined;
        created.undo();
      }).then(
        () => this.onDurable(created.entries.length),
        (err: unknown) => this.onFailed(err, created.entries),
      );
    }
    group.entries.push(entry);
  }
}
