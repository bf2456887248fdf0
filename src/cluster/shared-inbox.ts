import type { Logger } from '../log/logger.js';
import type { InboundItem, Transaction } from '../events/types.js';
import { isFencedOut, type JournalAck, type PgLevel, type Store, type WriteOp } from '../store/index.js';
import { DeadLetters } from '../inbox/dead-letters.js';
import { Dispatcher, type ItemHandler } from '../inbox/dispatcher.js';
import { itemsOf } from '../inbox/record.js';
import { InboxUnavailable, defaultInboxOptions, type InboxOptions } from '../inbox/inbox.js';
import type { AcceptResult } from '../inbox/journal.js';
import { Backlog } from '../inbox/backlog.js';
import { AckBatcher } from './ack-batcher.js';
import { LaneBook } from './lane-book.js';
import { IntakeSteps } from './intake-steps.js';
import { JournalPruner } from './journal-pruner.js';
import { JournaledHere } from './journaled-here.js';
import { importLocalJournal } from './import-journal.js';
import { Membership, wakeChannel } from './membership.js';
import { Leadership } from './leadership.js';
import type { ClusterHooks, ClusterSettings } from './settings.js';
import { deadLetterOp, idOf, injectItem, itemOf, newItem, replayDeadLetters, unavailableFor, type SharedEntry } from './journal-items.js';
import { RoomCaches } from './room-caches.js';
import { SharedJournal, type JournalRow, type NewItem } from './shared-journal.js';

/** Journal rows (transactions) read at most per query: a flood is read in pages, the dispatcher's backlog stays bounded. */
const PAGE = 200;
const IDLE_RELEASE_MS = 30_000;

/**
 * The inbox of a process in cluster mode: the same contract as `Inbox` (200 only once the
 * items are durable, each handled once, in order per room) with the journal shared by
 * every process in PostgreSQL. Any process journals what it is sent; each lane (a room)
 * is handled by the process that leases it, which reads its items from the journal. A
 * handler's writes commit with the item's acknowledgement in one fenced statement, so a
 * process that lost its membership cannot acknowledge anything another now handles.
 */
export class SharedInbox {
  readonly deadLetters: DeadLetters;
  private readonly journal: SharedJournal;
  private readonly dispatcher: Dispatcher<SharedEntry>;
  private readonly acks: AckBatcher;
  private readonly lanes = new LaneBook();
  /** Everything committed below this was seen (dispatched, or in a lane another process holds). */
  private next = 0;
  private readonly steps = new IntakeSteps(() => this.stopped, (err) => {
    if (isFencedOut(err)) return this.fencedOut();
    this.logger.warn({ err }, 'reading the shared journal failed; trying again at the next poll');
  });
  private readonly waiting: Backlog;
  private accepting = false;
  private stopped = false;
  private pollTimer: NodeJS.Timeout | undefined;
  private readonly pruner: JournalPruner;
  private readonly here = new JournaledHere();
  private readonly leadership: Leadership;
  private fenced = false;
  private membership!: Membership;
  private readonly wakeListeners = new Set<() => void>();

  private constructor(
    private readonly store: Store,
    private readonly db: PgLevel,
    processId: string,
    handler: ItemHandler,
    private readonly options: InboxOptions,
    private readonly settings: ClusterSettings,
    private readonly caches: RoomCaches,
    private readonly logger: Logger,
    private readonly hooks: ClusterHooks,
  ) {
    this.deadLetters = new DeadLetters(store);
    this.waiting = new Backlog(options.maxBacklog);
    this.journal = new SharedJournal(db, processId);
    this.pruner = new JournalPruner(this.journal, logger);
    this.leadership = new Leadership(settings, this.journal, hooks, logger);
    this.acks = new AckBatcher(store, {
      durable: (lanes) => {
        for (const lane of lanes) this.lanes.settled(lane);
        this.waiting.settle(lanes.length);
      },
      failed: (err, count) => {
        if (isFencedOut(err)) return this.fencedOut();
        logger.error({ err, items: count }, 'could not record acknowledgements; writing them again shortly');
      },
    });
    this.dispatcher = new Dispatcher<SharedEntry>(handler, {
      done: async (entry, ops) => {
        await this.commit(ops, [{ lane: entry.lane, seq: entry.seq }]);
        this.settled(entry.lane);
      },
      handled: (entry) => this.acks.add(entry.seq, entry.lane),
      dead: async (entry, attempts, error) => {
        await this.commit([deadLetterOp(store, entry, attempts, error)], [{ lane: entry.lane, seq: entry.seq }]);
        hooks.onDeadLetter?.(entry.item);
        this.settled(entry.lane);
      },
    }, options, logger, hooks.onAttempt);
  }

