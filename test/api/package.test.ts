import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from './report.js';

interface PackageJson {
  readonly type: string;
  readonly engines: { readonly node: string };
  readonly scripts: Record<string, string>;
  readonly bin: Record<string, string>;
  readonly exports: Record<string, string | { readonly types: string; readonly default: string }>;
  readonly dependencies: Record<string, string>;
  readonly workspaces: readonly string[];
}

describe('the package (what npm pack publishes)', function () {
  this.timeout(60_000);
  let pkg: PackageJson;
  before(async () => { pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as PackageJson; });

  it('is ESM for Node 22 and later, and builds before it is packed', () => {
    assert.equal(pkg.type, 'module');
    assert.equal(pkg.engines.node, '>=22');
    assert.equal(pkg.scripts['prepack'], 'npm run build', 'a fresh clone packs a built package');
  });

  it('maps each entry point to built code with its types first', () => {
    for (const [entry, target] of Object.entries(pkg.exports)) {
      if (typeof target === 'string') continue; // ./package.json
      assert.deepEqual(Object.keys(target), ['types', 'default'], `${entry}: types come first`);
      for (const file of [target.types, target.default]) assert.ok(existsSync(join(ROOT, file)), `${entry}: ${file} is built`);
    }
    for (const bin of Object.values(pkg.bin)) assert.ok(existsSync(join(ROOT, bin)), `${bin} is built`);
  });

  it('packs the built code and declarations, and none of the tests', () => {
    const res = spawnSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(res.status, 0, res.stderr);
    const files = (JSON.parse(res.stdout) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const needed of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/testing/index.d.ts', 'dist/src/cli/main.js', 'README.md', 'CHANGELOG.md']) {
      assert.ok(files.includes(needed), `${needed} is in the package`);
    }
    assert.deepEqual(files.filter((f) => f.startsWith('dist/test/') || f.startsWith('test/')), [], 'no tests');
    assert.deepEqual(files.filter((f) => f.startsWith('dist/bridges/') || f.startsWith('bridges/')), [], 'no bridges: they are packages of their own');
  });

  it("leaves each bridge's dependencies to the bridge's own workspace package", async () => {
    assert.deepEqual(pkg.workspaces, ['bridges/*']);
    assert.equal(pkg.dependencies['irc-framework'], undefined, 'the core does not install IRC');
    const irc = JSON.parse(await readFile(join(ROOT, 'bridges', 'irc', 'package.json'), 'utf8')) as PackageJson;
    assert.ok(irc.dependencies['irc-framework'], 'the IRC bridge depends on irc-framework itself');
    assert.equal(irc.dependencies['matrix-bridgekit'], 'file:../..', 'and on the core in this repository');
  });
});
