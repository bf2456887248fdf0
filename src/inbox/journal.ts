import type { InboundItem, Transaction } from '../events/types.js';
import { Sections, del, put, type Section, type Store, type WriteOp } from '../store/index.js';
import type { Committer } from './committer.js';
import { DedupeWindow, ephemeralId } from './dedupe.js';
import { seqKey, type DeadLetter, type JournalEntry } from './entries.js';

/** The next free sequence number: the stored counter, or past the last journaled entry. */
export async function readNextSeq(store: Store): Promise<number> {
  let nextSeq = (await store.section<number>(Sections.inboxMeta).get('nextSeq')) ?? 0;
  for await (const key of store.section<JournalEntry>(Sections.journal).keys({ reverse: true, limit: 1 })) {
    nextSeq = Math.max(nextSeq, Number(key) + 1);
  }
  return nextSeq;
}

export interface AcceptResult {
  /** Newly journaled entries, in the homeserver's order. */
  readonly entries: JournalEntry[];
  /** Items dropped because they were seen before (retried or overlapping transactions). */
  readonly duplicates: number;
}

/**
 * The write-ahead journal of inbound items. `accept` returns only once a transaction's new
 * items and their dedupe keys are in Level, in one atomic batch: that is what makes
 * answering 200 safe.
 */
export class Journal {
  private readonly journal: Section<JournalEntry>;
  private readonly deadLetters: Section<DeadLetter>;
  private readonly meta: Section<number>;
  /** Ids accepted but not yet durable, so that overlapping accepts do not both take them. */
  private readonly inFlight = new Set<string>();

  private constructor(
    store: Store,
    private readonly committer: Committer,
    private readonly dedupe: DedupeWindow,
    private nextSeq: number,
  ) {
    this.journal = store.section(Sections.journal);
    this.deadLetters = store.section(Sections.deadLetters);
    this.meta = store.section(Sections.inboxMeta);
  }

  static async open(store: Store, committer: Committer, dedupeWindowMs: number): Promise<Journal> {
    const nextSeq = await readNextSeq(store);
    const dedupe = new DedupeWindow(store.section<number>(Sections.seen), dedupeWindowMs);
    await dedupe.prune();
    return new Journal(store, committer, dedupe, nextSeq);
  }

  async accept(txnId: string, txn: Transaction, now = Date.now()): Promise<AcceptResult> {
    const candidates: Array<{ id: string; item: InboundItem }> = [];
    const ids = new Set<string>();
    const add = (id: string, item: InboundItem) => {
      if (ids.has(id)) return; // the same event twice in one body
      ids.add(id);
      candidates.push({ id, item });
    };
    for (const event of txn.events) add(event.event_id, { kind: 'event', event });
    for (const event of txn.ephemeral) add(ephemeralId(txnId, event), { kind: 'ephemeral', event });
    for (const message of txn.toDevice) add(ephemeralId(txnId, message), { kind: 'to_device', message });

    const seen = await this.dedupe.seen(candidates.filter((c) => !this.inFlight.has(c.id)).map((c) => c.id), now);
    // Synchronous from here to the commit call: no other accept interleaves.
    const fresh = candidates.filter((c) => !seen.has(c.id) && !this.inFlight.has(c.id));
    const entries: JournalEntry[] = fresh.map(({ item }) => ({ seq: this.nextSeq++, txnId, receivedAt: now, item }));
    if (entries.length === 0) return { entries, duplicates: candidates.length };

    const ops: WriteOp[] = [];
    for (const [i, entry] of entries.entries()) {
      ops.push(put(this.journal, seqKey(entry.seq), entry), this.dedupe.remember(fresh[i]!.id, now));
      this.inFlight.add(fresh[i]!.id);
    }
    ops.push(put(this.meta, 'nextSeq', this.nextSeq));
    try {
      await this.committer.commit(ops);
    } finally {
      for (const { id } of fresh) this.inFlight.delete(id);
    }
    return { entries, duplicates: candidates.length - entries.length };
  }

  /** Hands out the next sequence number (for items re-entering the journal, e.g. replays). */
  takeSeq(): number {
    return this.nextSeq++;
  }

  /** Everything journaled and not yet handled, in order: the work a restart resumes. */
  async *pending(): AsyncGenerator<JournalEntry> {
    for await (const entry of this.journal.values()) yield entry;
  }

  /** The op that marks an entry handled; committed together with the handler's own writes. */
  ack(entry: JournalEntry): WriteOp {
    return del(this.journal, seqKey(entry.seq));
  }

  toDeadLetter(entry: JournalEntry, attempts: number, error: string, now = Date.now()): WriteOp[] {
    const letter: DeadLetter = { ...entry, attempts, error, failedAt: now };
    return [this.ack(entry), put(this.deadLetters, seqKey(entry.seq), letter)];
  }

  async pruneDedupe(now = Date.now()): Promise<void> {
    await this.dedupe.prune(now);
  }
}
