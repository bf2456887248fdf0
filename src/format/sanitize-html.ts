import sanitizeHtml from 'sanitize-html';

/**
 * HTML from a remote network (a webhook, IRC formatting, any plugin's `html`) cut down to
 * what the Matrix spec lets a client render (client-server API, "m.room.message msgtypes"):
 * its tags, and on them only its attributes — `a href` with an absolute http(s), ftp, mailto
 * or magnet URL; `img src` an `mxc://` URI; colours as `#rrggbb`; `code class="language-…"`.
 * Everything else goes: `<script>` and `<style>` with their content, event handlers such as
 * `onerror`, `javascript:` links, `mx-reply` (the spec says to strip it, content and all).
 * A deprecated `<font color>` becomes `<span data-mx-color>`. Tags nest at most 100 deep.
 * The text is kept, escaped; the result is always well formed.
 */
export function sanitizeMatrixHtml(html: string): string {
  return sanitizeHtml(html, OPTIONS);
}

/** The spec's "strongly suggested set of HTML tags to permit". */
export const MATRIX_HTML_TAGS: readonly string[] = [
  'del', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'p', 'a', 'ul', 'ol', 'sup', 'sub', 'li', 'b', 'i', 'u',
  'strong', 'em', 's', 'code', 'hr', 'br', 'div', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'caption', 'pre',
  'span', 'img', 'details', 'summary',
];

const LINK_SCHEMES = ['https', 'http', 'ftp', 'mailto', 'magnet'];
const COLOR = /^#[0-9a-fA-F]{6}$/;
const ABSOLUTE = /^[a-zA-Z][a-zA-Z0-9+.-]*:/;
const MAX_NESTING = 100;

/** Keeps an attribute only when `valid` says its value is. */
function keepIf(attribs: sanitizeHtml.Attributes, name: string, valid: (value: string) => boolean): void {
  const value = attribs[name];
  if (value !== undefined && !valid(value)) delete attribs[name];
}

function colours(tagName: string, attribs: sanitizeHtml.Attributes): sanitizeHtml.Tag {
  const out: sanitizeHtml.Attributes = { ...attribs };
  // <font color> (deprecated by the spec) as <span data-mx-color>.
  if (tagName === 'font' && out['color'] !== undefined && out['data-mx-color'] === undefined) out['data-mx-color'] = out['color'];
  delete out['color'];
  keepIf(out, 'data-mx-color', (v) => COLOR.test(v));
  keepIf(out, 'data-mx-bg-color', (v) => COLOR.test(v));
  return { tagName: 'span', attribs: out };
}

const OPTIONS: sanitizeHtml.IOptions = {
  allowedTags: [...MATRIX_HTML_TAGS],
  allowedAttributes: {
    span: ['data-mx-bg-color', 'data-mx-color', 'data-mx-spoiler', 'data-mx-maths'],
    a: ['target', 'href'],
    img: ['width', 'height', 'alt', 'title', 'src'],
    ol: ['start'],
    code: ['class'],
    div: ['data-mx-maths'],
  },
  allowedClasses: { code: ['language-*'] },
  allowedSchemes: LINK_SCHEMES,
  allowedSchemesByTag: { img: ['mxc'] },
  allowedSchemesAppliedToAttributes: ['href', 'src'],
  allowProtocolRelative: false,
  // Dropped with everything inside them, not just unwrapped.
  nonTextTags: ['script', 'style', 'textarea', 'option', 'noscript', 'mx-reply', 'head', 'title', 'iframe', 'object'],
  disallowedTagsMode: 'discard',
  nestingLimit: MAX_NESTING,
  transformTags: {
    font: colours,
    span: colours,
    a: (tagName, attribs) => {
      const out = { ...attribs };
      // The spec allows no relative link: only an absolute URL (its scheme checked after this).
      keepIf(out, 'href', (v) => ABSOLUTE.test(v.trim()));
      return { tagName, attribs: out };
    },
    img: (tagName, attribs) => {
      const out = { ...attribs };
      keepIf(out, 'src', (v) => v.startsWith('mxc://'));
      keepIf(out, 'width', (v) => /^\d{1,5}$/.test(v));
      keepIf(out, 'height', (v) => /^\d{1,5}$/.test(v));
      return { tagName, attribs: out };
    },
    ol: (tagName, attribs) => {
      const out = { ...attribs };
      keepIf(out, 'start', (v) => /^-?\d{1,9}$/.test(v));
      return { tagName, attribs: out };
    },
  },
};

type Content = Readonly<Record<string, unknown>>;

/**
 * An m.room.message content with its `formatted_body` (and an edit's `m.new_content`'s)
 * sanitized; the same object when it has none. The puppets apply it to every message they
 * send, so no HTML from outside reaches Matrix unchecked, whichever way a plugin built it.
 */
export function withSanitizedHtml<T extends Content>(content: T): T {
  let out: T = content;
  const html = content['formatted_body'];
  if (typeof html === 'string') {
    const clean = sanitizeMatrixHtml(html);
    if (clean !== html) out = { ...out, formatted_body: clean };
  }
  const replacement = content['m.new_content'];
  if (typeof replacement === 'object' && replacement !== null && !Array.isArray(replacement)) {
    const clean = withSanitizedHtml(replacement as Content);
    if (clean !== replacement) out = { ...out, 'm.new_content': clean };
  }
  return out;
}
