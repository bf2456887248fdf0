/**
 * Docs that run: every code block of the docs and READMEs that is a program, a test or a
 * config is checked against the code, from the markdown itself. TypeScript blocks are
 * compiled together in one in-process program against the package's own exports (and those
 * marked `run` are run); YAML blocks are configs validated by the real schema (and the
 * plugin's, for `bridge.config`); docs/configuration.md documents exactly the schema's keys.
 * Fragments say what they leave out (block-contexts.ts); blocks that are not ours say why.
 * The packed-tarball path of the tutorial is tutorial-project.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import type { z } from 'zod';
import { configSchema, validateConfig } from '../../src/config/index.js';
import { loadPlugin, validatePluginConfig } from '../../src/plugin/loader.js';
import { contexts } from './block-contexts.js';
import { compileBlocks, type Compiled, type VirtualFile } from './compile-blocks.js';
import { documentedKeys, inlineConfigKeys, isKeyOrSection, schemaKeys } from './config-keys.js';
import { codeBlocks, type CodeBlock } from './markdown-blocks.js';
import { cliHelp, shellLineProblems } from './shell-blocks.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TS = new Set(['ts', 'typescript']);
const YAML = new Set(['yaml', 'yml']);
/** Not programs: shell commands, transcripts, diagrams. */
const NOT_PROGRAMS = new Set(['sh', 'bash', 'text', '', 'mermaid']); // sh: only the names in them are checked

/** What every config block is merged into: the keys a fragment leaves out. */
const BASE_CONFIG = {
  homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
  appservice: { id: 'docs', url: 'http://127.0.0.1:9000', port: 9000, registration: 'registration.yaml', bot: 'bot', prefix: '_docs_' },
  store: { path: './data' },
  bridge: { plugin: 'echo' },
};

interface Page { readonly doc: string; readonly markdown: string; readonly blocks: CodeBlock[] }

async function pages(): Promise<Page[]> {
  const docs = ['README.md'];
  for (const dir of ['docs']) docs.push(...(await readdir(join(ROOT, dir))).filter((f) => f.endsWith('.md')).map((f) => `${dir}/${f}`));
  for (const dir of ['src', 'bridges']) {
    for (const sub of await readdir(join(ROOT, dir), { withFileTypes: true })) {
      if (!sub.isDirectory()) continue;
      const names = await readdir(join(ROOT, dir, sub.name));
      if (names.includes('README.md')) docs.push(`${dir}/${sub.name}/README.md`);
    }
  }
  return Promise.all(docs.map(async (doc) => {
    const markdown = await readFile(join(ROOT, doc), 'utf8');
    return { doc, markdown, blocks: codeBlocks(markdown) };
  }));
}

const slug = (doc: string): string => doc.replace(/\.md$/, '').replace(/[^\w]+/g, '-');

/** The virtual files of a page's TypeScript blocks: its file blocks, and each other block in its context. */
function tsFiles(page: Page): VirtualFile[] {
  const files: VirtualFile[] = [];
  for (const block of page.blocks) {
    if (!TS.has(block.lang) || block.marker?.kind === 'skip') continue;
    const origin = { doc: page.doc, line: block.line };
    if (block.file) { files.push({ path: `${slug(page.doc)}/${block.file}`, text: block.code, origin: { ...origin, prelude: 0 } }); continue; }
    const context = block.marker?.kind === 'compile' ? contexts[block.marker.context] : { prelude: '' };
    assert.ok(context, `${page.doc}:${block.line}: no context named "${block.marker?.kind === 'compile' ? block.marker.context : ''}" in test/docs/block-contexts.ts`);
    const dir = `${slug(page.doc)}/${context.dir ?? `L${block.line}`}`;
    files.push({
      path: `${dir}/L${block.line}.ts`,
      text: context.prelude + block.code + (context.postlude ?? ''),
      origin: { ...origin, prelude: context.prelude.split('\n').length - 1 },
    });
    for (const [name, text] of Object.entries(context.files ?? {})) files.push({ path: `${dir}/${name}`, text });
  }
  return files;
}