  /** Joins the cluster (a row in the processes table, fencing every write from now on) and opens the inbox. */
  static async open(
    store: Store, handler: ItemHandler, options: Partial<InboxOptions>, settings: ClusterSettings,
    caches: RoomCaches, logger: Logger, hooks: ClusterHooks = {},
  ): Promise<SharedInbox> {
    const db = store.postgres;
    if (!db) throw new TypeError('cluster mode needs the PostgreSQL store (store.url)');
    let inbox: SharedInbox | undefined;
    const membership = await Membership.join(db, settings.url, settings, {
      wake: (kind) => {
        if (kind !== 'free') return kind === 'items' ? inbox?.pullSoon() : inbox?.onForwarded?.();
        inbox?.wake();
        for (const listener of inbox?.wakeListeners ?? []) listener();
      },
      reaped: (_processes, leases) => { if (leases > 0) logger.info({ leases }, 'leases of reaped processes are free for takeover'); },
      fencedOut: () => inbox?.fencedOut(),
    }, logger);
    inbox = new SharedInbox(store, db, membership.id, handler, { ...defaultInboxOptions, ...options }, settings, caches, logger, hooks);
    inbox.membership = membership;
    return inbox;
  }

  /** This process's id in the cluster. */
  get processId(): string {
    return this.membership.id;
  }

  /** Calls `listener` at every cluster wake-up for leases gone free (a process left or was reaped); returns the unsubscribe. */
  onWake(listener: () => void): () => void {
    this.wakeListeners.add(listener);
    return () => this.wakeListeners.delete(listener);
  }

  /** Told at each wake-up for messages forwarded to connections (cluster/forwarder.ts). */
  onForwarded: (() => void) | undefined;
  /** Lanes (rooms) this process holds. */
  get leased(): number {
    return this.lanes.size;
  }

  /** Whether this process may lease rooms and connections now (placement `leader`: it leads). */
  get mayLease(): boolean {
    return this.leadership.leading;
  }

  /** Whether this process holds the room's lane now (its caches of the room may be kept). */
  holds(roomId: string): boolean {
    return this.lanes.holds(roomId);
  }

  /** Moves what a one-process run left journaled into the shared journal, then takes work and accepts transactions. */
  async start(): Promise<number> {
    const imported = await importLocalJournal(this.store, (txnId, items, receivedAt) => this.journalItems(txnId, items, receivedAt), this.logger);
    if (imported > 0) this.logger.info({ imported }, 'moved items a one-process run left journaled into the shared journal');
    this.accepting = true;
    this.wake();
    await this.steps.settled();
    this.pollTimer = setInterval(() => this.wake(), this.settings.pollMs);
    this.pollTimer.unref();
    this.pruner.start(this.settings.pollMs, this.options.dedupeWindowHours * 3_600_000);
    return this.waiting.size;
  }

  async accept(txnId: string, txn: Transaction): Promise<AcceptResult> {
    if (!this.accepting) throw new InboxUnavailable('The bridge is not accepting transactions (starting or stopping)', 5_000);
    this.waiting.admit(txn);
    const items = itemsOf(txn);
    const fresh = await this.journalItems(txnId, items, Date.now()).catch((err: unknown) => {
      if (isFencedOut(err)) this.fencedOut();
      throw unavailableFor(err);
    });
    return { entries: [], duplicates: items.length - fresh };
  }

