import type { Logger } from '../log/logger.js';
import type { InboundItem, Transaction } from '../events/types.js';
import { errorLine, isStoreError, put, type Store, type WriteOp } from '../store/index.js';
import { ACKED_MARK_FILE, AckedMark } from './acked-mark.js';
import { AckQueue } from './acks.js';
import { Committer } from './committer.js';
import { DeadLetters, singleItemRecord } from './dead-letters.js';
import { inboxSections } from './sections.js';
import { Dispatcher, type AttemptObserver, type ItemHandler } from './dispatcher.js';
import { hashId, type IdHash } from './id-hash.js';
import { Journal, type AcceptResult } from './journal.js';
import type { JournaledItem } from './progress.js';
import { noticeLostItems } from './integrity.js';
import { bodyOf } from './record.js';
import { Backlog } from './backlog.js';
import { InboxUnavailable } from './unavailable.js';

export interface InboxOptions {
  readonly maxBacklog: number;
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly dedupeWindowHours: number;
  /** Ids the dedupe window holds at most: a new generation starts at half of this. */
  readonly dedupeMaxIds: number;
  readonly shutdownTimeoutMs: number;
  /** The dedupe index's hash of an id; tests inject a poor one to force collisions. */
  readonly hashId?: IdHash;
}

export const defaultInboxOptions: InboxOptions = {
  maxBacklog: 20_000,
  concurrency: 32,
  maxAttempts: 6,
  retryBaseMs: 500,
  retryMaxMs: 60_000,
  dedupeWindowHours: 72,
  dedupeMaxIds: 1_000_000,
  shutdownTimeoutMs: 10_000,
};

/** Callbacks for metrics; the inbox does not know what counts them. */
export interface InboxHooks {
  /** An item became a dead letter (its last attempt failed and the letter is stored). */
  readonly onDeadLetter?: (item: InboundItem) => void;
  /** At open: items answered 200 in an earlier run are missing from the journal (see `integrity.ts`). */
  readonly onLostItems?: (count: number) => void;
  /** A handler attempt finished (ms it took; whether it threw): for timing without wrapping the handler. */
  readonly onAttempt?: AttemptObserver;
}

/**
 * What the bridge needs of an inbox: the one-process `Inbox` on Level or PostgreSQL, or the
 * cluster's `SharedInbox` (cluster/shared-inbox.ts).
 */
export interface BridgeInbox {
  readonly deadLetters: DeadLetters;
  /** Items journaled here and not yet handled. */
  readonly backlog: number;
  accept(txnId: string, txn: Transaction, raw?: Uint8Array): Promise<AcceptResult>;
  start(): Promise<number>;
  stop(timeoutMs?: number): Promise<boolean>;
  /** After `stop` and everything else that writes, before the store closes (cluster mode: leaves the cluster). */
  close(): Promise<void>;
  drained(): Promise<void>;
  inject(item: InboundItem, txnId: string, ops: readonly WriteOp[]): Promise<void>;
  replayDeadLetters(seqs?: readonly number[]): Promise<number>;
}

export { InboxUnavailable };

/**
 * The durable inbox: journal (200 only after the batch is in Level), dedupe by event_id,
 * per-room dispatch with retries and dead letters, backpressure, and a clean stop.
 */
export class Inbox implements BridgeInbox {
  readonly deadLetters: DeadLetters;
  private readonly waiting: Backlog;
  private accepting = false;
  private pruneTimer?: NodeJS.Timeout;

  private constructor(
    private readonly journal: Journal,
    private readonly committer: Committer,
    private readonly dispatcher: Dispatcher<JournaledItem>,
    private readonly acks: AckQueue,
    private readonly mark: AckedMark,
    private readonly store: Store,
    private readonly options: InboxOptions,
    private readonly logger: Logger,
  ) {
    this.deadLetters = new DeadLetters(this.store);
    this.waiting = new Backlog(options.maxBacklog);
  }

  static async open(store: Store, handler: ItemHandler, options: Partial<InboxOptions>, logger: Logger, hooks: InboxHooks = {}): Promise<Inbox> {
    const opts = { ...defaultInboxOptions, ...options };
    const committer = new Committer(store);
    const journal = await Journal.open(store, committer, {
      windowMs: opts.dedupeWindowHours * 3_600_000,
      maxIds: opts.dedupeMaxIds,
      hash: opts.hashId ?? hashId,
      onPruneError: (err) => logger.warn({ err }, 'deleting an expired dedupe generation failed; the next start retries'),
    });
    await noticeLostItems(store, journal, logger, hooks);
    const mark = new AckedMark(store.folder, journal.next, (err) => {
      logger.warn({ err }, `could not write ${ACKED_MARK_FILE} (the high-water mark that detects a damaged journal); trying again`);
    });
    let inbox: Inbox | undefined;
    const acks = new AckQueue(committer, {
      durable: (count) => inbox!.settled(count),
      failed: (err, entries, retryInMs) => {
        logger.error({ err, items: entries.length, retryInMs }, 'could not record acknowledgements (the store cannot write); writing them again shortly');
      },
      recovered: (failures) => logger.warn({ failedWrites: failures }, 'the store writes again: acknowledgements recorded'),
    });
    // A failed write undoes its acknowledgement in memory (synchronously, see Committer),
    // so that no later progress record claims the item.
    const dispatcher = new Dispatcher<JournaledItem>(handler, {
      done: async (entry, ops) => {
        await committer.commit(journal.ack(entry).concat(ops), () => journal.unack(entry));
        inbox!.settled();
      },
      handled: (entry) => acks.add(entry),
      dead: async (entry, attempts, error) => {
        const message = error instanceof Error ? error.message : String(error);
        await committer.commit(journal.toDeadLetter(entry, attempts, message), () => journal.unack(entry));
        hooks.onDeadLetter?.(entry.item);
        inbox!.settled();
      },
    }, opts, logger, hooks.onAttempt);
    inbox = new Inbox(journal, committer, dispatcher, acks, mark, store, opts, logger);
    return inbox;
  }

