import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { access, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { CLI, processConfig, writeDeploymentRegistration, type Deployment } from '../helpers/bridge-process.js';
import { freePort } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

const PLUGIN = fileURLToPath(new URL('../fixtures/plugins/slow-start.js', import.meta.url));

async function exists(path: string): Promise<boolean> {
  return access(path).then(() => true, () => false);
}

describe('bridgekit run: signals', function () {
  this.timeout(30_000);

  it('a SIGTERM while the bridge is still starting stops it cleanly once started (exit 0, plugin stopped)', async () => {
    const dir = await tempDir('bridgekit-run-signals-');
    try {
      const port = await freePort();
      const deployment: Deployment = {
        dir: dir.path, homeserverUrl: `http://127.0.0.1:${await freePort()}`, publicUrl: `http://127.0.0.1:${port}`,
        registrationPath: join(dir.path, 'registration.yaml'), store: { path: join(dir.path, 'store') }, plugin: PLUGIN,
      };
      await writeDeploymentRegistration(deployment);
      const configPath = join(dir.path, 'config.yaml');
      await writeFile(configPath, stringify(processConfig(deployment, port)));
      const child = spawn(process.execPath, [CLI, 'run', '-c', configPath], {
        env: { ...process.env, BRIDGEKIT_TEST_MARKS: dir.path }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
      const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
      while (!(await exists(join(dir.path, 'starting')))) {
        assert.equal(child.exitCode, null, `exited before its plugin started:\n${output}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.doesNotMatch(output, /"msg":"bridge listening"/, 'the signal must come during the start');
      child.kill('SIGTERM');
      const { code, signal } = await exited;
      assert.deepEqual({ code, signal }, { code: 0, signal: null }, output);
      assert.ok(await exists(join(dir.path, 'stopped')), 'the plugin was stopped');
      assert.match(output, /"msg":"stopping"/);
    } finally {
      await dir.cleanup();
    }
  });
});
