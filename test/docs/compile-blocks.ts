/**
 * Compiles code blocks from the docs in one TypeScript program, in-process, from memory.
 * The blocks live under a folder of the repository that does not exist on disk, so
 * `import … from 'matrix-bridgekit'` resolves as in a bridge author's project: through
 * the package's own `exports` (self-reference), to the built declarations in dist/.
 */
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

export interface VirtualFile {
  /** Relative to the virtual folder. */
  readonly path: string;
  readonly text: string;
  /** Where it comes from, for the messages: the page, the fence's line, and how many lines were put before the block. */
  readonly origin?: { readonly doc: string; readonly line: number; readonly prelude: number };
}

export interface Compiled {
  readonly problems: string[];
  /** JavaScript of each file, by its virtual path with `.js`. */
  readonly js: ReadonlyMap<string, string>;
}

// A newcomer's strict project (the tutorial's tsconfig.json), not the repo's own lint flags.
const OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  noUncheckedIndexedAccess: true,
  skipLibCheck: true,
  esModuleInterop: true,
  types: ['node'],
  sourceMap: false,
  declaration: false,
};

export function compileBlocks(repoRoot: string, files: readonly VirtualFile[]): Compiled {
  const base = join(repoRoot, '.doc-blocks');
  const byPath = new Map(files.map((f) => [join(base, f.path), f]));
  const dirs = new Set([...byPath.keys()].flatMap((p) => ancestors(dirname(p), base)));
  const options = { ...OPTIONS, rootDir: base, outDir: join(base, 'out') };
  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile, directoryExists } = host;
  host.fileExists = (p) => byPath.has(p) || fileExists.call(host, p);
  host.readFile = (p) => byPath.get(p)?.text ?? readFile.call(host, p);
  host.directoryExists = (p) => dirs.has(p) || (directoryExists?.call(host, p) ?? false);
  host.getSourceFile = (p, lang, ...rest) => {
    const file = byPath.get(p);
    return file ? ts.createSourceFile(p, file.text, lang) : getSourceFile.call(host, p, lang, ...rest);
  };
  const js = new Map<string, string>();
  host.writeFile = (p, text) => { js.set(relative(options.outDir, p), text); };
  const program = ts.createProgram([...byPath.keys()], options, host);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  const problems = diagnostics.map((d) => describe(d, base, byPath));
  if (problems.length === 0) program.emit();
  return { problems, js };
}

function ancestors(dir: string, base: string): string[] {
  const out: string[] = [];
  for (let d = dir; d.startsWith(base); d = dirname(d)) out.push(d);
  return out;
}

function describe(d: ts.Diagnostic, base: string, byPath: ReadonlyMap<string, VirtualFile>): string {
  const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
  if (!d.file || d.start === undefined) return message;
  const origin = byPath.get(d.file.fileName)?.origin;
  const { line } = d.file.getLineAndCharacterOfPosition(d.start);
  if (!origin) return `${relative(base, d.file.fileName)}:${line + 1}: ${message}`;
  return `${origin.doc}:${origin.line + 1 + line - origin.prelude}: ${message}`;
}
