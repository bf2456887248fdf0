import type { Logger } from '../log/logger.js';
import type { UnitOfWork } from '../inbox/index.js';
import { errorLine, isFencedOut } from '../store/index.js';
import type { DeliveryAttempt } from '../plugin/leases.js';
import type { LeasedRun } from './leased-run.js';
import { directOrder, forwardKey, handlerOrder, type ForwardQueue, type QueuedForward } from './forward-queue.js';

/** Where the connections run: the leases service of this process. */
export interface ForwardTargets {
  /** The connection run under `key` when it runs in this process now (its lease held, started). */
  runningHere(key: string): LeasedRun | undefined;
  /** Whether anything runs (or waits for its lease) under `key` in this process. */
  knows(key: string): boolean;
}

/** A handler's side of a forward: its unit of work, its item's place, its attempt. */
export interface HandlerForward extends DeliveryAttempt {
  readonly work: UnitOfWork;
  readonly seq: number;
  /** The how-manieth forward of this handler attempt (0, 1, …). */
  readonly n: number;
}

export interface ForwarderOptions {
  /** Tries before a message is given up (the inbox's `maxAttempts`). */
  readonly maxAttempts: number;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  /** How often waiting messages are looked for without a wake-up. */
  readonly pollMs: number;
  /** Cluster mode: this process's id (recorded with what it sends). */
  readonly processId?: string;
  /** One-process mode: nothing else wakes the holder after a commit. */
  readonly wakeAfterWrite?: boolean;
}

/** Read per look at a connection's waiting messages. */
const PAGE = 50;

/**
 * Gives forwarded messages to the connections they are for, wherever those run. Delivered
 * in this process at once when the connection runs here with nothing waiting before it;
 * otherwise written to the store (with the handler's writes, so with its acknowledgement)
 * and delivered by the process running the connection, in order, each deleted once
 * delivered. A failing delivery is tried again with backoff and given up (a dead letter,
 * logged) after `maxAttempts`; the messages behind it wait meanwhile.
 */
export class Forwarder {
  /** Per connection: the delivery running or queued (one at a time, in order). */
  private readonly chains = new Map<string, Promise<void>>();
  /** Per connection: 'running' while a drain runs, 'again' when woken meanwhile. */
  private readonly draining = new Map<string, 'running' | 'again'>();
  /** Failed tries per waiting message (store key). */
  private readonly tries = new Map<string, number>();
  /** Connections waiting out a backoff. */
  private readonly backoff = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly poll: NodeJS.Timeout;
  private closed = false;
  private looking = false;
  private lookAgain = false;

  constructor(
    private readonly queue: ForwardQueue,
    private readonly targets: ForwardTargets,
    private readonly options: ForwarderOptions,
    private readonly logger: Logger,
  ) {
    this.poll = setInterval(() => this.wake(), options.pollMs);
    this.poll.unref();
  }

  /** Sends `message` to the connection under `key` (a full lease key); `via` a handler's. */
  async forward(key: string, message: unknown, via?: HandlerForward): Promise<void> {
    const json = encode(message, key);
    const run = this.targets.runningHere(key);
    // The plugin's mistake, said at once rather than by a message that would wait for ever.
    if (run && !run.deliverable) throw new TypeError(`the connection ${key} takes no forwarded messages (ctx.leases.run without deliver)`);
    if (run && !this.busy(key) && await this.queue.isEmpty(key)) {
      const checked = await run.check(JSON.parse(json));
      if (!checked.ok) throw new TypeError(`a message forwarded to ${key} is not valid: ${checked.reason}`);
      const attempt = via ?? { attempt: 1, lastAttempt: true };
      await this.serial(key, () => run.deliver(checked.value, { attempt: attempt.attempt, lastAttempt: attempt.lastAttempt }));
      return;
    }
    if (!this.targets.knows(key) && this.options.processId === undefined) {
      this.logger.warn({ lease: key }, 'a message was forwarded to a connection nothing runs: it waits in the store until one runs');
    }
    const record = { m: JSON.parse(json) as unknown, at: Date.now(), ...(this.options.processId ? { from: this.options.processId } : {}) };
    if (via) {
      via.work.put(this.queue.section, forwardKey(key, handlerOrder(via.seq, via.n)), record);
      return;
    }
    await this.queue.put(forwardKey(key, directOrder()), record);
    if (this.options.wakeAfterWrite) this.kick(key);
  }

