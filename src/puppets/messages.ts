import type { JsonObject } from '../events/types.js';
import { withSanitizedHtml } from '../format/index.js';
import { controlsOf, type PuppetContext, type RequestControls } from './context.js';
import { locationContent, type Location } from './content/location.js';
import { mediaContent, mediaKindOf, type MediaInfo, type MediaKind } from './content/media.js';
import { editContent, reactionContent, withRelations, type ThreadTarget } from './content/relations.js';
import { emoteContent, htmlContent, noticeContent, textContent, withMentions, type HtmlText, type Mentions, type MessageContent } from './content/text.js';
import type { MediaData } from './uploads.js';
import type { EncryptedFile } from '../crypto/attachments.js';

/** Options of every send. */
export interface SendOptions extends RequestControls {
  /**
   * A stable name for this message (e.g. the remote message id): the same key is sent at
   * most once, across retries and restarts. An edit needs a key of its own.
   */
  readonly idempotencyKey?: string;
  /** The remote network's timestamp in ms (appservice `ts`). */
  readonly ts?: number;
}

/** Options of a message send. */
export interface MessageOptions extends SendOptions {
  /** Event id this message replies to. */
  readonly replyTo?: string;
  /** The thread this message belongs to. */
  readonly thread?: ThreadTarget;
  /** A link to the message on the remote network (`external_url`). */
  readonly externalUrl?: string;
  /** Whom it mentions (`m.mentions`). */
  readonly mentions?: Mentions;
}

/** A file to upload and send. */
export interface MediaUpload extends MediaData {
  /** The msgtype; from the content type when omitted (image/*, audio/*, video/*, else m.file). */
  readonly kind?: MediaKind;
  /** Default `file`. */
  readonly filename?: string;
  readonly caption?: string;
  readonly captionHtml?: string;
  /** Extra info (w, h, duration, thumbnail); mimetype and size are filled in. */
  readonly info?: MediaInfo;
}

export interface RedactOptions extends RequestControls {
  readonly reason?: string;
  /** Who sent the event; the puppet itself when omitted (redacting others' events needs the `redact` level). */
  readonly eventSender?: string;
  /** Default: the event id, so redacting one event twice is one redaction. */
  readonly idempotencyKey?: string;
}

/** Message events of one puppet: each asks the permission engine, then sends. */
export class Messages {
  constructor(private readonly ctx: PuppetContext, private readonly userId: string) {}

  /** Sends any message event; returns its event id. */
  async send(roomId: string, type: string, content: JsonObject, options: SendOptions = {}): Promise<string> {
    // HTML goes out only as the spec's safe subset, whoever built it (a webhook, IRC, a plugin).
    const safe = type === 'm.room.message' ? withSanitizedHtml(content) : content;
    await this.ctx.permissions.sendMessage(this.userId, roomId, type, safe);
    return this.sendChecked(roomId, type, safe, options);
  }

  /** Sends an `m.room.message` with the reply, thread and external URL the options give. */
  sendMessage(roomId: string, content: MessageContent, options: MessageOptions = {}): Promise<string> {
    const withUrl = options.externalUrl === undefined ? content : { ...content, external_url: options.externalUrl };
    return this.send(roomId, 'm.room.message', withMentions(withRelations(withUrl, options), options.mentions), options);
  }

  sendText(roomId: string, body: string, options: MessageOptions = {}): Promise<string> {
    return this.sendMessage(roomId, textContent(body), options);
  }

  sendNotice(roomId: string, body: string, options: MessageOptions = {}): Promise<string> {
    return this.sendMessage(roomId, noticeContent(body), options);
  }

  sendEmote(roomId: string, body: string, options: MessageOptions = {}): Promise<string> {
    return this.sendMessage(roomId, emoteContent(body), options);
  }

  sendHtml(roomId: string, text: HtmlText, options: MessageOptions & { readonly msgtype?: string } = {}): Promise<string> {
    return this.sendMessage(roomId, htmlContent(text, options.msgtype === undefined ? {} : { msgtype: options.msgtype }), options);
  }

