import type { Logger } from '../log/logger.js';
import { lazyChild } from '../log/lazy-child.js';
import type { InboundItem } from '../events/types.js';
import { isStackOverflow } from '../json/index.js';
import { isStoreError, type WriteOp } from '../store/index.js';
import { describeItem, laneOf, type JournalEntry } from './entries.js';
import { UnitOfWork } from './unit-of-work.js';

export interface HandlerContext {
  readonly entry: JournalEntry;
  /** 1 on the first try. */
  readonly attempt: number;
  /** True on the last try: a failure now makes the item a dead letter. */
  readonly lastAttempt: boolean;
  /**
   * The first try at an item this process received from the homeserver itself (not
   * resumed, not replayed): nothing can have been done for it before. The mirror uses
   * it to skip looking for an earlier application.
   */
  readonly firstDelivery: boolean;
  /** Writes committed atomically with this item's acknowledgement. */
  readonly work: UnitOfWork;
  readonly logger: Logger;
}

export type ItemHandler = (item: InboundItem, ctx: HandlerContext) => Promise<void>;

export interface DispatcherOptions {
  readonly concurrency: number;
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
}

/** A handler attempt finished: how long it took (ms) and whether it threw. */
export type AttemptObserver = (item: InboundItem, ms: number, failed: boolean) => void;

/** What the dispatcher needs from the journal to finish an entry (of the journal's own entry type). */
export interface Settler<E extends JournalEntry> {
  /** The handler wrote `ops`: resolves once they and the acknowledgement are durable. */
  done(entry: E, ops: readonly WriteOp[]): Promise<void>;
  /** The handler wrote nothing: nobody waits, the settler records it (and reports failures). */
  handled(entry: E): void;
  dead(entry: E, attempts: number, error: unknown): Promise<void>;
}

interface Lane<E extends JournalEntry> {
  readonly queue: E[];
  attempts: number;
  running: boolean;
  /** In `waiting`, for a free slot. */
  waiting: boolean;
  /** Idle and kept for reuse (counted in `parked`). */
  parked: boolean;
  /** Retries in a row because the store could not write (they use up no attempts). */
  storeWaits: number;
  retryTimer?: NodeJS.Timeout;
}

const NO_OPS: readonly WriteOp[] = [];

/** One attempt's context; a class, and lazy, because it is made for every item. */
class Context<E extends JournalEntry> implements HandlerContext {
  private unit: UnitOfWork | undefined;
  private itemLogger: Logger | undefined;

  constructor(readonly entry: E, readonly attempt: number, readonly lastAttempt: boolean, private readonly base: Logger) {}

  get firstDelivery(): boolean {
    return this.attempt === 1 && this.entry.redelivered !== true;
  }

  get work(): UnitOfWork {
    return (this.unit ??= new UnitOfWork());
  }

  /**
   * A child logger costs more than most handlers: made only when something writes a line
   * at a level that is on (see lazyChild).
   */
  get logger(): Logger {
    const { entry } = this;
    return (this.itemLogger ??= lazyChild(this.base, () => ({ seq: entry.seq, txnId: entry.txnId, ...describeItem(entry.item) })));
  }

  get ops(): readonly WriteOp[] {
    return this.unit?.ops ?? NO_OPS;
  }
}

/** Items a lane may handle in a row before it yields its slot to a waiting lane. */
const FAIR_SHARE = 64;

/**
 * Idle lanes are kept for reuse: a busy room gets about one event per transaction, and a
 * lane made and dropped for each one cost the intake more than the dispatching itself.
 * Past this many idle lanes, they all go at once.
 */
const KEPT_LANES = 1024;

/**
 * Hands items to the handler: strictly in order within a lane (a room), lanes concurrently
 * up to `concurrency`. A failing item is retried with capped exponential backoff while its
 * lane waits and the others go on; after `maxAttempts` it becomes a dead letter.
 */
