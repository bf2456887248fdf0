/**
 * IRC formatting codes as a stream of atoms: each control code whole (a colour code with
 * its digits), each piece of text one grapheme. Used both to read IRC formatting and to
 * split lines without ever cutting a code or a character in two.
 */

export const BOLD = '\x02';
export const ITALIC = '\x1d';
export const UNDERLINE = '\x1f';
export const STRIKE = '\x1e';
export const MONOSPACE = '\x11';
export const REVERSE = '\x16';
export const RESET = '\x0f';
export const COLOR = '\x03';
export const HEX_COLOR = '\x04';

export type Toggle = 'bold' | 'italic' | 'underline' | 'strike' | 'monospace';

const TOGGLES: ReadonlyArray<readonly [string, Toggle]> = [
  [BOLD, 'bold'], [ITALIC, 'italic'], [UNDERLINE, 'underline'], [STRIKE, 'strike'], [MONOSPACE, 'monospace'],
];

export interface Style {
  bold: boolean;
  italic: boolean;
  underline: boolean;
  strike: boolean;
  monospace: boolean;
  /** A colour code (0–99) or `#rrggbb` from a hex colour code. */
  fg?: number | string;
  bg?: number | string;
}

export function plainStyle(): Style {
  return { bold: false, italic: false, underline: false, strike: false, monospace: false };
}

export type Atom =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'code'; readonly text: string; readonly apply: (style: Style) => void };

// Colour codes take up to two digits (and `,` two more); hex codes six hex digits each.
const COLOR_CODE = /^\x03(?:(\d{1,2})(?:,(\d{1,2}))?)?/;
const HEX_CODE = /^\x04(?:([0-9a-fA-F]{6})(?:,([0-9a-fA-F]{6}))?)?/;
const segmenter = new Intl.Segmenter('en', { granularity: 'grapheme' });
const CHUNK = 512;

/**
 * The graphemes of `text`, segmented a chunk at a time: iterating one long string's
 * segments takes time quadratic in its length (1.6 s for 40,000 characters on Node 20),
 * and a Matrix message may be 64 KiB. Each chunk's last grapheme may have been cut by the
 * chunk's end, so it is segmented again at the start of the next chunk (which starts on a
 * real boundary, where segmenting needs nothing before it).
 */
export function* graphemes(text: string): Generator<string> {
  let start = 0;
  let size = CHUNK;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    // Never cut a surrogate pair: whether a boundary stands before a code point depends on
    // that whole code point (a lone half of an emoji modifier would start a grapheme).
    if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end--;
    const parts = Array.from(segmenter.segment(text.slice(start, end)), (s) => s.segment);
    if (end === text.length) {
      yield* parts;
      return;
    }
    if (parts.length < 2) { // one grapheme longer than the chunk: look further
      size *= 2;
      continue;
    }
    parts.pop();
    for (const part of parts) {
      yield part;
      start += part.length;
    }
    size = CHUNK;
  }
}

function isHighSurrogate(unit: number): boolean {
  return unit >= 0xd800 && unit <= 0xdbff;
}

function code(text: string, apply: (style: Style) => void): Atom {
  return { kind: 'code', text, apply };
}

function colorAtom(text: string, fg: string | undefined, bg: string | undefined, parse: (v: string) => number | string): Atom {
  return code(text, (s) => {
    if (fg === undefined) {
      delete s.fg;
      delete s.bg;
      return;
    }
    s.fg = parse(fg);
    if (bg !== undefined) s.bg = parse(bg);
  });
}

/** The atoms of one line of IRC text. */
export function atoms(line: string): Atom[] {
  const out: Atom[] = [];
  let text = '';
  const flush = () => {
    for (const segment of graphemes(text)) out.push({ kind: 'text', text: segment });
    text = '';
  };
  for (let i = 0; i < line.length;) {
    const ch = line[i]!;
    const toggle = TOGGLES.find(([c]) => c === ch);
    let atom: Atom | undefined;
    if (toggle) {
      const key = toggle[1];
      atom = code(ch, (s) => { s[key] = !s[key]; });
    } else if (ch === RESET) {
      atom = code(ch, (s) => Object.assign(s, plainStyle(), { fg: undefined, bg: undefined }));
    } else if (ch === REVERSE) {
      atom = code(ch, () => undefined); // no HTML equivalent: kept, ignored
    } else if (ch === COLOR) {
      const m = COLOR_CODE.exec(line.slice(i, i + 6))!;
      atom = colorAtom(m[0], m[1], m[2], (v) => Number(v));
    } else if (ch === HEX_COLOR) {
      const m = HEX_CODE.exec(line.slice(i, i + 14))!;
      atom = colorAtom(m[0], m[1], m[2], (v) => `#${v.toLowerCase()}`);
    }
    if (atom) {
      flush();
      out.push(atom);
      i += atom.text.length;
    } else {
      text += ch;
      i += 1;
    }
  }
  flush();
  return out;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

function colorCodes(style: Style): string {
  if (style.fg === undefined) return '';
  if (typeof style.fg === 'string' || typeof style.bg === 'string') {
    const hex = (v: number | string | undefined) => (typeof v === 'string' ? v.slice(1) : undefined);
    const fg = hex(style.fg);
    const bg = hex(style.bg);
    return fg === undefined ? '' : `${HEX_COLOR}${fg}${bg !== undefined ? `,${bg}` : ''}`;
  }
  // Always two digits: a following digit in the text can never be read as part of the code.
  return `${COLOR}${twoDigits(style.fg)}${style.bg !== undefined ? `,${twoDigits(style.bg as number)}` : ''}`;
}

/** The codes that turn a plain line into `style` (to reopen formatting on a continuation line). */
export function styleCodes(style: Style): string {
  let out = colorCodes(style);
  for (const [c, key] of TOGGLES) if (style[key]) out += c;
  return out;
}

/** `line` without any formatting code. */
export function stripFormatting(line: string): string {
  return atoms(line).filter((a) => a.kind === 'text').map((a) => a.text).join('');
}
