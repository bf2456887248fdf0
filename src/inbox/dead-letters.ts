import type { InboundItem } from '../events/types.js';
import { del, put, type Section, type Store, type WriteOp } from '../store/index.js';
import { seqKey, type DeadLetter } from './entries.js';
import { journaledItems, type JournaledItem } from './progress.js';
import { encodeRecord, singleItemBody } from './record.js';
import { inboxSections, type InboxSections } from './sections.js';

/**
 * The dead-letter list: items whose handler failed every attempt, kept with the last
 * error, keyed by the item's sequence number. Replaying moves an item back into the
 * journal at the end of the order (a record of its own, holding a one-item transaction),
 * so it is handled after whatever arrived since; dropping deletes it for good.
 */
export class DeadLetters {
  private readonly letters: Section<DeadLetter>;
  private readonly sections: InboxSections;

  constructor(private readonly store: Store) {
    this.sections = inboxSections(store);
    this.letters = this.sections.deadLetters;
  }

  async list(limit = Infinity): Promise<DeadLetter[]> {
    const out: DeadLetter[] = [];
    for await (const letter of this.letters.values({ limit: Number.isFinite(limit) ? limit : -1 })) out.push(letter);
    return out;
  }

  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.letters.keys()) n++;
    return n;
  }

  /** Deletes the given letters (all when `seqs` is omitted); returns how many were dropped. */
  async drop(seqs?: readonly number[]): Promise<number> {
    const targets = await this.select(seqs);
    await this.store.write(targets.map((l) => del(this.letters, seqKey(l.seq))));
    return targets.length;
  }

  /**
   * Moves letters back into the journal with fresh sequence numbers, atomically.
   * `nextSeq` hands out those numbers (the running journal's, or the stored counter);
   * `write` is the running inbox's committer, or the store itself.
   */
  async replay(
    seqs: readonly number[] | undefined,
    nextSeq: () => number,
    write: (ops: readonly WriteOp[]) => Promise<void> = (ops) => this.store.write(ops),
  ): Promise<JournaledItem[]> {
    const targets = await this.select(seqs);
    const entries: JournaledItem[] = [];
    const ops: WriteOp[] = [];
    let last = -1;
    for (const letter of targets) {
      const seq = last = nextSeq();
      const single = singleItemRecord(seq, letter.txnId, letter.receivedAt, letter.item, this.sections);
      entries.push(single.entry);
      ops.push(del(this.letters, seqKey(letter.seq)), single.op);
    }
    if (entries.length > 0) ops.push(put(this.sections.meta, 'nextSeq', last + 1));
    await write(ops);
    return entries;
  }

  private async select(seqs: readonly number[] | undefined): Promise<DeadLetter[]> {
    if (seqs === undefined) return this.list();
    const found = await this.letters.getMany(seqs.map(seqKey));
    return found.filter((l): l is DeadLetter => l !== undefined);
  }
}

/** A one-item record for `item` at `seq` (an item re-entering the journal), and its entry. */
export function singleItemRecord(
  seq: number, txnId: string, receivedAt: number, item: InboundItem, sections: InboxSections,
): { entry: JournaledItem; op: WriteOp } {
  const key = seqKey(seq);
  const record = encodeRecord({ t: txnId, r: receivedAt, n: 1 }, singleItemBody(item));
  return { entry: journaledItems(seq, key, txnId, receivedAt, [item], undefined, [], sections)[0]!, op: put(sections.journal, key, record) };
}
