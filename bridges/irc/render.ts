/**
 * Matrix messages as IRC text, for IRC readers:
 *
 * - m.text → PRIVMSG, m.notice → NOTICE, m.emote → CTCP ACTION; HTML → IRC formatting.
 * - A reply starts with a quote of what it answers, addressed to its author the IRC way:
 *   `bob: > first line of bob's message…`, then the reply on the next line(s).
 * - An edit is sent again in full, marked: `* corrected text`.
 * - Media (files, images, audio, video, stickers) become a link: `cat.png: https://…`.
 */
import { stripBodyReplyFallback, type MatrixEdit, type MatrixMessage } from 'matrix-bridgekit';
import { htmlToIrc } from './formatting.js';
import { cleanLine, cleanText } from './sanitize.js';
import type { RecentMessage } from './recent.js';

export interface Rendered {
  readonly command: 'PRIVMSG' | 'NOTICE';
  readonly action: boolean;
  /** IRC text: formatting codes, lines separated by `\n`. */
  readonly text: string;
}

const QUOTE_CHARS = 80;

/** The quoted sender and first line from a reply fallback, when the body has one. */
export function quoteFromFallback(body: string): { sender: string; text: string } | undefined {
  const m = /^> <([^>]+)> ?(.*)$/m.exec(body.split('\n')[0] ?? '');
  return m ? { sender: m[1]!, text: m[2]! } : undefined;
}

function shorten(text: string, max: number): string {
  const line = cleanLine(text.split('\n').find((l) => l.trim() !== '') ?? '');
  const chars = [...line];
  return chars.length <= max ? line : `${chars.slice(0, max - 1).join('')}…`;
}

function textOf(body: string, html: string | undefined, isReply: boolean, nickOf: RenderOptions['nickOf']): string {
  if (html !== undefined) return htmlToIrc(html, nickOf);
  return cleanText(isReply ? stripBodyReplyFallback(body) : body);
}

export interface RenderOptions {
  /** What the message answers, when known. */
  readonly quote?: RecentMessage;
  /** An `http(s)` URL for an `mxc://` URI. */
  readonly mediaUrl: (mxc: string, filename: string | undefined) => string | undefined;
  /** The IRC nick of a mentioned Matrix user (a ghost's nick, or a Matrix user's own connection). */
  readonly nickOf?: (userId: string) => string | undefined;
}

export function renderMessage(message: MatrixMessage, options: RenderOptions): Rendered {
  const command = message.msgtype === 'm.notice' ? 'NOTICE' : 'PRIVMSG';
  const action = message.msgtype === 'm.emote';
  let text: string;
  if (message.media) {
    const url = options.mediaUrl(message.media.url, message.media.filename) ?? message.media.url;
    const label = message.body.trim() !== '' ? message.body.trim() : message.media.filename ?? 'file';
    text = `${cleanLine(label.split('\n')[0] ?? '')}: ${cleanLine(url)}`;
  } else {
    text = textOf(message.body, message.html, message.replyTo !== undefined, options.nickOf);
  }
  if (message.replyTo !== undefined && options.quote) {
    text = `${cleanLine(options.quote.nick)}: > ${shorten(options.quote.text, QUOTE_CHARS)}\n${text}`;
  }
  return { command, action, text };
}

export function renderEdit(edit: MatrixEdit, nickOf?: RenderOptions['nickOf']): Rendered {
  const body = edit.body.startsWith(' * ') ? edit.body.slice(3) : edit.body;
  const text = edit.html !== undefined ? htmlToIrc(edit.html, nickOf) : cleanText(body);
  return { command: edit.msgtype === 'm.notice' ? 'NOTICE' : 'PRIVMSG', action: edit.msgtype === 'm.emote', text: `* ${text}` };
}

/** `mxc://server/id` as a download link under `base` (the homeserver's public URL). */
export function mediaLink(base: string, mxc: string, filename: string | undefined): string | undefined {
  const m = /^mxc:\/\/([^/]+)\/([A-Za-z0-9_-]+)$/.exec(mxc);
  if (!m) return undefined;
  const name = filename !== undefined && filename !== '' ? `/${encodeURIComponent(filename)}` : '';
  return `${base.replace(/\/+$/, '')}/_matrix/media/v3/download/${m[1]}/${m[2]}${name}`;
}

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

/**
 * Bytes of text one PRIVMSG/NOTICE may carry so the line the server relays,
 * `:nick!user@host PRIVMSG target :text\r\n`, stays within IRC's 512 bytes. User and host
 * are not known for sure (the server may change them), so their maximum lengths are
 * assumed, with a safety margin on top.
 */
export function lineBudget(nick: string, target: string, action: boolean): number {
  const USER = 11; // up to 10 characters, maybe with a `~`
  const HOST = 63;
  const SAFETY = 16;
  const overhead = 1 + bytes(nick) + 1 + USER + 1 + HOST + 1 + 'PRIVMSG'.length + 1 + bytes(target) + 2 + 2;
  return 512 - overhead - SAFETY - (action ? '\x01ACTION \x01'.length : 0);
}
