import { createHash } from 'node:crypto';
import { MatrixError } from '../../homeserver/index.js';
import type { Logger } from '../../log/logger.js';
import {
  htmlContent, PermissionDenied, textContent, type MessageOptions, type Puppet, type Puppets,
} from '../../puppets/index.js';
import type { Mappings } from '../mappings.js';
import { unknownTarget } from './errors.js';
import type { RemoteOf, RemotePushResult } from './types.js';

/** Who posts a remote message: the sender's ghost, the bot, or the Matrix user themself (a DoublePuppet). */
export type RemoteSender = Pick<Puppet, 'userId' | 'sendText' | 'sendNotice' | 'sendEmote' | 'sendHtml' | 'sendMedia' | 'edit' | 'react' | 'redact'>;

export interface RemoteMessagesDeps {
  readonly puppets: Puppets;
  readonly mappings: Mappings;
  readonly logger: Logger;
}

/**
 * Messages, edits, reactions and redactions from the remote side, sent by the sender's
 * ghost. Every send carries an idempotency key derived from the remote id, so a crash
 * between the send and the mapping write still posts once; remote ids of the events
 * they refer to are resolved through the mappings.
 */
export class RemoteMessages {
  constructor(private readonly deps: RemoteMessagesDeps) {}

  /** The event already posted for a remote message (or reaction) id in this room, if any. */
  async posted(roomId: string | undefined, remoteId: string): Promise<string | undefined> {
    return roomId === undefined ? undefined : this.deps.mappings.eventForRemote(roomId, remoteId);
  }

  async message(roomId: string, ghost: RemoteSender, event: RemoteOf<'message'>): Promise<RemotePushResult> {
    const options: MessageOptions = {
      idempotencyKey: `remote:${event.id}`,
      ...(event.ts !== undefined ? { ts: event.ts } : {}),
      ...(event.externalUrl !== undefined ? { externalUrl: event.externalUrl } : {}),
      ...(event.mentions !== undefined ? { mentions: event.mentions } : {}),
      ...await this.relations(roomId, event),
    };
    let eventId: string;
    if (event.media) {
      const { media } = event;
      eventId = await ghost.sendMedia(roomId, {
        data: media.data,
        contentType: media.contentType,
        filename: media.filename,
        ...(event.text !== '' && event.text !== media.filename ? { caption: event.text } : {}),
        ...(event.html !== undefined && event.text !== '' ? { captionHtml: event.html } : {}),
        info: {
          ...(media.width !== undefined ? { w: media.width } : {}),
          ...(media.height !== undefined ? { h: media.height } : {}),
          ...(media.durationMs !== undefined ? { duration: media.durationMs } : {}),
        },
      }, options);
    } else if (event.html !== undefined) {
      eventId = await ghost.sendHtml(roomId, { body: event.text, html: event.html }, { ...options, msgtype: event.msgtype ?? 'm.text' });
    } else if (event.msgtype === 'm.notice') {
      eventId = await ghost.sendNotice(roomId, event.text, options);
    } else if (event.msgtype === 'm.emote') {
      eventId = await ghost.sendEmote(roomId, event.text, options);
    } else {
      eventId = await ghost.sendText(roomId, event.text, options);
    }
    await this.deps.mappings.linkMessage(roomId, event.id, eventId);
    this.deps.logger.debug({ roomId, eventId, remoteId: event.id, userId: ghost.userId }, 'remote message bridged');
    return { roomId, eventId, duplicate: false };
  }

  /**
   * Edits are not mapped (an edit of an edit must still point at the original), so they
   * are kept single by their idempotency key: the edit's own id, or, for networks whose
   * edits reuse the message id, that id and the new content.
   */
  async edit(roomId: string, channelId: string, ghost: RemoteSender, event: RemoteOf<'edit'>): Promise<RemotePushResult> {
    const target = await this.target(roomId, channelId, 'edit', event.targetId);
    const content = event.html !== undefined ? htmlContent({ body: event.text, html: event.html }) : textContent(event.text);
    const key = event.id !== event.targetId
      ? `edit:${event.id}`
      : `edit:${event.id}:${createHash('sha256').update(JSON.stringify([event.text, event.html ?? null])).digest('hex')}`;
    const eventId = await ghost.edit(roomId, target, content, { idempotencyKey: key, ...(event.ts !== undefined ? { ts: event.ts } : {}) });
    return { roomId, eventId, duplicate: false };
  }

  async reaction(roomId: string, channelId: string, ghost: RemoteSender, event: RemoteOf<'reaction'>): Promise<RemotePushResult> {
    const target = await this.target(roomId, channelId, 'reaction', event.targetId);
    const eventId = await ghost.react(roomId, target, event.key, {
      idempotencyKey: `reaction:${event.id}`, ...(event.ts !== undefined ? { ts: event.ts } : {}),
    });
    // Mapped like a message, so that a later redaction of the reaction finds it.
    await this.deps.mappings.linkMessage(roomId, event.id, eventId);
    return { roomId, eventId, duplicate: false };
  }

  /**
   * Redacts as the sender's ghost. When that is refused (the ghost deletes someone
   * else's message without the power to), the bot, which created the portal, does it.
   */
  async redaction(roomId: string, channelId: string, ghost: RemoteSender, event: RemoteOf<'redaction'>): Promise<RemotePushResult> {
    const target = await this.target(roomId, channelId, 'redaction', event.targetId);
    const reason = event.reason !== undefined ? { reason: event.reason } : {};
    try {
      const eventId = await ghost.redact(roomId, target, reason);
      return { roomId, eventId, duplicate: false };
    } catch (err) {
      const refused = err instanceof PermissionDenied || (err instanceof MatrixError && err.isForbidden);
      if (!refused) throw err;
      this.deps.logger.info({ roomId, eventId: target, userId: ghost.userId }, 'the ghost may not redact this event; the bot does');
      const eventId = await this.deps.puppets.bot.redact(roomId, target, reason);
      return { roomId, eventId, duplicate: false };
    }
  }

  /** The event id of a mapped remote message; a clear error (logged by the pipeline) when it was never bridged. */
  async target(roomId: string, channelId: string, kind: string, remoteId: string): Promise<string> {
    const eventId = await this.deps.mappings.eventForRemote(roomId, remoteId);
    if (eventId === undefined) throw unknownTarget(kind, channelId, roomId, remoteId);
    return eventId;
  }

  /**
   * Reply and thread relations. An unknown reply target or thread root only costs the
   * relation: the message itself is still worth posting, so it goes out plain, with a log line.
   */
  private async relations(roomId: string, event: RemoteOf<'message'>): Promise<Pick<MessageOptions, 'replyTo' | 'thread'>> {
    const lookup = async (remoteId: string | undefined, what: string): Promise<string | undefined> => {
      if (remoteId === undefined) return undefined;
      const eventId = await this.deps.mappings.eventForRemote(roomId, remoteId);
      if (eventId === undefined) this.deps.logger.warn({ roomId, remoteId, messageId: event.id }, `${what} was never bridged; sending without it`);
      return eventId;
    };
    const replyTo = await lookup(event.replyTo, 'the replied-to message');
    const root = await lookup(event.threadRoot, 'the thread root');
    return {
      ...(replyTo !== undefined ? { replyTo } : {}),
      ...(root !== undefined ? { thread: { root } } : {}),
    };
  }
}
