/**
 * Markdown (CommonMark, as Matrix clients write it) to Matrix HTML with markdown-it. Raw
 * HTML in the source is text, not markup (`html: false`), and the result goes through the
 * sanitiser like any HTML bridgekit sends.
 */
import MarkdownIt from 'markdown-it';
import { htmlToText, type HtmlToTextOptions } from './html-to-text.js';
import { escapeHtml } from './html-parse.js';
import { mentionedUsers } from './matrix-to.js';
import { sanitizeMatrixHtml } from './sanitize-html.js';

/** Text for an `m.room.message` (or a RemoteEvent message): `html` only when there is formatting. */
export interface FormattedText {
  /** The plain `body`. */
  readonly text: string;
  /** `formatted_body`; absent when the text has no formatting. */
  readonly html?: string;
  /** Users the HTML mentions with pills (`m.mentions`); absent when none. */
  readonly mentions?: { readonly userIds: readonly string[] };
}

const markdown = new MarkdownIt('commonmark', { html: false, linkify: true, breaks: true })
  .enable(['linkify', 'strikethrough', 'table'])
  // Links and images from Markdown are judged by the sanitiser (it keeps mxc: images only).
  .set({ typographer: false });

/** Markdown as sanitised Matrix HTML; one paragraph is not wrapped in `<p>` (as Matrix clients send it). */
export function markdownToHtml(source: string): string {
  const tokens = markdown.parse(source, {});
  const single = tokens.length === 3 && tokens[0]!.type === 'paragraph_open' && tokens[2]!.type === 'paragraph_close';
  const html = single ? markdown.renderer.render(tokens[1]!.children ?? [], markdown.options, {}) : markdown.renderer.render(tokens, markdown.options, {});
  return sanitizeMatrixHtml(html.replace(/\n$/, ''));
}

/** Plain text as HTML: escaped, line breaks as `<br>`. */
export function textToHtml(text: string): string {
  return escapeHtml(text).replace(/\r?\n/g, '<br>');
}

/**
 * Matrix HTML (sanitised) as a message's text: the plain body written from it, and the
 * users its pills mention.
 */
export function formatHtml(html: string, options: HtmlToTextOptions = {}): FormattedText {
  const clean = sanitizeMatrixHtml(html);
  const userIds = mentionedUsers(clean);
  return { text: htmlToText(clean, options), html: clean, ...(userIds.length > 0 ? { mentions: { userIds } } : {}) };
}

/**
 * Markdown as a message's text: HTML when the source has any formatting (the plain body
 * is then written from the HTML, pills as names), the source itself when it has none.
 */
export function formatMarkdown(source: string, options: HtmlToTextOptions = {}): FormattedText {
  const html = markdownToHtml(source);
  if (html === textToHtml(source) || html === '') return { text: source };
  return formatHtml(html, options);
}
