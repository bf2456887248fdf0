/**
 * A small tokenizer for Matrix's HTML subset. Matrix HTML is untrusted input: anything
 * malformed becomes text rather than an error, and nothing here builds a DOM.
 */

export type HtmlToken =
  | { readonly type: 'open'; readonly name: string; readonly attrs: ReadonlyMap<string, string>; readonly selfClosing: boolean }
  | { readonly type: 'close'; readonly name: string }
  | { readonly type: 'text'; readonly text: string };

const NAMED_ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code = ref[1] === 'x' || ref[1] === 'X' ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      return Number.isInteger(code) && code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
  });
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const TAG = /^<(\/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^\s"'<>/=]+(?:\s*=\s*(?:"[^"<]*"|'[^'<]*'|[^\s"'=<>`]+))?)*)\s*(\/?)>$/;
const ATTR = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
/** Longer "tags" are text: keeps the work per `<` small. */
const MAX_TAG = 2048;

function attributes(source: string): Map<string, string> {
  const attrs = new Map<string, string>();
  for (const m of source.matchAll(ATTR)) {
    attrs.set(m[1]!.toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
  }
  return attrs;
}

/**
 * Tokens of `html` in order; comments dropped, anything that is not a well-formed tag is
 * text. A tag runs from `<` to the nearest `>` with no other `<` inside (so a quoted `>`
 * in an attribute makes the tag text): each character is looked at a bounded number of times.
 */
export function* tokenize(html: string): Generator<HtmlToken> {
  let i = 0;
  let text = '';
  let gt = -2; // nearest '>' at or after the current '<' (-1: none left)
  while (i < html.length) {
    const lt = html.indexOf('<', i);
    if (lt === -1) {
      text += html.slice(i);
      break;
    }
    text += html.slice(i, lt);
    if (html.startsWith('<!--', lt)) {
      const end = html.indexOf('-->', lt + 4);
      i = end === -1 ? html.length : end + 3;
      continue;
    }
    if (gt !== -1 && gt < lt) gt = html.indexOf('>', lt);
    const candidate = gt === -1 || gt - lt > MAX_TAG ? undefined : html.slice(lt, gt + 1);
    const m = candidate !== undefined && candidate.indexOf('<', 1) === -1 ? TAG.exec(candidate) : null;
    if (!m) {
      text += '<';
      i = lt + 1;
      continue;
    }
    if (text !== '') {
      yield { type: 'text', text: decodeEntities(text) };
      text = '';
    }
    const name = m[2]!.toLowerCase();
    if (m[1] === '/') yield { type: 'close', name };
    else yield { type: 'open', name, attrs: attributes(m[3] ?? ''), selfClosing: m[4] === '/' };
    i = lt + m[0].length;
  }
  if (text !== '') yield { type: 'text', text: decodeEntities(text) };
}
