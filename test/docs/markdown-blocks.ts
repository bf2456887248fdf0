/**
 * The fenced code blocks of a markdown page, for the tests that check the docs against the
 * code. A block may be preceded (on the line just above its fence) by a marker saying how
 * it is checked:
 *
 *   <!-- compile: skip, <reason> -->   not checked (a Synapse file, a transcript…); the reason is required
 *   <!-- compile: in <context> -->     a fragment: compiled inside a named context (block-contexts.ts)
 *   <!-- compile: run in <context> --> compiled in the context, then run
 *
 * A block whose fence names a file (```ts file=src/plugin.ts) is that file of the page's
 * project; the page's file blocks are compiled together.
 */
export interface CodeBlock {
  readonly lang: string;
  /** The file the block is, for ```ts file=… blocks. */
  readonly file?: string;
  readonly code: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  readonly marker?: BlockMarker;
}

export type BlockMarker =
  | { readonly kind: 'skip'; readonly reason: string }
  | { readonly kind: 'compile'; readonly context: string; readonly run: boolean };

export interface FileBlock extends CodeBlock {
  readonly file: string;
}

const MARKER = /^<!--\s*compile:\s*(.*?)\s*-->\s*$/;

export function parseMarker(text: string): BlockMarker | undefined {
  const body = MARKER.exec(text.trim())?.[1];
  if (body === undefined) return undefined;
  const skip = /^skip\s*,\s*(\S.*)$/.exec(body);
  if (skip) return { kind: 'skip', reason: skip[1]! };
  const compile = /^(run\s+)?in\s+([\w-]+)$/.exec(body);
  if (compile) return { kind: 'compile', context: compile[2]!, run: compile[1] !== undefined };
  throw new Error(`unreadable marker "${text.trim()}": use "compile: skip, <reason>", "compile: in <context>" or "compile: run in <context>"`);
}

export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```([\w-]*)(?:[ \t]+file=(\S+))?[ \t]*$/.exec(lines[i]!);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```[ \t]*$/.test(l));
    if (end < 0) throw new Error(`line ${i + 1}: code block never closed`);
    const marker = i > 0 ? parseMarker(lines[i - 1]!) : undefined;
    const code = lines.slice(i + 1, end).join('\n') + '\n';
    blocks.push({ lang: open[1] ?? '', code, line: i + 1, ...(open[2] ? { file: open[2] } : {}), ...(marker ? { marker } : {}) });
    i = end;
  }
  return blocks;
}

/** The code blocks of a page that name a file: ```ts file=src/plugin.ts … ``` */
export function fileBlocks(markdown: string): FileBlock[] {
  return codeBlocks(markdown).filter((b): b is FileBlock => b.file !== undefined);
}
