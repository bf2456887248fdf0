import type { Logger } from '../log/logger.js';
import type { InboundItem } from '../events/types.js';
import type { WriteOp } from '../store/index.js';
import { describeItem, laneOf, type JournalEntry } from './entries.js';
import { UnitOfWork } from './unit-of-work.js';

export interface HandlerContext {
  readonly entry: JournalEntry;
  /** 1 on the first try. */
  readonly attempt: number;
  /** True on the last try: a failure now makes the item a dead letter. */
  readonly lastAttempt: boolean;
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

/** What the dispatcher needs from the journal to finish an entry. */
export interface Settler {
  done(entry: JournalEntry, ops: readonly WriteOp[]): Promise<void>;
  dead(entry: JournalEntry, attempts: number, error: unknown): Promise<void>;
}

interface Lane {
  readonly key: string;
  readonly queue: JournalEntry[];
  attempts: number;
  running: boolean;
  /** In `waiting`, for a free slot. */
  waiting: boolean;
  retryTimer?: NodeJS.Timeout;
}

/** Items a lane may handle in a row before it yields its slot to a waiting lane. */
const FAIR_SHARE = 64;

/**
 * Hands items to the handler: strictly in order within a lane (a room), lanes concurrently
 * up to `concurrency`. A failing item is retried with capped exponential backoff while its
 * lane waits and the others go on; after `maxAttempts` it becomes a dead letter.
 */
export class Dispatcher {
  private readonly lanes = new Map<string, Lane>();
  private readonly waiting: Lane[] = [];
  private running = 0;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: ItemHandler,
    private readonly settler: Settler,
    private readonly options: DispatcherOptions,
    private readonly logger: Logger,
  ) {}

  push(entry: JournalEntry): void {
    const key = laneOf(entry.item);
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, queue: [], attempts: 0, running: false, waiting: false };
      this.lanes.set(key, lane);
    }
    lane.queue.push(entry);
    if (!lane.running && !lane.retryTimer && !lane.waiting) this.schedule(lane);
  }

  /** Lanes that have work queued, running or waiting for a retry. */
  get activeLanes(): number {
    return this.lanes.size;
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

  private schedule(lane: Lane): void {
    if (this.stopping) return;
    if (this.running < this.options.concurrency) void this.run(lane);
    else this.enqueueWaiting(lane);
  }

  private enqueueWaiting(lane: Lane): void {
    lane.waiting = true;
    this.waiting.push(lane);
  }

  private async run(lane: Lane): Promise<void> {
    this.running++;
    lane.running = true;
    let handled = 0;
    try {
      while (lane.queue.length > 0 && !this.stopping) {
        if (handled >= FAIR_SHARE && this.waiting.length > 0) {
          this.enqueueWaiting(lane);
          return;
        }
        const settled = await this.handleHead(lane);
        if (!settled) return; // a retry is scheduled
        lane.queue.shift();
        lane.attempts = 0;
        handled++;
      }
    } finally {
      lane.running = false;
      this.running--;
      if (lane.queue.length === 0 && !lane.retryTimer) this.lanes.delete(lane.key);
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

  /** Handles the lane's first entry; true when it is settled (done or dead). */
  private async handleHead(lane: Lane): Promise<boolean> {
    const entry = lane.queue[0]!;
    const attempt = ++lane.attempts;
    // A child logger costs more than most handlers: made only when something logs.
    let itemLogger: Logger | undefined;
    const base = this.logger;
    const logOf = () => (itemLogger ??= base.child({ seq: entry.seq, txnId: entry.txnId, ...describeItem(entry.item) }));
    const work = new UnitOfWork();
    try {
      await this.handler(entry.item, {
        entry, attempt, lastAttempt: attempt >= this.options.maxAttempts, work,
        get logger() { return logOf(); },
      });
      const durable = this.settler.done(entry, work.ops);
      // The next item of this room may read what this one wrote: then wait until it is
      // durable. With nothing written, go on: acknowledgements are committed in order, so
      // a later one never lands before this one.
      if (work.ops.length > 0) await durable;
      else durable.catch((err: unknown) => logOf().error({ err }, 'could not record the acknowledgement; the item will be handled again after a restart'));
      return true;
    } catch (err) {
      if (attempt >= this.options.maxAttempts) {
        logOf().error({ err, attempt }, 'handler failed for the last time: item moved to the dead letters');
        try {
          await this.settler.dead(entry, attempt, err);
          return true;
        } catch (storeErr) {
          logOf().error({ err: storeErr }, 'could not record the dead letter; will try again');
        }
      } else {
        logOf().warn({ err, attempt }, 'handler failed; will retry');
      }
      const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
      lane.retryTimer = setTimeout(() => {
        lane.retryTimer = undefined;
        this.schedule(lane);
      }, delay);
      return false;
    }
  }
}
