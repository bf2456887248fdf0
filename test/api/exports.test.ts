import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { apiReport, ROOT, unexportedTypes } from './report.js';
import { formatReport, REPORT_FILE } from './update.js';

const HOW_TO_UPDATE = [
  'The public API (what `matrix-bridgekit` and `matrix-bridgekit/testing` export) differs from api/exports.json.',
  'If the change is deliberate: run `npm run api:update`, review the diff of api/exports.json,',
  'and add a line to CHANGELOG.md (a removal or a changed signature is a breaking change).',
  'If it is not: keep internals out of src/index.ts and src/testing/index.ts.',
].join('\n');

describe('the public API report (api/exports.json)', function () {
  this.timeout(60_000);

  it('matches the exports of . and ./testing, values and types', async () => {
    const committed = await readFile(REPORT_FILE, 'utf8');
    assert.equal(formatReport(await apiReport()), committed, HOW_TO_UPDATE);
  });

  it('names every type the exported declarations mention', () => {
    const missing = [...unexportedTypes()].map(([type, from]) => `${type} (reached from ${from})`);
    assert.deepEqual(missing, [], `a bridge author meets these types and cannot import them; export them from src/index.ts:\n  ${missing.join('\n  ')}`);
  });

  it('keeps the storage, routing and auth-engine internals out of the root export', async () => {
    const root = await import('matrix-bridgekit') as Record<string, unknown>;
    for (const internal of ['put', 'del', 'Sections', 'Store', 'route', 'escapeRegex', 'authorizeEvent', 'Inbox', 'Mirror', 'HomeserverClient']) {
      assert.equal(root[internal], undefined, `${internal} is internal`);
    }
    for (const needed of ['definePlugin', 'startBridge', 'loadConfig', 'ConfigError', 'TokenBucket', 'isMatrixError']) {
      assert.equal(typeof root[needed], 'function', `${needed} is public`);
    }
  });

  it('is all the bridges in bridges/ use of bridgekit (no deep imports into src/)', async () => {
    const deep: string[] = [];
    for (const entry of await readdir(join(ROOT, 'bridges'), { recursive: true, withFileTypes: true })) {
      if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
      const path = join(entry.parentPath, entry.name);
      const source = await readFile(path, 'utf8');
      for (const [, specifier] of source.matchAll(/\bfrom\s+'([^']+)'/g)) {
        if (/(^|\/)src\//.test(specifier!) || specifier!.startsWith('matrix-bridgekit/') && specifier !== 'matrix-bridgekit/testing') {
          deep.push(`${relative(ROOT, path)}: ${specifier}`);
        }
      }
    }
    assert.deepEqual(deep, [], 'a bridge imports from matrix-bridgekit only; export what it needs from src/index.ts instead');
  });
});