  /** Journals items and hands this process's share of them to the dispatcher; returns how many were new. */
  private async journalItems(txnId: string, items: readonly InboundItem[], receivedAt: number): Promise<number> {
    if (items.length === 0) return 0;
    const rows: NewItem[] = items.map((item) => newItem(idOf(txnId, item), item));
    // Lanes this process neither holds nor saw held elsewhere lately are claimed in the same statement.
    const claim = this.leadership.leading ? this.lanes.toClaim(rows.map((r) => r.lane)) : [];
    this.here.sent();
    const result = await this.journal.accept(txnId, rows, receivedAt, wakeChannel(this.db.tables).slice(1, -1), claim).catch((err: unknown) => {
      void this.steps.run(async () => { this.here.answered(); await this.catchUp(); });
      throw err;
    });
    const won = new Set(result.claimed);
    this.lanes.heldElsewhere(claim.filter((lane) => !won.has(lane)));
    const { base, fresh, claimed } = result;
    const entries = fresh.map(({ index, seq }) => ({ seq, txnId, receivedAt, item: items[index]!, lane: rows[index]!.lane }));
    void this.steps.run(async () => {
      if (claimed.length > 0) await this.take(claimed, base);
      this.here.answered({ base, end: base + items.length, entries });
      await this.catchUp();
    });
    return fresh.length;
  }

  /** Hands over from memory what this process journaled, in order; reads the journal for what others committed between. */
  private async catchUp(): Promise<void> {
    const { next, read } = this.here.advance(this.next, (entry) => this.dispatch(entry));
    this.next = next;
    if (read) await this.pull();
  }

  /** Items were journaled in lanes some process holds: reads new items of held lanes. */
  pullSoon(): void {
    if (this.stopped || !this.accepting || !this.leadership.leading) return;
    this.steps.once('pull', () => this.pull(), ['wake']);
  }

  /** Something may be waiting (leases gone free, the poll): claims lanes nobody holds, then reads new items of held lanes. */
  wake(): void {
    if (this.stopped || !this.accepting) return;
    this.steps.once('wake', async () => {
      this.lanes.lookAgain();
      if (!this.leadership.leading) {
        if (!(await this.leadership.tryLead(this.processId, (err) => this.cannotLead(err)))) return;
        for (const listener of this.wakeListeners) listener();
      }
      await this.load();
      await this.reconcile();
      const won = await this.journal.claimOrphans(500);
      if (won.length > 0) await this.take(won);
      await this.pull();
      // A leader keeps its rooms: they would only come back to it.
      if (this.settings.placement !== 'leader') await this.releaseIdle();
    });
  }

  /**
   * Lanes just leased: their caches start afresh, and whatever their last holder left is
   * dispatched first (items below `since`; the transaction that leased them brings its own).
   */
  private async take(lanes: readonly string[], since = Infinity): Promise<void> {
    for (const lane of this.lanes.take(lanes)) this.caches.forget(lane);
    await this.load(since);
  }

  /**
   * Dispatches everything the journal holds of lanes leased and not loaded yet. Until then
   * no item of theirs is dispatched any other way (the load brings them all, in order); a
   * failed load is tried again at the next look for work.
   */
  private async load(since = Infinity): Promise<void> {
    const lanes = this.lanes.toLoad;
    if (lanes.length === 0) return;
    const rows = await this.journal.fetchLanes(lanes);
    this.lanes.loaded(lanes);
    const left = rows.filter((row) => row.seq < since).length;
    this.hooks.onLeased?.(lanes.length, left > 0);
    if (left > 0) this.logger.info({ lanes: lanes.length, items: left }, 'took over lanes with items left by their last holder');
    for (const row of rows) this.dispatchRow(row, true);
  }

  /**
   * The leases the database says this process holds, against what it knows: one it does
   * not know of (a claim whose answer was lost) is taken up, so its items are not left.
   */
  private async reconcile(): Promise<void> {
    const owned = await this.journal.ownedLanes();
    const unknown = this.lanes.unknown(owned);
    if (unknown.length > 0) {
      this.logger.warn({ lanes: unknown.length }, 'found leases of this process it did not know of (a lost answer); taking them up');
      await this.take(unknown, 0);
    }
  }

  /** New items of held lanes, from the journal, in order. */
  private async pull(): Promise<void> {
    // Past the backlog bound, the rest waits in the journal for a later look.
    while (this.waiting.size < this.options.maxBacklog) {
      const { rows, next, full } = await this.journal.fetchHeld(this.next, PAGE);
      for (const row of rows) this.dispatchRow(row, false);
      this.next = Math.max(this.next, next);
      if (!full) break;
    }
    // What this process journaled and the read passed is forgotten; what continues from it goes over.
    this.next = this.here.advance(this.next, (entry) => this.dispatch(entry)).next;
  }

