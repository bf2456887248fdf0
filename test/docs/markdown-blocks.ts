/** The code blocks of a markdown page that name a file: ```ts file=src/plugin.ts … ``` */
export interface FileBlock {
  readonly file: string;
  readonly lang: string;
  readonly code: string;
}

export function fileBlocks(markdown: string): FileBlock[] {
  const blocks: FileBlock[] = [];
  const fence = /^```(\w+)[ \t]+file=(\S+)[ \t]*\n([\s\S]*?)^```[ \t]*$/gm;
  for (const match of markdown.matchAll(fence)) {
    blocks.push({ lang: match[1]!, file: match[2]!, code: match[3]! });
  }
  return blocks;
}
