import type { Logger } from '../../log/logger.js';
import type { JsonObject } from '../../events/types.js';
import { requireId, requireObject } from '../../events/validate.js';
import type { HomeserverClient } from '../client.js';
import { route, type Route } from '../route.js';
import type { SentEventLog } from '../sent-events.js';
import { deriveTxnId, randomTxnId } from '../txn-ids.js';
import { controls, type ActingOptions } from './acting.js';

export interface SendOptions extends ActingOptions {
  /**
   * A stable name for this send, e.g. the remote message id or the Matrix event being
   * answered. The same key (for the same user, room and type) always means the same
   * message: it is sent at most once, and a repeat returns the first event id. Content is
   * not compared: an edit needs its own key.
   */
  readonly idempotencyKey?: string;
  /** The remote network's timestamp (ms), as `?ts=` (appservice timestamp massaging). */
  readonly ts?: number;
}

export interface StateOptions extends ActingOptions {
  readonly ts?: number;
}

export interface RedactOptions extends ActingOptions {
  readonly reason?: string;
  /** More fields of the redaction's content (e.g. the double-puppet marker). */
  readonly content?: JsonObject;
  /** Defaults to the redacted event id: redacting one event twice is one redaction. */
  readonly idempotencyKey?: string;
}

/**
 * Turns an event into what is sent for it in an encrypted room (`m.room.encrypted`);
 * undefined sends it as it is. Set by the crypto part when encryption is enabled.
 */
export type SendEncryptor = (roomId: string, asUser: string, eventType: string, content: JsonObject) =>
  Promise<{ readonly eventType: string; readonly content: JsonObject } | undefined>;

const parseEventId = (body: unknown): string => requireId(requireObject(body, 'response'), 'event_id', '$', 'response');

/**
 * Sending events: messages, state, redactions. Sends are PUTs with a txnId, so every
 * retry is safe by construction.
 */
export class EventsApi {
  /** Keyed sends in flight in this process, so concurrent repeats share one request. */
  private readonly inflight = new Map<string, Promise<string>>();
  private encryptor: SendEncryptor | undefined;

  constructor(
    private readonly client: HomeserverClient,
    private readonly sent: SentEventLog | undefined,
    private readonly log: Logger,
  ) {}

  /** Sends go through `encryptor` from now on (end-to-end encryption in encrypted rooms). */
  useEncryptor(encryptor: SendEncryptor): void {
    this.encryptor = encryptor;
  }

  /**
   * `PUT /rooms/{roomId}/send/{eventType}/{txnId}`; returns the event id. In an encrypted
   * room (with encryption enabled) the event goes out as `m.room.encrypted`, under the
   * txnId of the plaintext type so that a repeat is still the same send.
   */
  async send(roomId: string, eventType: string, content: JsonObject, options: SendOptions = {}): Promise<string> {
    const asUser = options.asUser ?? this.client.botUserId;
    const query = { ts: checkTs(options.ts) };
    const sendWith = async (txnId: string) => {
      const sealed = await this.encryptor?.(roomId, asUser, eventType, content);
      const type = sealed?.eventType ?? eventType;
      return this.put(route('/_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', { roomId, eventType: type, txnId }), sealed?.content ?? content, asUser, query, options);
    };
    if (options.idempotencyKey === undefined) return sendWith(randomTxnId());
    const txnId = deriveTxnId({ asUser, roomId, eventType, idempotencyKey: options.idempotencyKey });
    return this.once(txnId, roomId, () => sendWith(txnId));
  }

  /** `PUT /rooms/{roomId}/state/{eventType}/{stateKey}`; setting state is idempotent in itself. */
  async sendState(roomId: string, eventType: string, stateKey: string, content: JsonObject, options: StateOptions = {}): Promise<string> {
    const asUser = options.asUser ?? this.client.botUserId;
    return this.put(
      route('/_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}', { roomId, eventType, stateKey }),
      content, asUser, { ts: checkTs(options.ts) }, options,
    );
  }

  /** `PUT /rooms/{roomId}/redact/{eventId}/{txnId}`; returns the redaction's event id. */
  async redact(roomId: string, eventId: string, options: RedactOptions = {}): Promise<string> {
    const asUser = options.asUser ?? this.client.botUserId;
    const idempotencyKey = options.idempotencyKey ?? eventId;
    const txnId = deriveTxnId({ asUser, roomId, eventType: 'm.room.redaction', idempotencyKey });
    const content = { ...options.content, ...(options.reason === undefined ? {} : { reason: options.reason }) };
    return this.once(txnId, roomId, () =>
      this.put(route('/_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}', { roomId, eventId, txnId }), content, asUser, {}, options));
  }

  /**
   * Runs a keyed send at most once: answered from the log when it already succeeded
   * (no request), joined when it is in flight, recorded when it succeeds.
   */
  private async once(txnId: string, roomId: string, send: () => Promise<string>): Promise<string> {
    const done = await this.sent?.get(txnId);
    if (done) {
      this.log.debug({ roomId, txnId, eventId: done.eventId }, 'send already done, not repeated');
      return done.eventId;
    }
    const running = this.inflight.get(txnId);
    if (running) return running;
    const promise = (async () => {
      const eventId = await send();
      try {
        await this.sent?.record(txnId, { eventId, roomId, sentAt: Date.now() });
      } catch (err) {
        // The event is sent; without the record a repeat falls back on the homeserver's txnId memory.
        this.log.warn({ roomId, txnId, eventId, err }, 'could not record sent event');
      }
      return eventId;
    })().finally(() => this.inflight.delete(txnId));
    this.inflight.set(txnId, promise);
    return promise;
  }

  private put(target: Route, content: JsonObject, asUser: string, query: Record<string, number | undefined>, options: ActingOptions): Promise<string> {
    return this.client.request('PUT', target, { body: content, asUser, query, idempotent: true, parse: parseEventId, ...controls(options) });
  }
}

function checkTs(ts: number | undefined): number | undefined {
  if (ts !== undefined && (!Number.isSafeInteger(ts) || ts < 0)) {
    throw new RangeError(`ts must be a non-negative integer of milliseconds, got ${ts}`);
  }
  return ts;
}
