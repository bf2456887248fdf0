import type { Presence } from '../homeserver/index.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';
import type { Typing, TypingOptions } from './typing.js';

export interface ReceiptOptions extends RequestControls {
  /** `m.read.private`: seen by the puppet's own clients only. */
  readonly private?: boolean;
  /** Thread the receipt is for (`main` for the main timeline). */
  readonly threadId?: string;
}

/** Typing, read receipts and presence of one puppet. None is a room event, so none is judged by the mirror. */
export class EphemeralOps {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  /**
   * Starts typing and keeps it up (refreshed before the server's timeout) until the
   * returned handle's `stop()`. Starting again in the same room returns the same handle.
   */
  startTyping(roomId: string, options: TypingOptions = {}): Promise<Typing> {
    return this.ctx.typing.start(this.userId, roomId, options);
  }

  /** Stops typing in the room (a held notification too). */
  async stopTyping(roomId: string, options: RequestControls = {}): Promise<void> {
    const held = this.ctx.typing.held(this.userId, roomId);
    if (held) return held.stop();
    await this.ctx.api.ephemeral.setTyping(roomId, false, { asUser: this.userId, ...controlsOf(options) });
  }

  /** Marks `eventId` (and everything before it) as read. */
  async sendReadReceipt(roomId: string, eventId: string, options: ReceiptOptions = {}): Promise<void> {
    await this.ctx.api.ephemeral.sendReceipt(roomId, eventId, {
      asUser: this.userId,
      receiptType: options.private ? 'm.read.private' : 'm.read',
      ...(options.threadId !== undefined ? { threadId: options.threadId } : {}),
      ...controlsOf(options),
    });
  }

  /** `online`, `unavailable` (away) or `offline`, with an optional status message. */
  async setPresence(presence: Presence, statusMsg?: string, options: RequestControls = {}): Promise<void> {
    await this.ctx.api.ephemeral.setPresence(presence, {
      asUser: this.userId, ...(statusMsg !== undefined ? { statusMsg } : {}), ...controlsOf(options),
    });
  }
}
