import type { MatrixMessage } from '../plugin/matrix-events.js';
import type { Puppet } from '../puppets/index.js';

/**
 * The bot's answers to one command: notices replying to it (inside its thread when it was
 * in one). The n-th answer's idempotency key is derived from the command's event id and n,
 * so a handler retried after a crash, answering in the same order, posts each answer once.
 */
export class Replier {
  private sent = 0;

  constructor(private readonly bot: Puppet, private readonly command: MatrixMessage) {}

  /** The key of the next answer: `bot-reply:<event id>`, then `…:2`, `…:3`. */
  static keyFor(eventId: string, n: number): string {
    return n === 1 ? `bot-reply:${eventId}` : `bot-reply:${eventId}:${n}`;
  }

  async reply(text: string, html?: string): Promise<void> {
    this.sent++;
    const { roomId, eventId, thread } = this.command;
    const options = {
      replyTo: eventId,
      idempotencyKey: Replier.keyFor(eventId, this.sent),
      ...(thread ? { thread: { root: thread.rootId } } : {}),
    };
    if (html === undefined) await this.bot.sendNotice(roomId, text, options);
    else await this.bot.sendHtml(roomId, { body: text, html }, { ...options, msgtype: 'm.notice' });
  }
}
