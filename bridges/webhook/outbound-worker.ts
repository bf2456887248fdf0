import type { KeyValue, Logger, PluginStatus } from 'matrix-bridgekit';
import type { WebhookConfig } from './config.js';
import { backoffMs, postMessage, type Attempt } from './outbound-http.js';
import {
  addStat, keys, originOf, roomOfQueueKey, type Delivery, type OutboundPayload, type OutboundTarget,
} from './outbound-store.js';
import { reportAttempt } from './outbound-status.js';

export type Poster = (url: string, payload: OutboundPayload, timeoutMs: number) => Promise<Attempt>;

/** How long after a nudge the queue is read: the handler's writes commit just after it returns. */
const NUDGE_DELAY_MS = 15;
const PRUNE_EVERY_MS = 3600_000;

/**
 * Sends queued messages to their targets. Each room's queue goes out in order, one message
 * at a time (a message waiting for its retry holds the ones after it); rooms run
 * concurrently up to `concurrency`. A delivery leaves the queue only after its outcome is
 * written, so a crash repeats at most the POST in flight, with the same idempotency key.
 */
export class DeliveryWorker {
  private readonly busy = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private nudged: NodeJS.Timeout | undefined;
  private wake: { at: number; timer: NodeJS.Timeout } | undefined;
  private scanning: Promise<void> | undefined;
  private rescan = false;
  private stopped = false;
  private lastPrune = Date.now();

  constructor(
    private readonly kv: KeyValue,
    private readonly config: WebhookConfig['outbound'],
    private readonly logger: Logger,
    private readonly post: Poster = postMessage,
    /** Where each target's state goes (`ctx.status`); none in unit tests. */
    private readonly status?: PluginStatus,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.scan(), this.config.pollMs);
    this.timer.unref();
    this.scan();
  }

  /** Something was queued: look soon, not at the next poll. */
  nudge(): void {
    if (this.stopped || this.nudged) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      this.scan();
    }, NUDGE_DELAY_MS);
  }

  /** Stops taking work; waits for the POSTs in flight (each bounded by `timeoutMs`). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.nudged);
    clearTimeout(this.wake?.timer);
    await this.scanning;
    await Promise.all(this.busy.values());
  }

  private scan(): void {
    if (this.stopped) return;
    if (this.scanning) {
      this.rescan = true;
      return;
    }
    this.scanning = this.startDueRooms()
      .catch((err: unknown) => this.logger.error({ err }, 'webhook: reading the delivery queue failed'))
      .finally(() => {
        this.scanning = undefined;
        if (this.rescan) {
          this.rescan = false;
          this.scan();
        }
      });
  }

  private async startDueRooms(): Promise<void> {
    const now = Date.now();
    const seen = new Set<string>();
    let earliest = Number.POSITIVE_INFINITY;
    for await (const [key, delivery] of this.kv.entries<Delivery>(keys.queueAll)) {
      const roomId = roomOfQueueKey(key);
      if (seen.has(roomId)) continue; // only the head of each room's queue counts
      seen.add(roomId);
      if (this.busy.size >= this.config.concurrency) break;
      if (this.busy.has(roomId)) continue;
      if (delivery.nextAt > now) {
        earliest = Math.min(earliest, delivery.nextAt);
        continue;
      }
      const run = this.drainRoom(roomId)
        .catch((err: unknown) => this.logger.error({ err, roomId }, 'webhook: delivering a room\'s messages failed; will retry'))
        .finally(() => {
          this.busy.delete(roomId);
          this.scan(); // a slot is free: another room may be waiting
        });
      this.busy.set(roomId, run);
    }
    if (earliest < Number.POSITIVE_INFINITY) this.wakeAt(earliest);
    if (now - this.lastPrune > PRUNE_EVERY_MS) await this.pruneDelivered(now);
  }

  /** A retry falls due before the next poll would notice: look then. */
  private wakeAt(at: number): void {
    if (this.stopped || (this.wake && this.wake.at <= at)) return;
    clearTimeout(this.wake?.timer);
    const timer = setTimeout(() => {
      this.wake = undefined;
      this.scan();
    }, Math.max(0, at - Date.now()));
    timer.unref();
    this.wake = { at, timer };
  }

  /** Delivers the room's due messages in order; stops at one whose retry is not due. */
  private async drainRoom(roomId: string): Promise<void> {
    while (!this.stopped) {
      const head = await this.head(roomId);
      if (!head || head.delivery.nextAt > Date.now()) return;
      await this.deliver(roomId, head.key, head.delivery);
    }
  }

  private async head(roomId: string): Promise<{ key: string; delivery: Delivery } | undefined> {
    for await (const [key, delivery] of this.kv.entries<Delivery>(keys.queueOf(roomId))) return { key, delivery };
    return undefined;
  }

  private async deliver(roomId: string, key: string, delivery: Delivery): Promise<void> {
    const { target, payload } = delivery;
    const log = this.logger.child({ roomId, eventId: payload.id, target: originOf(target) });
    const current = await this.kv.get<OutboundTarget>(keys.target(roomId));
    if (current?.url !== target) {
      // `!webhook out off` (or a new URL) since it was queued: the room no longer sends there.
      log.info('webhook: outbound target changed; dropping a queued message');
      await this.kv.del(key);
      return;
    }
    if (await this.kv.get(keys.delivered(target, payload.id)) !== undefined) {
      await this.kv.del(key);
      return;
    }
    const attempt = await this.post(target, payload, this.config.timeoutMs);
    const attempts = delivery.attempts + 1;
    if (this.status) reportAttempt(this.status, roomId, attempt, attempt.kind === 'retry' && attempts >= this.config.maxAttempts);
    if (attempt.kind === 'delivered') {
      // Remembered before the queue entry goes: a crash in between skips it, never repeats it.
      await this.kv.put(keys.delivered(target, payload.id), Date.now());
      await this.kv.del(key);
      await addStat(this.kv, roomId, 'delivered');
      log.debug({ status: attempt.status, attempts }, 'webhook: message delivered');
    } else if (attempt.kind === 'rejected') {
      await this.kv.del(key);
      await addStat(this.kv, roomId, 'rejected');
      log.warn({ status: attempt.status, attempts }, 'webhook: the target refused a message; not retrying it');
    } else if (attempts >= this.config.maxAttempts) {
      await this.kv.del(key);
      await addStat(this.kv, roomId, 'gaveUp');
      log.warn({ reason: attempt.reason, attempts }, 'webhook: giving up on a message after the last attempt');
    } else {
      const delay = Math.max(backoffMs(attempts, this.config.retryBaseMs, this.config.retryMaxMs), attempt.retryAfterMs ?? 0);
      await this.kv.put<Delivery>(key, { ...delivery, attempts, nextAt: Date.now() + delay });
      log.info({ reason: attempt.reason, attempts, retryInMs: delay }, 'webhook: delivery failed; will retry');
    }
  }

  /** Forgets delivered ids older than `rememberDeliveredMs`. */
  private async pruneDelivered(now: number): Promise<void> {
    this.lastPrune = now;
    const cutoff = now - this.config.rememberDeliveredMs;
    let pruned = 0;
    for await (const [key, at] of this.kv.entries<number>(keys.deliveredAll)) {
      if (at < cutoff) {
        await this.kv.del(key);
        pruned++;
      }
    }
    if (pruned > 0) this.logger.debug({ pruned }, 'webhook: forgot old delivered message ids');
  }
}
