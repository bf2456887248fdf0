import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { e2eEnv, envProblems } from './harness/env.js';

const run = promisify(execFile);

/** The end-to-end tier's own guard, checked in `npm test`: no homeserver, no pass. */
describe('end-to-end tier: the environment it needs', () => {
  it('names every missing variable', () => {
    assert.deepEqual(envProblems({}), [
      'BRIDGEKIT_E2E_HS_URL is not set',
      'BRIDGEKIT_E2E_ADMIN_TOKEN is not set',
      'neither BRIDGEKIT_E2E_SYNAPSE_HOME nor BRIDGEKIT_E2E_REGISTRATIONS_DIR is set',
      'BRIDGEKIT_E2E_RESTART_CMD is not set (needed without BRIDGEKIT_E2E_SYNAPSE_HOME: some tests restart the homeserver)',
    ]);
  });

  it('refuses a homeserver off loopback and a Synapse home without a config', () => {
    const problems = envProblems({
      BRIDGEKIT_E2E_HS_URL: 'http://10.1.2.3:8008', BRIDGEKIT_E2E_ADMIN_TOKEN: 't', BRIDGEKIT_E2E_SYNAPSE_HOME: '/nonexistent-home',
    });
    assert.match(problems[0] ?? '', /must be an http\(s\) URL on a loopback address/);
    assert.match(problems[1] ?? '', /holds no homeserver\.yaml/);
  });

  it('derives the bridges\' ports from the homeserver\'s, so neighbouring homeservers never share them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bridgekit-e2e-env-'));
    try {
      const env = (port: number) => e2eEnv({
        BRIDGEKIT_E2E_HS_URL: `http://127.0.0.1:${port}/`, BRIDGEKIT_E2E_ADMIN_TOKEN: 't',
        BRIDGEKIT_E2E_REGISTRATIONS_DIR: dir, BRIDGEKIT_E2E_RESTART_CMD: 'true',
      });
      assert.equal(env(8450).portBase, 24_500);
      assert.equal(env(8460).portBase, 24_600);
      assert.equal(env(8450).hsUrl, 'http://127.0.0.1:8450');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the preflight of npm run test:e2e fails, saying what is missing, without a homeserver', async () => {
    const preflight = new URL('./harness/preflight.js', import.meta.url).pathname;
    const failed = await run(process.execPath, [preflight], { env: { PATH: process.env['PATH'] ?? '' } }).then(() => undefined, (err: { code: number; stderr: string }) => err);
    assert.equal(failed?.code, 2);
    assert.match(failed?.stderr ?? '', /The end-to-end tier needs a real homeserver and cannot run/);
    assert.match(failed?.stderr ?? '', /scripts\/e2e-synapse\.sh/);
  });
});
