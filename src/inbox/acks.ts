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

/** Waits between attempts to record acknowledgements again, doubling per failure in a row. */
export const ACK_RETRY_BASE_MS = 100;
export const ACK_RETRY_MAX_MS = 5_000;

export interface AckQueueEvents {
  /** `count` acknowledgements are durable. */
  readonly durable: (count: number) => void;
  /** A write of acknowledgements failed; they are written again in `retryInMs`. */
  readonly failed: (err: unknown, entries: readonly JournaledItem[], retryInMs: number) => void;
  /** A write went through after `failures` failed ones in a row. */
  readonly recovered: (failures: number) => void;
}

/**
 * Acknowledgements of items whose handler wrote nothing: nothing waits for them, so they
 * need no promise each. They are marked handled at once and written together, one
 * progress write per transaction and batch, in the next batch the committer writes
 * (commits are in order, so after any earlier acknowledgement).
 *
 * A failed write (disk full, say) is not the end of them: the items were handled, only
 * the record of it is missing, so the same acknowledgements are written again, with a
 * growing wait, until the store takes them. Until then they count as not handled.
 */
export class AckQueue {
  private open: AckGroup | undefined;
  private retrying: JournaledItem[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  /** Failed writes in a row (0 once one goes through). */
  private failures = 0;
  private stopped = false;

  constructor(private readonly committer: Committer, private readonly events: AckQueueEvents) {}

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
        () => this.wrote(created.entries.length),
        (err: unknown) => this.failed(err, created.entries),
      );
    }
    group.entries.push(entry);
  }

  /** Acknowledgements not written yet wait for no retry: their items stay journaled for the next start. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Acknowledgements waiting to be written again (after a failed write). */
  get waiting(): number {
    return this.retrying.length;
  }

  private wrote(count: number): void {
    if (this.failures > 0) {
      this.events.recovered(this.failures);
      this.failures = 0;
    }
    this.events.durable(count);
  }

  private failed(err: unknown, entries: readonly JournaledItem[]): void {
    this.failures++;
    const delay = Math.min(ACK_RETRY_MAX_MS, ACK_RETRY_BASE_MS * 2 ** Math.min(this.failures - 1, 16));
    this.events.failed(err, entries, delay);
    if (this.stopped) return;
    this.retrying.push(...entries);
    this.retryTimer ??= setTimeout(() => {
      this.retryTimer = undefined;
      const again = this.retrying;
      this.retrying = [];
      // Undone when their write failed: marking them again puts them in a new group.
      for (const entry of again) this.add(entry);
    }, delay);
  }
}
