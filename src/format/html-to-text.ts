/**
 * Matrix HTML as plain text: the `body` a client without HTML shows, or what a network
 * without formatting receives. Paragraphs, lists (nested, numbered from `start`),
 * quotes (`> `), code blocks (kept verbatim) and tables become lines; links keep their URL
 * after the text unless the text is the URL; pills become names; reply fallbacks
 * (`<mx-reply>`), scripts and styles are dropped.
 */
import { isElement, isText, parseHtml, type ChildNode, type Element } from './html-parse.js';
import { parseMatrixTo } from './matrix-to.js';

export interface HtmlToTextOptions {
  /**
   * What a user pill reads as: e.g. a ghost's remote name, or a Matrix user's display
   * name. `text` is the pill's own text; undefined keeps it.
   */
  readonly mention?: (userId: string, text: string) => string | undefined;
}

const SKIPPED = new Set(['mx-reply', 'script', 'style', 'head', 'title', 'template', 'iframe', 'object', 'noscript']);
/** Separated from what is around them by a blank line. */
const PARAGRAPHS = new Set(['p', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'pre', 'blockquote', 'ul', 'ol', 'table', 'hr', 'details']);
/** On lines of their own. */
const LINES = new Set(['div', 'li', 'tr', 'summary', 'caption', 'thead', 'tbody', 'tfoot', 'section', 'article', 'header', 'footer', 'dl', 'dt', 'dd', 'figure']);
const MAX_DEPTH = 100;

interface Block {
  readonly text: string;
  readonly paragraph: boolean;
}

export function htmlToText(html: string, options: HtmlToTextOptions = {}): string {
  return new TextWriter(options).flow(parseHtml(html).children, false, 0).replace(/\n{3,}/g, '\n\n');
}

class TextWriter {
  constructor(private readonly options: HtmlToTextOptions) {}

  /** `nodes` as lines; `tight` (inside a list item) joins blocks with one line break. */
  flow(nodes: readonly ChildNode[], tight: boolean, depth: number): string {
    const blocks: Block[] = [];
    let inline = '';
    const flush = () => {
      const text = inline.split('\n').map((line) => line.replace(/^ +| +$/g, '')).join('\n').replace(/^\n+|\n+$/g, '');
      if (text !== '') blocks.push({ text, paragraph: false });
      inline = '';
    };
    for (const node of nodes) {
      if (isText(node)) {
        inline += node.data.replace(/[ \t\n\r\f]+/g, ' ');
        continue;
      }
      if (!isElement(node) || SKIPPED.has(node.name)) continue;
      if (node.name === 'br') {
        inline += '\n';
        continue;
      }
      if (PARAGRAPHS.has(node.name) || LINES.has(node.name)) {
        flush();
        const text = this.block(node, depth + 1);
        if (text !== '') blocks.push({ text, paragraph: PARAGRAPHS.has(node.name) });
        continue;
      }
      inline += this.inline(node, depth + 1);
    }
    flush();
    return blocks.reduce((out, block, i) => {
      if (i === 0) return block.text;
      const gap = !tight && (block.paragraph || blocks[i - 1]!.paragraph) ? '\n\n' : '\n';
      return out + gap + block.text;
    }, '');
  }

  private children(node: Element, tight: boolean, depth: number): string {
    return depth > MAX_DEPTH ? '' : this.flow(node.children, tight, depth);
  }

  private block(node: Element, depth: number): string {
    switch (node.name) {
      case 'pre':
        return textOf(node, depth).replace(/\n$/, '');
      case 'hr':
        return '---';
      case 'blockquote':
        return prefixLines(this.children(node, false, depth), () => '> ');
      case 'ul':
      case 'ol':
        return this.list(node, depth);
      case 'tr':
        return node.children.filter(isElement).map((cell) => this.children(cell, true, depth).replace(/\n/g, ' ')).join(' | ');
      default:
        return this.children(node, false, depth);
    }
  }

  private list(node: Element, depth: number): string {
    const start = Number(node.attribs['start'] ?? '1');
    let next = Number.isSafeInteger(start) ? start : 1;
    const items: string[] = [];
    for (const child of node.children) {
      if (!isElement(child) || SKIPPED.has(child.name)) continue;
      // Lists nested without an <li> (as some clients write them) are indented too.
      const text = child.name === 'li' ? this.children(child, true, depth) : this.block(child, depth);
      if (text === '') continue;
      const marker = child.name !== 'li' ? '  ' : node.name === 'ol' ? `${next++}. ` : '- ';
      items.push(prefixLines(text, (i) => (i === 0 ? marker : ' '.repeat(marker.length))));
    }
    return items.join('\n');
  }

  private inline(node: Element, depth: number): string {
    if (node.name === 'img') return node.attribs['alt'] ?? node.attribs['title'] ?? '';
    const text = this.children(node, false, depth);
    if (node.name !== 'a') return text;
    const href = node.attribs['href']?.trim() ?? '';
    const target = parseMatrixTo(href);
    if (target?.kind === 'user') return this.options.mention?.(target.id, text) ?? (text !== '' ? text : target.id);
    if (target) return text !== '' ? text : target.kind === 'room' ? target.id : href;
    if (href === '' || text === href || `mailto:${text}` === href) return text !== '' ? text : href;
    return text === '' ? href : `${text} (${href})`;
  }
}

/** All the text under `node`, whitespace as it is (code blocks). */
function textOf(node: ChildNode, depth: number): string {
  if (isText(node)) return node.data;
  if (!isElement(node) || SKIPPED.has(node.name) || depth > MAX_DEPTH) return '';
  if (node.name === 'br') return '\n';
  return node.children.map((child) => textOf(child, depth + 1)).join('');
}

function prefixLines(text: string, prefix: (index: number) => string): string {
  return text.split('\n').map((line, i) => `${prefix(i)}${line}`.replace(/ +$/, '')).join('\n');
}
