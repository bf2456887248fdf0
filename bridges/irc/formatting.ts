/**
 * IRC formatting ↔ Matrix HTML. Bold, italics, underline, strikethrough, monospace and
 * colours go both ways; Matrix's block structure (paragraphs, lists, quotes, code blocks)
 * becomes lines, as IRC has nothing else.
 */
import { codeOfColor, colorOfCode } from './colors.js';
import { escapeHtml, parseMatrixTo, walkHtml, type NetworkFormat } from 'matrix-bridgekit';
import { cleanLine, cleanText } from './sanitize.js';
import {
  atoms, BOLD, COLOR, ITALIC, MONOSPACE, plainStyle, RESET, STRIKE, stripFormatting, UNDERLINE, type Style,
} from './irc-style.js';

function htmlColor(value: number | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : colorOfCode(value);
}

function wrap(text: string, style: Style): string {
  let html = escapeHtml(text);
  if (style.monospace) html = `<code>${html}</code>`;
  if (style.strike) html = `<del>${html}</del>`;
  if (style.underline) html = `<u>${html}</u>`;
  if (style.italic) html = `<em>${html}</em>`;
  if (style.bold) html = `<strong>${html}</strong>`;
  const fg = htmlColor(style.fg);
  const bg = htmlColor(style.bg);
  if (fg !== undefined || bg !== undefined) {
    const attrs = [fg !== undefined ? `data-mx-color="${fg}"` : '', bg !== undefined ? `data-mx-bg-color="${bg}"` : ''].filter(Boolean).join(' ');
    html = `<span ${attrs}>${html}</span>`;
  }
  return html;
}

function isPlain(style: Style): boolean {
  return !style.bold && !style.italic && !style.underline && !style.strike && !style.monospace
    && htmlColor(style.fg) === undefined && htmlColor(style.bg) === undefined;
}

/** One IRC line as Matrix text: the plain body, and HTML when the line had any formatting. */
export function ircToMatrix(line: string): { text: string; html?: string } {
  const text = stripFormatting(line);
  const style = plainStyle();
  const runs: Array<{ text: string; style: Style }> = [];
  for (const atom of atoms(line)) {
    if (atom.kind === 'code') {
      atom.apply(style);
      continue;
    }
    const last = runs[runs.length - 1];
    if (last && JSON.stringify(last.style) === JSON.stringify(style)) last.text += atom.text;
    else runs.push({ text: atom.text, style: { ...style } });
  }
  if (runs.every((r) => isPlain(r.style))) return { text };
  return { text, html: runs.map((r) => wrap(r.text, r.style)).join('') };
}

const BLOCKS = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'table', 'tr', 'hr', 'details', 'summary']);
const SKIPPED = new Set(['mx-reply', 'script', 'style', 'head', 'title']);
const VOID = new Set(['br', 'hr', 'img', 'wbr']);
const TOGGLE_OF: Readonly<Record<string, keyof Style>> = {
  b: 'bold', strong: 'bold', h1: 'bold', h2: 'bold', h3: 'bold', h4: 'bold', h5: 'bold', h6: 'bold',
  i: 'italic', em: 'italic', u: 'underline', ins: 'underline', del: 'strike', s: 'strike', strike: 'strike', code: 'monospace',
};
const CODES: ReadonlyArray<readonly ['bold' | 'italic' | 'underline' | 'strike' | 'monospace', string]> = [
  ['bold', BOLD], ['italic', ITALIC], ['underline', UNDERLINE], ['strike', STRIKE], ['monospace', MONOSPACE],
];

/** What an open element changed, undone when it closes. */
interface Frame {
  readonly name: string;
  readonly toggle?: keyof Style;
  readonly color?: number;
  readonly href?: string;
  readonly hrefTextStart?: number;
  readonly quote?: boolean;
  readonly list?: { ordered: boolean; next: number };
}

/**
 * Matrix HTML as IRC text, lines separated by `\n`. Formatting is written as IRC codes
 * (colours to the nearest of the 16 standard ones); links keep their URL after the text
 * unless the text is the URL or a Matrix mention; a mention of someone with an IRC nick
 * (`nickOf`) becomes that nick, so that IRC clients highlight it; reply fallbacks
 * (`mx-reply`) are dropped.
 */