  private dispatchRow(row: JournalRow, redelivered: boolean): void {
    let item: InboundItem;
    try {
      item = itemOf(row.body);
    } catch (err) {
      // Not dispatched: once a later item of its lane is handled, the lane's watermark passes it.
      this.logger.error({ err, seq: row.seq, lane: row.lane }, 'a shared journal item no longer parses; it is skipped');
      return;
    }
    this.dispatch({ seq: row.seq, txnId: row.txnId, receivedAt: row.receivedAt, item, lane: row.lane, ...(redelivered ? { redelivered } : {}) });
  }

  private dispatch(entry: SharedEntry): void {
    if (!this.lanes.admit(entry.lane, entry.seq)) return;
    this.waiting.add();
    this.dispatcher.push(entry);
  }

  /**
   * Gives up lanes idle for `idleReleaseMs`: the write-behind is written first (the next
   * holder reads the room from the store), and the journal must hold nothing of them.
   */
  private async releaseIdle(now = Date.now()): Promise<void> {
    const idle = this.lanes.idle(this.settings.idleReleaseMs ?? IDLE_RELEASE_MS, now);
    if (idle.length === 0) return;
    await this.store.flush();
    const released = await this.journal.releaseIdle(idle);
    for (const lane of released) {
      this.lanes.release(lane);
      this.caches.forget(lane);
    }
  }

  /** A handler's writes with acknowledgements: one fenced statement (see PgLevel.fencedBatch). */
  private async commit(ops: readonly WriteOp[], acks: readonly JournalAck[]): Promise<void> {
    try {
      await this.store.write(ops, { acks });
    } catch (err) {
      if (isFencedOut(err)) this.fencedOut();
      throw err;
    }
  }

  /** Moves dead letters back into the shared journal, at the end of the order. */
  async replayDeadLetters(seqs?: readonly number[]): Promise<number> {
    const replayed = await replayDeadLetters(this.journal, this.deadLetters, seqs);
    this.wake();
    return replayed;
  }

  /** An item the bridge brings back (an encrypted event whose key came late), then `ops` (see `injectItem`). */
  async inject(item: InboundItem, txnId: string, ops: readonly WriteOp[]): Promise<void> {
    await injectItem(this.journal, this.store, item, txnId, ops);
    this.wake();
  }

  get backlog(): number {
    return this.waiting.size;
  }

  drained(): Promise<void> {
    return this.waiting.drained();
  }

  /**
   * Stops accepting, lets running handlers finish, writes the last acknowledgements. The
   * process stays a member (its rooms stay leased) until `close`: the parts stopped after
   * the inbox still write what they hold for its rooms (the mirror's write-behind).
   */
  async stop(timeoutMs = this.options.shutdownTimeoutMs): Promise<boolean> {
    this.halt();
    await this.steps.settled();
    const finished = await this.dispatcher.stop(timeoutMs);
    if (!finished) this.logger.warn({ timeoutMs }, 'handlers still running at shutdown; their items stay journaled for another process');
    await this.acks.close();
    return finished;
  }

  /** Leaves the cluster, last before the store closes: every lease goes at once and the others take the rooms over. */
  async close(): Promise<void> {
    await this.membership.leave().catch((err: unknown) => this.logger.warn({ err }, 'could not leave the cluster cleanly; its leases go when its heartbeat lapses'));
  }

  /** Leading failed to begin (the crypto device would not open): the lease goes to another process with this one's row. */
  private cannotLead(err: Error): void {
    this.halt();
    void this.membership.leave().catch(() => undefined);
    this.hooks.onLeadFailed?.(err);
  }

  private fencedOut(): void {
    if (this.fenced) return;
    this.fenced = true;
    this.halt();
    this.lanes.clear();
    this.caches.forgetAll();
    void this.dispatcher.stop(0);
    this.hooks.onFencedOut?.();
  }

  /** An item handled (or dead-lettered), its writes committed. */
  private settled(lane: string): void {
    this.lanes.settled(lane);
    this.waiting.settle();
  }

  /** Accepts and looks for nothing more. */
  private halt(): void {
    this.accepting = false;
    this.stopped = true;
    clearInterval(this.pollTimer);
    this.pruner.stop();
  }
}
