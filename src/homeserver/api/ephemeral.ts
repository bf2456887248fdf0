import type { HomeserverClient } from '../client.js';
import { route } from '../route.js';
import { actingUser, controls, type ActingOptions } from './acting.js';

export type Presence = 'online' | 'offline' | 'unavailable';

export interface ReceiptOptions extends ActingOptions {
  /** `m.read` (default), `m.read.private`. */
  readonly receiptType?: string;
  /** For threaded receipts; `main` for the main timeline. */
  readonly threadId?: string;
}

/**
 * Typing, presence, receipts and read markers of the acting user. Each sets a state
 * (typing on/off, presence, "read up to"), so all are safe to repeat, the POSTs included.
 */
export class EphemeralApi {
  constructor(private readonly client: HomeserverClient) {}

  /** `PUT /rooms/{roomId}/typing/{userId}`; `timeoutMs` of typing defaults to 30 s. */
  async setTyping(roomId: string, typing: boolean, options: ActingOptions & { readonly typingTimeoutMs?: number } = {}): Promise<void> {
    const userId = actingUser(this.client, options);
    const body = typing ? { typing: true, timeout: options.typingTimeoutMs ?? 30_000 } : { typing: false };
    await this.client.request('PUT', route('/_matrix/client/v3/rooms/{roomId}/typing/{userId}', { roomId, userId }), {
      asUser: userId, body, ...controls(options),
    });
  }

  /** `PUT /presence/{userId}/status`. */
  async setPresence(presence: Presence, options: ActingOptions & { readonly statusMsg?: string } = {}): Promise<void> {
    const userId = actingUser(this.client, options);
    const body = options.statusMsg === undefined ? { presence } : { presence, status_msg: options.statusMsg };
    await this.client.request('PUT', route('/_matrix/client/v3/presence/{userId}/status', { userId }), {
      asUser: userId, body, ...controls(options),
    });
  }

  /** `POST /rooms/{roomId}/receipt/{receiptType}/{eventId}`. */
  async sendReceipt(roomId: string, eventId: string, options: ReceiptOptions = {}): Promise<void> {
    const receiptType = options.receiptType ?? 'm.read';
    await this.client.request('POST', route('/_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}', { roomId, receiptType, eventId }), {
      asUser: actingUser(this.client, options),
      body: options.threadId === undefined ? {} : { thread_id: options.threadId },
      idempotent: true,
      ...controls(options),
    });
  }

  /** `POST /rooms/{roomId}/read_markers`: the fully-read marker and, optionally, a read receipt. */
  async setReadMarkers(roomId: string, fullyRead: string, options: ActingOptions & { readonly read?: string } = {}): Promise<void> {
    await this.client.request('POST', route('/_matrix/client/v3/rooms/{roomId}/read_markers', { roomId }), {
      asUser: actingUser(this.client, options),
      body: options.read === undefined ? { 'm.fully_read': fullyRead } : { 'm.fully_read': fullyRead, 'm.read': options.read },
      idempotent: true,
      ...controls(options),
    });
  }
}
