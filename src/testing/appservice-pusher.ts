import type { JsonObject } from '../events/types.js';
import type { Logger } from '../log/logger.js';
import type { AppserviceApi, AppserviceOutcome } from './appservice-api.js';
import { toSynapseEvent } from './event-format.js';
import type { StoredEvent } from './room.js';

export type EphemeralKey = 'unstable' | 'stable' | 'both';

export interface PusherOptions {
  /** How long to wait for the appservice's answer (Synapse: 60 s). */
  readonly timeoutMs: number;
  /** First retry delay; doubles after each failure (Synapse: 2 s). */
  readonly retryBaseMs: number;
  /** Cap on the retry delay (Synapse: 512 s). */
  readonly retryMaxMs: number;
  /** Where EDUs go: `de.sorunome.msc2409.ephemeral` (Synapse 1.94), `ephemeral`, or both. */
  readonly ephemeralKey: EphemeralKey;
  /** Whether the registration asked for EDUs at all. */
  readonly pushEphemeral: boolean;
}

/** One PUT of one transaction, as sent, with what the appservice made of it. */
export interface TransactionAttempt {
  readonly txnId: string;
  /** 1 for the first try of this txnId, 2 for the first retry, … */
  readonly attempt: number;
  readonly body: JsonObject;
  readonly outcome: AppserviceOutcome;
  readonly sentAt: number;
}

/** A transaction that has an ID but was not acknowledged: it keeps its events only. */
interface StoredTransaction {
  readonly txnId: number;
  readonly events: StoredEvent[];
  attempts: number;
}

/**
 * Pushes transactions the way Synapse's appservice scheduler does: one request at a time,
 * in order, with whatever queued meanwhile batched into the next transaction. A failed
 * transaction (non-2xx, no answer in time, refused connection) marks the appservice down:
 * it is retried under the same txnId after `retryBaseMs`, doubling up to `retryMaxMs`,
 * and transactions made while down wait behind it. Like Synapse, only persistent events
 * survive a failure: ephemeral data is gone from every retry.
 */
export class AppservicePusher {
  private pendingEvents: StoredEvent[] = [];
  private pendingEphemeral: JsonObject[] = [];
  private readonly unacknowledged: StoredTransaction[] = [];
  private nextTxnId = 1;
  private down = false;
  private flushing = false;
  private running = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  readonly attempts: TransactionAttempt[] = [];

  constructor(private readonly api: AppserviceApi, private readonly options: PusherOptions, private readonly log: Logger) {
    this.backoffMs = options.retryBaseMs;
  }

  /** True while nothing is queued, in flight or waiting for a retry. */
  get idle(): boolean {
    return !this.flushing && this.pendingEvents.length === 0 && this.pendingEphemeral.length === 0 && this.unacknowledged.length === 0;
  }

  enqueueEvent(stored: StoredEvent): void {
    this.pendingEvents.push(stored);
    this.scheduleFlush();
  }

  enqueueEphemeral(edu: JsonObject): void {
    if (!this.options.pushEphemeral) return;
    this.pendingEphemeral.push(edu);
    this.scheduleFlush();
  }

  /** Stops sending (a homeserver going down). In-flight work is kept as unacknowledged. */
  pause(): void {
    this.running = false;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    // EDUs live only in memory: a restart loses them, as it does in Synapse.
    this.pendingEphemeral = [];
  }

  /**
   * Starts again after `pause()`. With `resetTxnIds`, numbering restarts after the highest
   * unacknowledged txnId, or at 1 if there is none: Synapse on SQLite derives the next ID
   * from the stored transactions, which are deleted once acknowledged.
   */
  resume(resetTxnIds: boolean): void {
    if (resetTxnIds) this.nextTxnId = Math.max(0, ...this.unacknowledged.map((t) => t.txnId)) + 1;
    this.running = true;
    if (this.unacknowledged.length > 0) {
      this.down = true;
      this.scheduleRetry();
    } else {
      this.down = false;
    }
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    // setImmediate lets a burst of synchronous events (e.g. createRoom) form one transaction.
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    if (this.flushing || !this.running) return;
    if (this.pendingEvents.length === 0 && this.pendingEphemeral.length === 0) return;
    this.flushing = true;
    const events = this.pendingEvents;
    const ephemeral = this.pendingEphemeral;
    this.pendingEvents = [];
    this.pendingEphemeral = [];
    const txn: StoredTransaction = { txnId: this.nextTxnId++, events, attempts: 0 };
    try {
      if (this.down) {
        this.unacknowledged.push(txn);
      } else if (!(await this.attempt(txn, ephemeral))) {
        this.unacknowledged.push(txn);
        this.down = true;
        this.scheduleRetry();
      }
    } finally {
      this.flushing = false;
    }
    if (this.pendingEvents.length > 0 || this.pendingEphemeral.length > 0) this.scheduleFlush();
  }

  private scheduleRetry(): void {
    if (!this.running || this.retryTimer) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.options.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.recover();
    }, delay);
  }

  /** Sends unacknowledged transactions oldest first; stops at the first failure. */
  private async recover(): Promise<void> {
    for (;;) {
      if (!this.running) return;
      const oldest = this.unacknowledged[0];
      if (!oldest) break;
      if (!(await this.attempt(oldest, []))) {
        this.scheduleRetry();
        return;
      }
      this.unacknowledged.shift();
      this.backoffMs = this.options.retryBaseMs;
    }
    this.down = false;
    this.backoffMs = this.options.retryBaseMs;
    this.scheduleFlush();
  }

  private async attempt(txn: StoredTransaction, ephemeral: JsonObject[]): Promise<boolean> {
    txn.attempts += 1;
    const body = this.body(txn.events, ephemeral);
    const txnId = String(txn.txnId);
    const sentAt = Date.now();
    const outcome = await this.api.putTransaction(txnId, body, this.options.timeoutMs);
    this.attempts.push({ txnId, attempt: txn.attempts, body, outcome, sentAt });
    const ok = outcome.kind === 'answered' && outcome.status >= 200 && outcome.status < 300;
    if (!ok) this.log.debug({ txnId, attempt: txn.attempts, outcome: outcome.kind }, 'appservice transaction failed');
    return ok;
  }

  private body(events: StoredEvent[], ephemeral: JsonObject[]): JsonObject {
    const now = Date.now();
    const body: JsonObject = { events: events.map((stored) => toSynapseEvent(stored, now)) };
    if (this.options.pushEphemeral) {
      if (this.options.ephemeralKey !== 'stable') body['de.sorunome.msc2409.ephemeral'] = ephemeral;
      if (this.options.ephemeralKey !== 'unstable') body['ephemeral'] = ephemeral;
      body['de.sorunome.msc2409.to_device'] = [];
    }
    return body;
  }
}
