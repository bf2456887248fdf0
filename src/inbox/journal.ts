import type { Transaction } from '../events/types.js';
import { del, put, type Store, type WriteOp } from '../store/index.js';
import type { Committer } from './committer.js';
import { DedupeIndex, ephemeralId, type DedupeOptions, type StoredRecords } from './dedupe.js';
import { seqKey, type DeadLetter, type JournalEntry } from './entries.js';
import type { IdHash } from './id-hash.js';
import { journaledItems, type JournaledItem } from './progress.js';
import { decodeHeader, decodeRecord, encodeRecord, itemsOf, type DecodedRecord, type RecordHeader } from './record.js';
import { inboxSections, type InboxSections } from './sections.js';

/** The next free sequence number: the stored counter, or past the last journaled record. */
export async function readNextSeq(store: Store): Promise<number> {
  const { meta, journal } = inboxSections(store);
  let nextSeq = (await meta.get('nextSeq')) ?? 0;
  for await (const [key, value] of journal.iterator({ reverse: true, limit: 1 })) {
    nextSeq = Math.max(nextSeq, Number(key) + decodeHeader(value).n);
  }
  return nextSeq;
}

export interface AcceptResult {
  /** Newly journaled entries, in the homeserver's order. */
  readonly entries: JournalEntry[];
  /** Items dropped because they were seen before (retried or overlapping transactions). */
  readonly duplicates: number;
}

export interface Accepted extends AcceptResult {
  readonly entries: JournaledItem[];
}

function pick<T>(values: readonly T[], indexes: readonly number[]): readonly T[] {
  return indexes.length === values.length ? values : indexes.map((i) => values[i]!);
}

/**
 * The write-ahead journal of inbound transactions. `accept` returns only once the
 * transaction's record (its body as received) and its dedupe record are in Level, in one
 * atomic batch: that is what makes answering 200 safe. Items are acknowledged per
 * transaction (`progress.ts`); a restart re-parses each record and resumes what is left.
 */
export class Journal {
  private constructor(
    private readonly sections: InboxSections,
    private readonly committer: Committer,
    private readonly dedupe: DedupeIndex,
    private readonly hash: IdHash,
    private nextSeq: number,
  ) {}

  static async open(store: Store, committer: Committer, options: DedupeOptions): Promise<Journal> {
    const sections = inboxSections(store);
    const nextSeq = await readNextSeq(store);
    const dedupe = await DedupeIndex.open(sections.dedupe, options);
    return new Journal(sections, committer, dedupe, options.hash, nextSeq);
  }

  /** `raw` must be the body `txn` was parsed from: a restart parses it again. */
  async accept(txnId: string, txn: Transaction, raw: Uint8Array, now = Date.now()): Promise<Accepted> {
    const items = itemsOf(txn);
    const ids = items.map((item) => item.kind === 'event' ? item.event.event_id
      : ephemeralId(txnId, item.kind === 'ephemeral' ? item.event : item.kind === 'to_device' ? item.message : item.changes));
    const hashes = ids.map((id) => this.hash(id));
    let verdict = this.dedupe.lookup(ids, hashes, now);
    let stored: StoredRecords | undefined;
    while (verdict.unread.length > 0) {
      stored = await this.dedupe.read(verdict.unread, stored);
      verdict = this.dedupe.lookup(ids, hashes, now, stored);
    }
    const { seen, inFlight } = verdict;
    // Synchronous from the last lookup to the commit call: no other accept interleaves.
    const fresh: number[] = [];
    const dups: number[] = [];
    for (let i = 0; i < items.length; i++) (seen[i] ? dups : fresh).push(i);
    if (fresh.length === 0) {
      // Seen in a record still on its way to disk: safe once that lands (commits are in order).
      if (inFlight) await this.committer.commit([]);
      return { entries: [], duplicates: items.length };
    }
    const seq = this.nextSeq;
    this.nextSeq += items.length;
    const key = seqKey(seq);
    const header: RecordHeader = dups.length > 0 ? { t: txnId, r: now, n: items.length, d: dups } : { t: txnId, r: now, n: items.length };
    const remembered = this.dedupe.remember(seq, pick(ids, fresh), pick(hashes, fresh));
    const ops = [
      put(this.sections.journal, key, encodeRecord(header, raw)),
      remembered.op,
      put(this.sections.meta, 'nextSeq', this.nextSeq),
    ];
    // On failure, forget the in-memory record before anything else looks at it.
    const settle = () => this.dedupe.settled(remembered.key);
    try {
      await this.committer.commit(ops, settle);
    } finally {
      settle();
    }
    const skip = dups.length > 0 ? new Set(dups) : undefined;
    return { entries: journaledItems(seq, key, txnId, now, items, skip, [], this.sections), duplicates: dups.length };
  }

  /** The next free sequence number. */
  get next(): number {
    return this.nextSeq;
  }

  /**
   * Never hands out a number below `seq` again: numbers a lost write had used stay
   * unused, so that nothing recorded elsewhere under them (dead letters, logs) is confused.
   */
  skipTo(seq: number): void {
    this.nextSeq = Math.max(this.nextSeq, seq);
  }

  /** Hands out the next sequence number (for items re-entering the journal, e.g. replays). */
  takeSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Everything journaled and not yet handled, in order: the work a restart resumes. Each
   * record is parsed again; its duplicates and the items its progress record lists are
   * skipped. A record that no longer parses is reported and left in place.
   */
  async *pending(onUnreadable: (seq: number, err: unknown) => void): AsyncGenerator<JournaledItem> {
    const handled = new Map<string, readonly number[]>();
    for await (const [key, value] of this.sections.progress.iterator()) handled.set(key, value);
    for await (const [key, value] of this.sections.journal.iterator()) {
      let record: DecodedRecord;
      try {
        record = decodeRecord(value);
      } catch (err) {
        onUnreadable(Number(key), err);
        continue;
      }
      const { header, items } = record;
      const entries = journaledItems(Number(key), key, header.t, header.r, items, header.d && new Set(header.d), handled.get(key) ?? [], this.sections);
      // Everything handled, only the deletion was lost (not expected: it is atomic with the last ack).
      if (entries.length === 0) await this.committer.commit([del(this.sections.journal, key), del(this.sections.progress, key)]);
      yield* entries;
    }
  }

  /** The op(s) that mark an entry handled; committed together with the handler's own writes. */
  ack(entry: JournaledItem): WriteOp[] {
    return entry.txn.ack(entry.index);
  }

  /** Undoes `ack` (or `toDeadLetter`) whose write failed. */
  unack(entry: JournaledItem): void {
    entry.txn.unack(entry.index);
  }

  toDeadLetter(entry: JournaledItem, attempts: number, error: string, now = Date.now()): WriteOp[] {
    const letter: DeadLetter = {
      seq: entry.seq, txnId: entry.txnId, receivedAt: entry.receivedAt, item: entry.item, attempts, error, failedAt: now,
    };
    return [...this.ack(entry), put(this.sections.deadLetters, seqKey(entry.seq), letter)];
  }

  /** Starts a new dedupe generation if the current one is due; resolves once the expired one is deleted. */
  async rotateDedupe(now = Date.now()): Promise<void> {
    await this.dedupe.rotateIfDue(now);
  }
}
