/**
 * Reply fallbacks: what clients put before a reply for clients that cannot show replies,
 * `<mx-reply>…</mx-reply>` in `formatted_body` and `> <@sender> quoted` lines in `body`.
 * The spec (v1.13) deprecates them and tells receivers to remove them; a bridge passes on
 * the reply itself, not the quote.
 */
import { elementRanges } from './html-parse.js';

/** `html` without its `<mx-reply>` elements, the rest untouched (the same string when it has none). */
export function stripHtmlReplyFallback(html: string): string {
  const ranges = elementRanges(html, 'mx-reply');
  if (ranges.length === 0) return html;
  let out = '';
  let from = 0;
  for (const [start, end] of ranges) {
    out += html.slice(from, start);
    from = end;
  }
  return (out + html.slice(from)).replace(/^\s+/, '');
}

/**
 * `body` without its reply fallback: the leading lines that start with `>`, when the
 * first is `> <sender> …` (the fallback's form), and the empty line after them.
 */
export function stripBodyReplyFallback(body: string): string {
  if (!body.startsWith('> <')) return body;
  const lines = body.split('\n');
  let i = 0;
  while (i < lines.length && lines[i]!.startsWith('>')) i++;
  if (lines[i] === '') i++;
  return lines.slice(i).join('\n');
}

/** A message's text without reply fallbacks, for a message that is a reply. */
export function stripReplyFallback<T extends { readonly body: string; readonly html?: string }>(message: T): T {
  const body = stripBodyReplyFallback(message.body);
  const html = message.html === undefined ? undefined : stripHtmlReplyFallback(message.html);
  if (body === message.body && html === message.html) return message;
  return { ...message, body, ...(html !== undefined ? { html } : {}) };
}
