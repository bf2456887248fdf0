import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { usePgServer } from '../helpers/pg-server.js';

const RUNNER = fileURLToPath(new URL('./pg-level-conformance.js', import.meta.url));

describe('store on PostgreSQL: abstract-level\'s own test suite', function () {
  this.timeout(600_000);
  const pg = usePgServer();

  it('passes every check an abstract-level database must (seek, ranges, encodings, sublevels, batches)', async () => {
    const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
      const env = { ...process.env, BRIDGEKIT_TEST_STORE_URL: pg.url(), CONFORMANCE_SCHEMA_PREFIX: `al${randomBytes(4).toString('hex')}` };
      const child = spawn(process.execPath, [RUNNER], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code, text }));
    });
    const failures = output.text.split('\n').filter((line) => line.startsWith('not ok'));
    assert.deepEqual(failures.slice(0, 20), [], 'checks that failed');
    const passed = Number(/^# pass\s+(\d+)$/m.exec(output.text)?.[1] ?? 0);
    assert.ok(passed >= 4_000, `only ${passed} checks passed`);
    assert.equal(output.code, 0);
  });
});
