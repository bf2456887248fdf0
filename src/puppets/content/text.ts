import type { JsonObject } from '../../events/types.js';

/** An `m.room.message` content. */
export type MessageContent = JsonObject & { readonly msgtype: string; readonly body: string };

/** Options every message builder takes. */
export interface ContentOptions {
  /** A link to the message on the remote network (`external_url`). */
  readonly externalUrl?: string;
}

/** Formatted text: plain `body` for clients without HTML, `html` as `formatted_body`. */
export interface HtmlText {
  readonly body: string;
  readonly html: string;
}

export function textContent(body: string, options: ContentOptions = {}): MessageContent {
  return withExternalUrl({ msgtype: 'm.text', body }, options);
}

export function noticeContent(body: string, options: ContentOptions = {}): MessageContent {
  return withExternalUrl({ msgtype: 'm.notice', body }, options);
}

/** An emote ("/me"): `body` is the action without the sender's name. */
export function emoteContent(body: string, options: ContentOptions = {}): MessageContent {
  return withExternalUrl({ msgtype: 'm.emote', body }, options);
}

/** HTML text (`format: org.matrix.custom.html`); `msgtype` m.text unless given (m.notice, m.emote). */
export function htmlContent(text: HtmlText, options: ContentOptions & { readonly msgtype?: string } = {}): MessageContent {
  return withExternalUrl({
    msgtype: options.msgtype ?? 'm.text',
    body: text.body,
    format: 'org.matrix.custom.html',
    formatted_body: text.html,
  }, options);
}

export function withExternalUrl<T extends JsonObject>(content: T, options: ContentOptions): T {
  return options.externalUrl === undefined ? content : { ...content, external_url: options.externalUrl };
}

/**
 * Whom a message mentions (intentional mentions, `m.mentions`): their clients notify them.
 * A message that carries `m.mentions` is no longer matched against display names, so it is
 * only added when a plugin says whom it mentions.
 */
export interface Mentions {
  readonly userIds?: readonly string[];
  /** `@room`: everyone in the room (needs the `notifications.room` level to notify). */
  readonly room?: boolean;
}

export function withMentions<T extends JsonObject>(content: T, mentions: Mentions | undefined): T {
  if (mentions === undefined) return content;
  const userIds = [...new Set(mentions.userIds ?? [])];
  return { ...content, 'm.mentions': { ...(userIds.length > 0 ? { user_ids: userIds } : {}), ...(mentions.room ? { room: true } : {}) } };
}