  /** Uploads the file (once per content, see UploadCache) and sends it as m.image/m.file/m.audio/m.video. */
  async sendMedia(roomId: string, media: MediaUpload, options: MessageOptions = {}): Promise<string> {
    // Asked before uploading: a refused send should not leave an orphan upload behind.
    await this.ctx.permissions.sendMessage(this.userId, roomId, 'm.room.message');
    const filename = media.filename ?? 'file';
    // In an encrypted room the file is encrypted too: the message then carries `file` (its key) instead of `url`.
    const encrypted = (await this.ctx.mirror.room(roomId))?.encrypted === true;
    const file = encrypted ? await this.ctx.uploads.uploadEncrypted({ ...media, filename }, this.userId, controlsOf(options)) : undefined;
    const url = file?.url ?? await this.ctx.uploads.upload({ ...media, filename }, this.userId, controlsOf(options));
    const plain = mediaContent({
      kind: media.kind ?? mediaKindOf(media.contentType),
      url,
      filename,
      ...(media.caption !== undefined ? { caption: media.caption } : {}),
      ...(media.captionHtml !== undefined ? { captionHtml: media.captionHtml } : {}),
      info: { mimetype: media.contentType, size: media.data.byteLength, ...media.info },
    }, options.externalUrl === undefined ? {} : { externalUrl: options.externalUrl });
    const content = file ? withEncryptedFile(plain, file) : plain;
    return this.sendChecked(roomId, 'm.room.message', withSanitizedHtml(withMentions(withRelations(content, options), options.mentions)), options);
  }

  sendLocation(roomId: string, location: Location, options: MessageOptions = {}): Promise<string> {
    return this.sendMessage(roomId, locationContent(location), options);
  }

  /** Replaces `target`'s content (`m.replace`); give each edit its own idempotency key. */
  edit(roomId: string, target: string, newContent: MessageContent, options: SendOptions & { readonly externalUrl?: string } = {}): Promise<string> {
    const content = options.externalUrl === undefined ? newContent : { ...newContent, external_url: options.externalUrl };
    return this.send(roomId, 'm.room.message', editContent(target, content), options);
  }

  /** Reacts to `target` with `key` (`m.annotation`). */
  react(roomId: string, target: string, key: string, options: SendOptions = {}): Promise<string> {
    return this.send(roomId, 'm.reaction', reactionContent(target, key), options);
  }

  /** Redacts an event; returns the redaction's event id. */
  async redact(roomId: string, eventId: string, options: RedactOptions = {}): Promise<string> {
    await this.ctx.permissions.redact(this.userId, roomId, options.eventSender ?? this.userId);
    const redactionId = await this.ctx.api.events.redact(roomId, eventId, {
      asUser: this.userId,
      ...(this.ctx.extraContent !== undefined ? { content: this.ctx.extraContent } : {}),
      ...(options.reason !== undefined ? { reason: options.reason } : {}),
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...controlsOf(options),
    });
    this.ctx.logger.debug({ roomId, userId: this.userId, eventId, redactionId }, 'redacted');
    return redactionId;
  }

  private async sendChecked(roomId: string, type: string, content: JsonObject, options: SendOptions): Promise<string> {
    const body = this.ctx.extraContent === undefined ? content : { ...content, ...this.ctx.extraContent };
    const eventId = await this.ctx.api.events.send(roomId, type, body, {
      asUser: this.userId,
      ...(options.idempotencyKey !== undefined ? { idempotencyKey: options.idempotencyKey } : {}),
      ...(options.ts !== undefined ? { ts: options.ts } : {}),
      ...controlsOf(options),
    });
    this.ctx.logger.debug({ roomId, userId: this.userId, type, eventId }, 'sent');
    return eventId;
  }
}

/** The media message with `file` (the encrypted file and its key) in place of `url`. */
function withEncryptedFile(content: MessageContent, file: EncryptedFile): MessageContent {
  const { url: _url, ...rest } = content as MessageContent & { url?: unknown };
  return { ...rest, file: { ...file } } as MessageContent;
}
