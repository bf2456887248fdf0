import { Sections, del, put, type Section, type Store, type WriteOp } from '../store/index.js';
import { seqKey, type DeadLetter, type JournalEntry } from './entries.js';

/**
 * The dead-letter list: items whose handler failed every attempt, kept with the last
 * error. Replaying moves an item back into the journal at the end of the order, so it is
 * handled after whatever arrived since; dropping deletes it for good.
 */
export class DeadLetters {
  private readonly letters: Section<DeadLetter>;
  private readonly journal: Section<JournalEntry>;
  private readonly meta: Section<number>;

  constructor(private readonly store: Store) {
    this.letters = store.section(Sections.deadLetters);
    this.journal = store.section(Sections.journal);
    this.meta = store.section(Sections.inboxMeta);
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
   * `nextSeq` hands out those numbers (the running journal's, or the stored counter).
   */
  async replay(seqs: readonly number[] | undefined, nextSeq: () => number): Promise<JournalEntry[]> {
    const targets = await this.select(seqs);
    const entries: JournalEntry[] = [];
    const ops: WriteOp[] = [];
    for (const letter of targets) {
      const entry: JournalEntry = { seq: nextSeq(), txnId: letter.txnId, receivedAt: letter.receivedAt, item: letter.item };
      entries.push(entry);
      ops.push(del(this.letters, seqKey(letter.seq)), put(this.journal, seqKey(entry.seq), entry));
    }
    if (entries.length > 0) ops.push(put(this.meta, 'nextSeq', entries[entries.length - 1]!.seq + 1));
    await this.store.write(ops);
    return entries;
  }

  private async select(seqs: readonly number[] | undefined): Promise<DeadLetter[]> {
    if (seqs === undefined) return this.list();
    const found = await this.letters.getMany(seqs.map(seqKey));
    return found.filter((l): l is DeadLetter => l !== undefined);
  }
}
