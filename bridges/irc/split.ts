/**
 * Splits IRC text into lines that fit a byte budget. A line break in the text starts a
 * new IRC line; a line too long is cut at its last space that fits (or anywhere, for a
 * word longer than the budget), never inside a character (grapheme) or a formatting code.
 * IRC clients reset formatting at each line, so every line after the first reopens the
 * formatting in effect where it starts.
 */
import { atoms, plainStyle, styleCodes, type Atom, type Style } from './irc-style.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

function applied(style: Style, atom: Atom): Style {
  if (atom.kind === 'text') return style;
  const next = { ...style };
  atom.apply(next);
  return next;
}

export interface SplitResult {
  readonly lines: string[];
  /** Lines left out because of `maxLines` (the last line sent says so instead). */
  readonly omitted: number;
}

/**
 * `text` as IRC lines of at most `maxBytes` UTF-8 bytes each (`prefix` included: it starts
 * every line, e.g. `<alice> ` in relay mode), and at most `maxLines` lines. Empty lines are
 * dropped (IRC cannot send them).
 */
export function splitText(text: string, maxBytes: number, maxLines = Infinity, prefix = ''): SplitResult {
  const budget = Math.max(8, maxBytes - bytes(prefix));
  const out: string[] = [];
  let style = plainStyle();
  for (const rawLine of text.split(/\r\n|\n|\r/)) {
    // The last guard before the wire: no NUL, no line break, no CTCP delimiter in any line.
    const line = atoms(rawLine.replace(/[\0\r\n\x01]/g, ''));
    let i = 0;
    while (i < line.length) {
      const opening = styleCodes(style);
      let size = bytes(opening);
      let state = style;
      let cut = -1; // index after the last space that fit
      let stateAtCut = style;
      let j = i;
      for (; j < line.length; j++) {
        const atom = line[j]!;
        const b = bytes(atom.text);
        if (size + b > budget && j > i) break;
        size += b;
        state = applied(state, atom);
        if (atom.kind === 'text' && atom.text === ' ') {
          cut = j + 1;
          stateAtCut = state;
        }
      }
      const end = j < line.length && cut > i ? cut : j;
      const piece = line.slice(i, end);
      style = end === j ? state : stateAtCut;
      i = end;
      const visible = piece.some((a) => a.kind === 'text' && a.text.trim() !== '');
      if (visible) out.push(prefix + opening + piece.map((a) => a.text).join('').replace(/ +$/, ''));
    }
  }
  if (out.length <= maxLines) return { lines: out, omitted: 0 };
  // The last line that fits says how much was left out.
  const kept = out.slice(0, Math.max(0, maxLines - 1));
  const omitted = out.length - kept.length;
  kept.push(`${prefix}… (${omitted} more line${omitted === 1 ? '' : 's'} not sent)`);
  return { lines: kept, omitted };
}
