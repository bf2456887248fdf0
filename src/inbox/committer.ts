import type { Section, Store, WriteOp } from '../store/index.js';

/** Ops, or a function that makes them when the batch is put together (to gather late additions). */
export type Ops = readonly WriteOp[] | (() => readonly WriteOp[]);

interface Waiting {
  readonly ops: Ops;
  readonly resolve: () => void;
  readonly reject: (err: unknown) => void;
  readonly onFailed: (() => void) | undefined;
}

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
 */
export class Committer {
  private pending: Waiting[] = [];
  private writing = false;

  constructor(private readonly store: Store) {}

  commit(ops: Ops, onFailed?: () => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ ops, resolve, reject, onFailed });
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
        await this.store.write(coalesce(batch));
        for (const b of batch) b.resolve();
      } catch (err) {
        const failed = [...batch, ...this.pending];
        this.pending = [];
        for (const b of failed) b.onFailed?.();
        for (const b of failed) b.reject(err);
      }
      // Let the I/O of this turn (transactions that arrived while Level wrote) join the next
      // batch: fewer, larger batches, and each one costs a wake-up of a Level thread.
      if (this.pending.length > 0) await new Promise<void>((resolve) => setImmediate(resolve));
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