  /** Looks for waiting messages of the connections running here (a wake-up, the poll): one read per connection with any. */
  wake(): void {
    if (this.closed) return;
    if (this.looking) {
      this.lookAgain = true;
      return;
    }
    this.looking = true;
    void this.queue.waitingKeys().then((keys) => {
      for (const key of keys) if (this.targets.runningHere(key)) this.kick(key);
    }, (err: unknown) => {
      if (isFencedOut(err)) void this.close();
      else this.logger.warn({ err }, 'could not look for forwarded messages; trying again at the next poll');
    }).finally(() => {
      this.looking = false;
      if (!this.lookAgain) return;
      this.lookAgain = false;
      this.wake();
    });
  }

  /** Delivers what waits for `key` (a connection that started here, a wake-up). */
  kick(key: string): void {
    if (this.closed || this.backoff.has(key)) return;
    const state = this.draining.get(key);
    if (state !== undefined) {
      this.draining.set(key, 'again');
      return;
    }
    this.draining.set(key, 'running');
    void this.serial(key, async () => {
      do {
        this.draining.set(key, 'running');
        await this.drain(key);
      } while (this.draining.get(key) === 'again' && !this.closed && !this.backoff.has(key));
    }).finally(() => this.draining.delete(key));
  }

  /** Delivers nothing more; resolves once what is being delivered now is done (before its connection stops). */
  close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    return this.idle();
  }

  /** Resolves once what is being delivered to `key` (every key when undefined) is done. */
  async idle(key?: string): Promise<void> {
    const chains = key === undefined ? [...this.chains.values()] : [this.chains.get(key)];
    await Promise.all(chains);
  }

  /** Something queued or being delivered for `key`: a new message must go behind it. */
  private busy(key: string): boolean {
    return this.draining.has(key) || this.backoff.has(key);
  }

  private serial(key: string, task: () => Promise<void>): Promise<void> {
    const run = (this.chains.get(key) ?? Promise.resolve()).then(task);
    const settled = run.catch(() => undefined);
    this.chains.set(key, settled);
    void settled.then(() => { if (this.chains.get(key) === settled) this.chains.delete(key); });
    return run;
  }

  private async drain(key: string): Promise<void> {
    try {
      for (;;) {
        const run = this.targets.runningHere(key);
        if (!run?.deliverable || this.closed) return;
        const page = await this.queue.first(key, PAGE);
        if (page.length === 0) return;
        for (const entry of page) {
          if (this.closed || this.targets.runningHere(key) !== run) return;
          if (!await this.deliverOne(key, run, entry)) return;
        }
      }
    } catch (err) {
      if (isFencedOut(err)) {
        void this.close();
        return;
      }
      this.logger.warn({ err, lease: key }, 'could not read or record forwarded messages; trying again at the next poll');
    }
  }

  /** False when the message failed and waits out a backoff (the ones behind it wait too). */
  private async deliverOne(key: string, run: LeasedRun, entry: QueuedForward): Promise<boolean> {
    const checked = await run.check(entry.record.m);
    if (!checked.ok) {
      this.logger.error({ lease: key, reason: checked.reason }, 'a forwarded message is not valid for its connection: kept as a dead letter, not delivered');
      await this.queue.giveUp(entry, 0, `invalid: ${checked.reason}`);
      return true;
    }
    const attempt = (this.tries.get(entry.key) ?? 0) + 1;
    const lastAttempt = attempt >= this.options.maxAttempts;
    try {
      await run.deliver(checked.value, { attempt, lastAttempt });
    } catch (err) {
      if (lastAttempt) {
        this.tries.delete(entry.key);
        this.logger.error({ err, lease: key, attempts: attempt, from: entry.record.from }, 'a forwarded message kept failing: given up, kept as a dead letter');
        await this.queue.giveUp(entry, attempt, errorLine(err));
        return true;
      }
      this.tries.set(entry.key, attempt);
      const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempt - 1));
      this.logger.warn({ err, lease: key, attempt, retryInMs: delay }, 'a forwarded message failed; trying it again');
      this.retryLater(key, delay);
      return false;
    }
    this.tries.delete(entry.key);
    await this.queue.delivered(entry.key);
    return true;
  }

  private retryLater(key: string, delay: number): void {
    this.backoff.add(key);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.backoff.delete(key);
      this.kick(key);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }
}

/** The message as JSON (what the store would keep): one that JSON cannot carry is the caller's error. */
function encode(message: unknown, key: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(message);
  } catch (err) {
    throw new TypeError(`a message forwarded to ${key} is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (json === undefined) throw new TypeError(`a message forwarded to ${key} is not JSON (${typeof message})`);
  return json;
}