  /** Resumes what a previous run journaled and did not finish, then accepts transactions. */
  async start(): Promise<number> {
    let resumed = 0;
    const unreadable = (seq: number, err: unknown) =>
      this.logger.error({ err, seq }, 'a journaled transaction no longer parses; it stays in the journal');
    for await (const entry of this.journal.pending(unreadable)) {
      this.enqueue({ ...entry, redelivered: true });
      resumed++;
    }
    if (resumed > 0) this.logger.info({ resumed }, 'resuming journaled items from the last run');
    this.accepting = true;
    const windowMs = this.options.dedupeWindowHours * 3_600_000;
    this.pruneTimer = setInterval(() => {
      this.journal.rotateDedupe().catch((err: unknown) => this.logger.warn({ err }, 'pruning the dedupe window failed'));
    }, Math.min(windowMs / 4, 2 ** 31 - 1));
    this.pruneTimer.unref();
    return resumed;
  }

  /**
   * Journals a transaction; resolves once it is durable. Throws InboxUnavailable to ask for
   * a retry. `raw` is the request body `txn` was parsed from, stored as it is; without it
   * the inbox serializes `txn` itself (slower).
   */
  async accept(txnId: string, txn: Transaction, raw?: Uint8Array): Promise<AcceptResult> {
    if (!this.accepting) throw new InboxUnavailable('The bridge is not accepting transactions (starting or stopping)', 5_000);
    // One transaction larger than the bound is still taken when nothing is waiting. One with
    // to-device or device data is always taken: Synapse drops those parts from a retry.
    this.waiting.admit(txn);
    if (!raw) ({ txn, raw } = bodyOf(txn));
    let result: AcceptResult & { entries: JournaledItem[] };
    try {
      result = await this.journal.accept(txnId, txn, raw);
    } catch (err) {
      // Not journaled: the homeserver keeps the transaction and sends it again.
      if (isStoreError(err)) throw new InboxUnavailable(`The bridge cannot write to its store (${errorLine(err)}); retry later`, 5_000, err);
      throw err;
    }
    const last = result.entries[result.entries.length - 1];
    if (last) this.mark.advance(last.seq + 1);
    for (const entry of result.entries) this.enqueue(entry);
    return result;
  }

  /** Moves dead letters back into the journal and hands them to the dispatcher. */
  async replayDeadLetters(seqs?: readonly number[]): Promise<number> {
    const entries = await this.deadLetters.replay(seqs, () => this.journal.takeSeq(), (ops) => this.committer.commit(ops));
    for (const entry of entries) this.enqueue({ ...entry, redelivered: true });
    return entries.length;
  }

  /**
   * Journals an item the bridge itself brings back (an event whose room key came late) at
   * the end of the order, in one atomic write with `ops`, then hands it to the dispatcher.
   * It is not checked against the dedupe window: the caller keeps it handled once.
   */
  async inject(item: InboundItem, txnId: string, ops: readonly WriteOp[]): Promise<void> {
    const seq = this.journal.takeSeq();
    const { entry, op } = singleItemRecord(seq, txnId, Date.now(), item, inboxSections(this.store));
    await this.committer.commit([op, put(inboxSections(this.store).meta, 'nextSeq', this.journal.next), ...ops]);
    this.mark.advance(seq + 1);
    this.enqueue({ ...entry, redelivered: true });
  }

  /** Items journaled and not yet handled (or dead-lettered). */
  get backlog(): number {
    return this.waiting.size;
  }

  /** Resolves when every journaled item has been handled or dead-lettered. */
  drained(): Promise<void> {
    return this.waiting.drained();
  }

  /** Stops accepting and lets running handlers finish; unfinished items stay journaled. */
  async stop(timeoutMs = this.options.shutdownTimeoutMs): Promise<boolean> {
    this.accepting = false;
    clearInterval(this.pruneTimer);
    const finished = await this.dispatcher.stop(timeoutMs);
    if (!finished) this.logger.warn({ timeoutMs }, 'handlers still running at shutdown; their items stay journaled');
    if (this.acks.waiting > 0) {
      this.logger.warn({ items: this.acks.waiting }, 'acknowledgements still unwritten at stop (the store cannot write); those items are handled again at the next start');
    }
    this.acks.stop();
    // Let the last acknowledgements reach the store.
    try {
      await this.committer.commit([]);
    } catch (err) {
      this.logger.error({ err }, 'the last acknowledgements could not be written; those items are handled again at the next start');
    }
    await this.mark.flush();
    return finished;
  }

  /** Nothing to let go of: the store's lock goes when it closes. */
  async close(): Promise<void> {}

  private enqueue(entry: JournaledItem): void {
    this.waiting.add();
    this.dispatcher.push(entry);
  }

  private settled(count = 1): void {
    this.waiting.settle(count);
  }
}