describe('docs that run: the code blocks of every page', function () {
  this.timeout(60_000);
  let all: Page[];
  let compiled: Compiled;

  before(async () => {
    all = await pages();
    compiled = compileBlocks(ROOT, all.flatMap(tsFiles));
  });

  it('finds the pages and their blocks', () => {
    const docs = all.map((p) => p.doc);
    for (const doc of ['README.md', 'docs/writing-a-plugin.md', 'docs/encryption.md', 'src/testing/README.md', 'bridges/irc/README.md']) assert.ok(docs.includes(doc), doc);
    const tsBlocks = all.flatMap((p) => p.blocks.filter((b) => TS.has(b.lang) && b.marker?.kind !== 'skip'));
    assert.ok(tsBlocks.length >= 14, `only ${tsBlocks.length} TypeScript blocks`);
  });

  it('has a checker for every block, or a reason why it is not checked', () => {
    const unknown = all.flatMap((p) => p.blocks
      .filter((b) => b.marker?.kind !== 'skip' && !TS.has(b.lang) && !YAML.has(b.lang) && b.lang !== 'json' && !NOT_PROGRAMS.has(b.lang))
      .map((b) => `${p.doc}:${b.line} (${b.lang})`));
    assert.deepEqual(unknown, [], 'blocks in a language nothing checks: add a checker or a "compile: skip, <reason>" marker');
    const contextsOnOthers = all.flatMap((p) => p.blocks
      .filter((b) => b.marker?.kind === 'compile' && !TS.has(b.lang)).map((b) => `${p.doc}:${b.line}`));
    assert.deepEqual(contextsOnOthers, [], 'contexts are for TypeScript blocks');
  });

  it('compiles every TypeScript block against the package exports', () => {
    assert.deepEqual(compiled.problems, []);
  });

  it('keeps excerpts line for line (indentation aside) in the file block they come from', () => {
    let checked = 0;
    const drift = all.flatMap((page) => page.blocks.flatMap((block) => {
      const whole = block.marker?.kind === 'compile' ? contexts[block.marker.context]?.excerptOf : undefined;
      if (whole === undefined) return [];
      const file = page.blocks.find((b) => b.file === whole);
      if (!file) return [`${page.doc}:${block.line}: no file block ${whole}`];
      checked++;
      return runIn(lines(block.code), lines(file.code)) ? [] : [`${page.doc}:${block.line}: not a run of lines of ${whole}`];
    }));
    assert.deepEqual(drift, []);
    assert.ok(checked >= 3, `checked ${checked} excerpts`);
  });

  it('runs the blocks marked run', async () => {
    assert.deepEqual(compiled.problems, [], 'the blocks must compile before they run');
    const out = join(ROOT, 'dist', `.doc-blocks-run-${process.pid}`);
    try {
      for (const [path, js] of compiled.js) {
        await mkdir(dirname(join(out, path)), { recursive: true });
        await writeFile(join(out, path), js);
      }
      let ran = 0;
      for (const page of all) {
        for (const block of page.blocks) {
          if (block.marker?.kind !== 'compile' || !block.marker.run) continue;
          const context = contexts[block.marker.context]!;
          const path = join(out, slug(page.doc), context.dir ?? `L${block.line}`, `L${block.line}.js`);
          await import(pathToFileURL(path).href).catch((err: unknown) => {
            throw new Error(`${page.doc}:${block.line}: ${err instanceof Error ? err.stack : String(err)}`);
          });
          ran++;
        }
      }
      assert.ok(ran >= 2, `ran ${ran} blocks`);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  });

  it('parses every JSON block', () => {
    for (const page of all) {
      for (const block of page.blocks.filter((b) => b.lang === 'json' && b.marker?.kind !== 'skip')) {
        assert.doesNotThrow(() => JSON.parse(block.code), `${page.doc}:${block.line}`);
      }
    }
  });

  it('validates every YAML block as a config, and bridge.config with the plugin\'s schema', async () => {
    let checked = 0;
    for (const page of all) {
      for (const block of page.blocks.filter((b) => YAML.has(b.lang) && b.marker?.kind !== 'skip')) {
        const where = `${page.doc}:${block.line}`;
        const raw = parse(block.code) as Record<string, unknown>;
        assert.ok(raw && typeof raw === 'object', `${where}: not a mapping`);
        // A block with store.url (PostgreSQL) stands instead of the base's store.path.
        const base = isMapping(raw['store']) && 'url' in raw['store'] ? { ...BASE_CONFIG, store: {} } : BASE_CONFIG;
        const merged = mergeInto(base, raw);
        let config;
        try { config = validateConfig(merged, where, ROOT); } catch (err) { assert.fail((err as Error).message); }
        // A path is the page's own project (the tutorial's build): tutorial-project.test.ts loads that one.
        if ('bridge' in raw && !/^\.{0,2}\//.test(config.bridge.plugin)) {
          const plugin = await loadPlugin(config.bridge.plugin, ROOT);
          await validatePluginConfig(plugin, config.bridge.config).catch((err: Error) => assert.fail(`${where}: ${err.message}`));
        }
        checked++;
      }
    }
    assert.ok(checked >= 4, `checked ${checked} YAML blocks`);
  });

  it('names only bridgekit commands, flags, npm scripts and files that exist in its shell blocks', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    const help = cliHelp(ROOT);
    const problems = all.flatMap((page) => page.blocks
      .filter((b) => (b.lang === 'sh' || b.lang === 'bash') && b.marker?.kind !== 'skip')
      .flatMap((b) => b.code.split('\n').flatMap((line, i) =>
        shellLineProblems(line, { repoRoot: ROOT, scripts: pkg.scripts }, help).map((p) => `${page.doc}:${b.line + 1 + i}: ${p}`))));
    assert.deepEqual(problems, []);
  });

  it('config.example.yaml is a valid config that lists every key (the optional ones commented out)', async () => {
    const text = await readFile(join(ROOT, 'config.example.yaml'), 'utf8');
    const uncommented = text.replace(/^(\s*)# (\w+:)/gm, '$1$2');
    for (const [what, yaml] of [['as it is', text], ['with every key uncommented', uncommented]] as const) {
      const raw = parse(yaml) as Record<string, unknown>;
      // store.path and store.url are alternatives (Level or PostgreSQL): with url uncommented, path goes.
      if (isMapping(raw['store']) && raw['store']['url'] !== undefined) delete raw['store']['path'];
      try { validateConfig(raw, `config.example.yaml, ${what}`, ROOT); } catch (err) { assert.fail((err as Error).message); }
    }
    const listed = schemaKeys(configSchema).filter((key) => {
      let node: unknown = parse(uncommented);
      for (const part of key.split('.')) node = isMapping(node) ? node[part] : undefined;
      return node !== undefined;
    });
    assert.deepEqual(schemaKeys(configSchema).filter((k) => !listed.includes(k)), [], 'keys config.example.yaml does not list');
  });

  it('names only config keys that exist in its prose (`store.sync`, `bridge.config.<a built-in bridge\'s key>`)', async () => {
    const real = schemaKeys(configSchema);
    const sections = [...new Set(real.map((k) => k.split('.')[0]!))];
    const plugins = await pluginKeys();
    assert.ok(plugins.includes('inbound.impersonationSuffix'), 'the webhook bridge\'s keys');
    const wrong = all.flatMap((page) => inlineConfigKeys(page.markdown, sections)
      .filter((key) => {
        if (isKeyOrSection(key, real)) return false;
        // The tutorial's bridge.config keys are those of the reader's own plugin.
        if (key.startsWith('bridge.config.')) return page.doc !== 'docs/writing-a-plugin.md' && !isKeyOrSection(key.slice('bridge.config.'.length), plugins);
        return true;
      })
      .map((key) => `${page.doc}: ${key}`));
    assert.deepEqual(wrong, []);
  });

  it('docs/configuration.md documents every config key, and no key the schema lacks', async () => {
    const documented = documentedKeys(await readFile(join(ROOT, 'docs/configuration.md'), 'utf8'));
    const real = schemaKeys(configSchema);
    assert.deepEqual(documented.filter((k) => !real.includes(k)), [], 'documented keys that do not exist');
    assert.deepEqual(real.filter((k) => !documented.includes(k)), [], 'keys not documented');
  });
});

const lines = (code: string): string[] => code.split('\n').map((l) => l.trim()).filter((l) => l !== '');

/** Whether `part` appears in `whole` as consecutive lines. */
const runIn = (part: string[], whole: string[]): boolean =>
  whole.some((_, start) => part.every((line, i) => whole[start + i] === line));

/** The keys of the built-in bridges' `bridge.config` sections. */
async function pluginKeys(): Promise<string[]> {
  const keys: string[] = [];
  for (const name of await readdir(join(ROOT, 'bridges'))) {
    const plugin = await loadPlugin(name, ROOT).catch(() => undefined);
    if (plugin?.configSchema) keys.push(...schemaKeys(plugin.configSchema as unknown as z.ZodType));
  }
  return keys;
}

/** `over` laid on `base`, mappings merged key by key. */
function mergeInto(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const below = out[key];
    out[key] = isMapping(below) && isMapping(value) ? mergeInto(below, value) : value;
  }
  return out;
}

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
