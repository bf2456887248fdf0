/**
 * Matrix HTML read with htmlparser2 (the parser sanitize-html uses): a forgiving HTML
 * tokenizer, so malformed input becomes a tree or text, never an error. Nothing here
 * builds HTML by pasting strings around untrusted markup.
 */
import { DomUtils, Parser, parseDocument } from 'htmlparser2';
import type { ChildNode, Document, Element } from 'domhandler';

export type { ChildNode, Document, Element };

/** The document tree of `html`: tags lower-cased, entities decoded in text and attributes. */
export function parseHtml(html: string): Document {
  return parseDocument(html, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
}

export function isElement(node: ChildNode): node is Element {
  return DomUtils.isTag(node);
}

export function isText(node: ChildNode): node is ChildNode & { data: string } {
  return DomUtils.isText(node);
}

/** Text as HTML: `& < > "` escaped (safe in text and in quoted attributes). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Where the outermost elements named `name` stand in `html`, as `[start, end)` offsets
 * (an unclosed one runs to where the parser closes it). Streamed, so it costs no tree and
 * no recursion, however deep the input nests; cutting these ranges out leaves the rest of
 * the HTML exactly as it was.
 */
export function elementRanges(html: string, name: string): Array<readonly [number, number]> {
  const ranges: Array<readonly [number, number]> = [];
  let depth = 0;
  let start = 0;
  const parser: Parser = new Parser({
    onopentag: (tag) => {
      if (tag !== name) return;
      if (depth === 0) start = parser.startIndex;
      depth++;
    },
    onclosetag: (tag, implied) => {
      if (tag !== name || depth === 0) return;
      depth--;
      // An implied close happens at the tag that closed it (or the end): that tag stays.
      if (depth === 0) ranges.push([start, Math.min(html.length, implied ? parser.startIndex : parser.endIndex + 1)]);
    },
  }, { decodeEntities: true, lowerCaseTags: true });
  parser.end(html);
  return ranges;
}

/** What `walkHtml` reports, in document order. */
export interface HtmlVisitor {
  /** An element opens; attribute names lower-cased, values decoded. */
  open?(name: string, attributes: Readonly<Record<string, string>>): void;
  /** An element closes: its end tag, or implied (void elements, unclosed or misnested tags). */
  close?(name: string): void;
  /** Text, entities decoded. */
  text?(text: string): void;
}

/**
 * Streams `html` to `visitor` without building a tree: every open is matched by a close
 * (htmlparser2 closes misnested and unclosed tags), so a converter keeps a simple stack,
 * however deep or broken the input.
 */
export function walkHtml(html: string, visitor: HtmlVisitor): void {
  const parser = new Parser({
    onopentag: (name, attributes) => visitor.open?.(name, attributes),
    onclosetag: (name) => visitor.close?.(name),
    ontext: (text) => visitor.text?.(text),
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);
}
