import type { InboundItem } from '../events/types.js';
import { del, put, type WriteOp } from '../store/index.js';
import type { JournalEntry } from './entries.js';
import type { InboxSections } from './sections.js';

/** A journaled item as the inbox dispatches it: its transaction's progress and its index there. */
export interface JournaledItem extends JournalEntry {
  readonly txn: TxnProgress;
  readonly index: number;
}

/**
 * The indexes handled up to one acknowledgement. Serialized (by the store's JSON encoding)
 * only if its write survives the committer's coalescing: one array per transaction and
 * batch, not one per item. `order` is only ever appended to while this refers to it.
 */
class HandledPrefix {
  constructor(private readonly order: readonly number[], private readonly length: number) {}

  toJSON(): number[] {
    return this.order.slice(0, this.length);
  }
}

/**
 * What is handled of one journaled transaction, in memory. An acknowledgement becomes one
 * write: the progress record (the handled indexes) while items remain, the deletion of
 * the journal and progress records with the last one.
 */
export class TxnProgress {
  /** Handled indexes in the order they were acknowledged. */
  private order: number[];
  private readonly handled: Uint8Array;
  private remaining: number;
  /** A progress record was written, or is on its way: the last acknowledgement deletes it. */
  private recorded: boolean;

  constructor(
    readonly key: string,
    size: number,
    pending: number,
    alreadyHandled: readonly number[],
    private readonly sections: InboxSections,
  ) {
    this.order = [...alreadyHandled];
    this.handled = new Uint8Array(size);
    for (const index of alreadyHandled) this.handled[index] = 1;
    this.remaining = pending;
    this.recorded = alreadyHandled.length > 0;
  }

  get done(): boolean {
    return this.remaining === 0;
  }

  isHandled(index: number): boolean {
    return this.handled[index] === 1;
  }

  /** Marks `index` handled; the op(s) to commit with the handler's writes. Idempotent. */
  ack(index: number): WriteOp[] {
    this.mark(index);
    return this.op();
  }

  /** Marks `index` handled in memory only; `op()` later writes it (with any others marked by then). */
  mark(index: number): void {
    if (this.handled[index] === 0) {
      this.handled[index] = 1;
      this.order.push(index);
      this.remaining--;
    }
  }

  /** The write that records what is marked now: the progress record, or the end of the transaction. */
  op(): WriteOp[] {
    if (this.remaining === 0) return this.finish();
    this.recorded = true;
    // The store's type is the decoded value; HandledPrefix encodes to exactly that.
    return [put(this.sections.progress, this.key, new HandledPrefix(this.order, this.order.length) as unknown as number[])];
  }

  /**
   * Undoes `ack(index)` after its write failed, before anything else is decided: later
   * progress records must not claim an item whose own writes were lost.
   */
  unack(index: number): void {
    if (this.handled[index] === 0) return;
    this.handled[index] = 0;
    this.remaining++;
    // A new array: prefixes taken of the old one (in failed batches) stay as they were.
    this.order = this.order.filter((i) => i !== index);
  }

  /** Deletes the records of a transaction with nothing left to handle. */
  finish(): WriteOp[] {
    const ops = [del(this.sections.journal, this.key)];
    if (this.recorded) ops.push(del(this.sections.progress, this.key));
    return ops;
  }
}

/** The dispatchable items of one record: all of `items` except the `skip`ped indexes. */
export function journaledItems(
  seq: number, key: string, txnId: string, receivedAt: number, items: readonly InboundItem[],
  skip: ReadonlySet<number> | undefined, handled: readonly number[], sections: InboxSections,
): JournaledItem[] {
  const pending = items.length - (skip?.size ?? 0);
  const txn = new TxnProgress(key, items.length, pending - countIn(handled, skip), handled, sections);
  const entries: JournaledItem[] = [];
  for (let index = 0; index < items.length; index++) {
    if (skip?.has(index) || txn.isHandled(index)) continue;
    entries.push({ seq: seq + index, txnId, receivedAt, item: items[index]!, txn, index });
  }
  return entries;
}

/** How many of `handled` are not also in `skip` (a progress record never lists a duplicate, but be exact). */
function countIn(handled: readonly number[], skip: ReadonlySet<number> | undefined): number {
  let n = 0;
  for (const index of handled) if (!skip?.has(index)) n++;
  return n;
}
