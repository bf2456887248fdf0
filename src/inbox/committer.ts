import type { Section, Store, WriteOp } from '../store/index.js';

/** Ops, or a function that makes them when the batch is put together (to gather late additions). */
export type Ops = readonly WriteOp[] | (() => readonly WriteOp[]);

interface Waiting {
  readonly ops: Ops;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly onFailed: (() => void) | undefined;
}

/** How soon a commit goes to the store (see `Committer.commit`). */
export type Urgency = 'gather' | 'answer';

/**
 * Group commit: writes asked for while a batch is being written go to Level together as
 * the next batch, one batch at a time, in the order they were asked for. Each caller
 * learns when its own ops are durable.
 *
 * A failed batch fails every caller in it and every caller queued behind it: what was
 * asked for later may have been decided on the assumption that the earlier write lands
 * (e.g. the acknowledgement that completes a transaction). Their `onFailed` callbacks all
 * run, synchronously, before any caller hears of it, so nothing is decided in between on
 * state that the failure undid.
 *
 * Two speeds. A commit an answer waits for (`'answer'`: a transaction's journal record, the
 * 200 waits for it) goes to the store as soon as the batch before it is written, with
 * whatever else is waiting then. Others (`'gather'`: acknowledgements, a handler's writes)
 * let the rest of the event loop's turn join them first: fewer, larger batches. A turn can
 * be long while handlers work through a burst (rooms fetched at a start, commands
 * answered), and a 200 that waited for it paid for all of that work (docs/performance.md,
 * session 11).
 */
export class Committer {
  private pending: Waiting[] = [];
  private writing = false;
  /** A commit an answer waits for is pending: write without waiting for the turn to end. */
  private answerWaiting = false;
  /** Set while the drain waits for the turn to end: how to cut that wait short. */
  private wake: (() => void) | undefined;

  constructor(private readonly store: Store) {}

  commit(ops: Ops, onFailed?: () => void, urgency: Urgency = 'gather'): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject, onFailed });
      if (urgency === 'answer') {
        this.answerWaiting = true;
        this.wake?.();
      }
      if (!this.writing) {
        this.writing = true;
        void this.drain();
      }
    });
  }

  /**
   * Until the turn ends (setImmediate), or at once for an answer: after the code that asked
   * has run on, so that commits of the same run (a transaction's items, a handler's
   * acknowledgements, which are made functions evaluated when the batch is put together)
   * join the batch either way.
   */
  private gather(): Promise<void> {
    if (this.answerWaiting) return new Promise((resolve) => queueMicrotask(resolve));
    return new Promise<void>((resolve) => {
      const immediate = setImmediate(() => { this.wake = undefined; resolve(); });
      this.wake = () => {
        this.wake = undefined;
        clearImmediate(immediate);
        queueMicrotask(resolve);
      };
    });
  }

  private async drain(): Promise<void> {
    await this.gather();
    while (this.pending.length > 0) {
      this.answerWaiting = false;
      const batch = this.pending;
      this.pending = [];
      try {
        await this.store.write(coalesce(batch));
        for (const b of batch) b.resolve();
      } catch (err) {
        const failed = [...batch, ...this.pending];
        this.pending = [];
        for (const b of failed) b.onFailed?.();
        for (const b of failed) b.reject(err);
      }
      // Let the I/O of this turn (transactions that arrived while Level wrote) join the next
      // batch: fewer, larger batches, and each one costs a wake-up of a Level thread; but
      // not when an answer waits (see the class).
      if (this.pending.length > 0) await this.gather();
    }
    this.writing = false;
  }
}

/**
 * The batch's ops with only the last write to each key (of each section) kept, in its
 * place: the same result, since later writes in a batch win anyway, and far fewer writes
 * when many acknowledgements of one transaction meet in a batch.
 */
export function coalesce(batch: readonly { readonly ops: Ops }[]): readonly WriteOp[] {
  const opsOf = (b: { readonly ops: Ops }) => typeof b.ops === 'function' ? b.ops() : b.ops;
  const ops = batch.length === 1 ? opsOf(batch[0]!) : batch.flatMap(opsOf);
  if (ops.length < 2) return ops;
  const last = new Map<Section<unknown>, Map<string, number>>();
  let superseded = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    let keys = last.get(op.section);
    if (!keys) last.set(op.section, keys = new Map());
    if (keys.has(op.key)) superseded++;
    keys.set(op.key, i);
  }
  return superseded === 0 ? ops : ops.filter((op, i) => last.get(op.section)!.get(op.key) === i);
}