export class Dispatcher<E extends JournalEntry = JournalEntry> {
  private readonly lanes = new Map<string, Lane<E>>();
  private readonly waiting: Array<Lane<E>> = [];
  private running = 0;
  /** Idle lanes kept in `lanes`. */
  private parked = 0;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: ItemHandler,
    private readonly settler: Settler<E>,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
    /** Told of every handler attempt (for metrics): here rather than around the handler, one promise less per item. */
    private readonly onAttempt?: AttemptObserver,
  ) {}

  push(entry: E): void {
    const key = laneOf(entry.item);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: [], attempts: 0, running: false, waiting: false, parked: false, storeWaits: 0 };
      this.lanes.set(key, lane);
    }
    if (lane.parked) {
      lane.parked = false;
      this.parked--;
    }
    lane.queue.push(entry);
    if (!lane.running && !lane.retryTimer && !lane.waiting) this.schedule(lane);
  }

  /** Lanes that have work queued, running or waiting for a retry. */
  get activeLanes(): number {
    return this.lanes.size - this.parked;
  }

  /** Resolves when no handler is running (retries that wait on timers do not count). */
  whenIdle(): Promise<void> {
    if (this.running === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking new work; handlers already running finish, up to `timeoutMs`. */
  async stop(timeoutMs: number): Promise<boolean> {
    this.stopping = true;
    for (const lane of this.lanes.values()) {
      if (lane.retryTimer) clearTimeout(lane.retryTimer);
      lane.retryTimer = undefined;
    }
    for (const lane of this.waiting) lane.waiting = false;
    this.waiting.length = 0;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      this.whenIdle().then(() => true),
      new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), timeoutMs); }),
    ]);
    clearTimeout(timer);
    return finished;
  }

  private schedule(lane: Lane<E>): void {
    if (this.stopping) return;
    if (this.running < this.options.concurrency) void this.run(lane);
    else this.enqueueWaiting(lane);
  }

  private enqueueWaiting(lane: Lane<E>): void {
    lane.waiting = true;
    this.waiting.push(lane);
  }

  private async run(lane: Lane<E>): Promise<void> {
    this.running++;
    lane.running = true;
    let handled = 0;
    try {
      while (lane.queue.length > 0 && !this.stopping) {
        if (handled >= FAIR_SHARE && this.waiting.length > 0) {
          this.enqueueWaiting(lane);
          return;
        }
        // The head is handled here rather than in a method of its own: one promise less per item.
        const entry = lane.queue[0]!;
        const attempt = ++lane.attempts;
        const ctx = new Context(entry, attempt, attempt >= this.options.maxAttempts, this.logger);
        const started = this.onAttempt ? performance.now() : 0;
        try {
          try {
            await this.handler(entry.item, ctx);
          } catch (err) {
            this.onAttempt?.(entry.item, performance.now() - started, true);
            throw err;
          }
          this.onAttempt?.(entry.item, performance.now() - started, false);
          // The next item of this room may read what this one wrote: then wait until it is
          // durable. With nothing written, go on: acknowledgements are committed in order, so
          // a later one never lands before this one.
          const ops = ctx.ops;
          if (ops.length > 0) await this.settler.done(entry, ops);
          else this.settler.handled(entry);
        } catch (err) {
          if (!(await this.failed(lane, ctx, err))) return; // a retry is scheduled
        }
        lane.queue.shift();
        lane.attempts = 0;
        lane.storeWaits = 0;
        handled++;
      }
    } finally {
      lane.running = false;
      this.running--;
      if (lane.queue.length === 0 && !lane.retryTimer) this.park(lane);
      const next = this.stopping ? undefined : this.waiting.shift();
      if (next) {
        next.waiting = false;
        void this.run(next);
      }
      if (this.running === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const resolve of waiters) resolve();
      }
    }
  }

  /** Keeps an idle lane for reuse; past `KEPT_LANES` of them, drops them all (one scan per that many). */
  private park(lane: Lane<E>): void {
    lane.parked = true;
    if (++this.parked <= KEPT_LANES) return;
    for (const [key, kept] of this.lanes) if (kept.parked) this.lanes.delete(key);
    this.parked = 0;
  }

  /**
   * The lane's head failed (its handler, or committing what it wrote): dead-letters it after
   * the last attempt; true when it is settled that way, false when a retry is scheduled.
   */
  private async failed(lane: Lane<E>, ctx: Context<E>, err: unknown): Promise<boolean> {
    const { entry, attempt } = ctx;
    if (isStoreError(err)) {
      // The store could not write (disk full, read-only): not the item's fault, so it uses up
      // no attempt and never becomes a dead letter for it; the lane waits for the store.
      lane.attempts--;
      const delay = this.backoff(++lane.storeWaits);
      ctx.logger.warn({ err, retryInMs: delay }, 'the store could not write; this room waits and tries again');
      this.retryLater(lane, delay);
      return false;
    }
    // Too deep for the stack (untrusted JSON walked by recursion): the same every time, so no retries.
    if (attempt >= this.options.maxAttempts || isStackOverflow(err)) {
      ctx.logger.error({ err, attempt }, 'handler failed for the last time: item moved to the dead letters');
      try {
        await this.settler.dead(entry, attempt, err);
        return true;
      } catch (storeErr) {
        ctx.logger.error({ err: storeErr }, 'could not record the dead letter; will try again');
      }
    } else {
      ctx.logger.warn({ err, attempt }, 'handler failed; will retry');
    }
    this.retryLater(lane, this.backoff(attempt));
    return false;
  }

  /** Capped exponential backoff: the `n`th retry in a row. */
  private backoff(n: number): number {
    return Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** Math.min(n - 1, 30));
  }

  private retryLater(lane: Lane<E>, delay: number): void {
    lane.retryTimer = setTimeout(() => {
      lane.retryTimer = undefined;
      this.schedule(lane);
    }, delay);
  }
}