export function htmlToIrc(html: string, nickOf: (userId: string) => string | undefined = () => undefined): string {
  let out = '';
  let atLineStart = true;
  let skipping = 0;
  let pre = 0;
  const stack: Frame[] = [];
  const counts = { bold: 0, italic: 0, underline: 0, strike: 0, monospace: 0 };
  const colors: number[] = [];

  const quoteDepth = () => stack.filter((f) => f.quote).length;
  const newline = () => {
    if (out !== '' && !atLineStart) out += '\n';
    atLineStart = true;
  };
  const write = (text: string) => {
    if (text === '') return;
    if (atLineStart) {
      out += '> '.repeat(quoteDepth());
      atLineStart = false;
    }
    out += text;
  };
  const emitStyle = (before: { counts: typeof counts; color: number | undefined }) => {
    for (const [key, c] of CODES) if ((before.counts[key] > 0) !== (counts[key] > 0)) out += c;
    const color = colors[colors.length - 1];
    if (color !== before.color) out += color === undefined ? COLOR : `${COLOR}${String(color).padStart(2, '0')}`;
  };
  const snapshot = () => ({ counts: { ...counts }, color: colors[colors.length - 1] });

  const text = (raw: string) => {
    if (skipping > 0) return;
    // The text as the sender wrote it (entities such as `&#1;` decoded): no control characters.
    const clean = cleanText(raw);
    const lines = (pre > 0 ? clean : clean.replace(/\s*\n\s*/g, ' ')).split('\n');
    lines.forEach((line, i) => {
      if (i > 0) {
        out += '\n';
        atLineStart = true;
      }
      write(atLineStart && pre === 0 ? line.replace(/^\s+/, '') : line);
    });
  };
  const open = (name: string, attrs: Readonly<Record<string, string>>) => {
    if (SKIPPED.has(name)) skipping++;
    if (skipping > 0) return;
    if (name === 'br') {
      out += '\n';
      atLineStart = true;
      return;
    }
    if (name === 'img') {
      write(cleanLine(attrs['alt'] ?? attrs['title'] ?? ''));
      return;
    }
    if (BLOCKS.has(name)) newline();
    if (name === 'li') {
      const list = [...stack].reverse().find((f) => f.list)?.list;
      write(list?.ordered ? `${list.next++}. ` : '• ');
    }
    if (VOID.has(name)) return;
    const before = snapshot();
    const toggle = TOGGLE_OF[name];
    const colorAttr = attrs['data-mx-color'] ?? (name === 'font' ? attrs['color'] : undefined);
    const color = colorAttr !== undefined ? codeOfColor(colorAttr) : undefined;
    const href = name === 'a' ? attrs['href'] : undefined;
    const start = Number(attrs['start'] ?? '1');
    stack.push({
      name,
      ...(toggle ? { toggle } : {}),
      ...(color !== undefined ? { color } : {}),
      ...(href !== undefined ? { href: cleanLine(href), hrefTextStart: out.length } : {}),
      ...(name === 'blockquote' ? { quote: true } : {}),
      ...(name === 'ul' || name === 'ol' ? { list: { ordered: name === 'ol', next: Number.isSafeInteger(start) ? start : 1 } } : {}),
    });
    if (toggle && toggle in counts) counts[toggle as keyof typeof counts]++;
    if (color !== undefined) colors.push(color);
    if (name === 'pre') pre++;
    emitStyle(before);
  };
  // The parser closes every element it opened (misnested and unclosed ones too), in order.
  const close = (name: string) => {
    if (SKIPPED.has(name)) {
      skipping = Math.max(0, skipping - 1);
      return;
    }
    if (skipping > 0 || stack[stack.length - 1]?.name !== name) return;
    const frame = stack.pop()!;
    const before = snapshot();
    if (frame.toggle && frame.toggle in counts) counts[frame.toggle as keyof typeof counts]--;
    if (frame.color !== undefined) colors.pop();
    if (frame.name === 'pre') pre--;
    emitStyle(before);
    if (frame.href !== undefined) {
      const linked = parseMatrixTo(frame.href);
      const nick = linked?.kind === 'user' ? nickOf(linked.id) : undefined;
      if (nick !== undefined && frame.hrefTextStart !== undefined) out = out.slice(0, frame.hrefTextStart) + nick;
      const linkText = stripFormatting(out.slice(frame.hrefTextStart ?? out.length)).trim();
      if (!frame.href.startsWith('https://matrix.to/#/') && /^(https?|mailto|ftp):/i.test(frame.href)
        && linkText !== frame.href && `mailto:${linkText}` !== frame.href) {
        write(linkText === '' ? frame.href : ` (${frame.href})`);
      }
    }
    if (BLOCKS.has(frame.name)) newline();
  };
  walkHtml(html, { text, open, close });
  if (Object.values(counts).some((n) => n > 0) || colors.length > 0) out += RESET;
  return out.split('\n').map((l) => l.replace(/\s+$/, '')).join('\n').replace(/\n{3,}/g, '\n\n').replace(/^\n+|\n+$/g, '');
}

/** IRC's control codes as a bridgekit NetworkFormat: one line to Matrix text, Matrix text to IRC lines. */
export const ircFormat: NetworkFormat = {
  toMatrix: (line) => ircToMatrix(line),
  fromMatrix: (message, options) => (message.html !== undefined
    ? htmlToIrc(message.html, (userId) => options?.mention?.(userId, ''))
    : cleanText(message.body)),
};
