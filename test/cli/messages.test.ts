/**
 * The CLI's errors, each asserted word for word: one line (or a short block) naming the
 * port, path or key and what to do, exit code 1, no stack trace.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { validateConfig } from '../../src/config/index.js';
import { portProblem } from '../../src/cli/ports.js';
import { freePort, waitFor } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const SEE_HELP = (command: string) => `See 'bridgekit ${command} --help' for its options, 'bridgekit --help' for every command.`;

function bridgekit(args: string[], cwd: string) {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

function config(overrides: { appservicePort?: number; metricsPort?: number; homeserverPort?: number } = {}) {
  return {
    homeserver: { url: `http://127.0.0.1:${overrides.homeserverPort ?? 1}`, domain: 'localhost' },
    appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: overrides.appservicePort ?? 0, registration: 'registration.yaml', bot: 'echobot', prefix: '_echo_' },
    store: { path: './data' },
    bridge: { plugin: 'echo' },
    metrics: overrides.metricsPort === undefined ? { enabled: false } : { enabled: true, port: overrides.metricsPort },
  };
}

function listenOn(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('cli: messages a person can act on', function () {
  this.timeout(30_000);
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeEach(async () => { dir = await tempDir('bridgekit-cli-messages-'); });
  afterEach(() => dir.cleanup());

  async function writeConfig(value: unknown, registered = true): Promise<void> {
    await writeFile(join(dir.path, 'config.yaml'), stringify(value));
    if (registered) assert.equal(bridgekit(['generate-registration', '-c', 'config.yaml'], dir.path).code, 0);
  }

  for (const key of ['appservice.port', 'metrics.port'] as const) {
    it(`${key} already taken: one line naming the port and the key, and the plugin never starts`, async () => {
      const port = await freePort();
      const taken = await listenOn(port);
      try {
        await writeConfig(config(key === 'appservice.port' ? { appservicePort: port } : { metricsPort: port }));
        const res = bridgekit(['run', '-c', 'config.yaml'], dir.path);
        assert.equal(res.code, 1);
        assert.equal(res.stderr,
          `bridgekit run: port ${port} is already in use, on 127.0.0.1:${port} (${key} in config.yaml): stop what listens there, or set ${key} to a free port\n`);
        assert.equal(res.stdout, '', 'no "echo bot ready" or any other line');
      } finally {
        taken.close();
      }
    });
  }

  it('a port taken once the check passed (here by the plugin itself): the same words, after what the log held', async () => {
    const port = await freePort();
    // A plugin that says it is ready, then takes the bridge's own port, as a racing program would.
    await writeFile(join(dir.path, 'squatter.js'), [
      "import { createServer } from 'node:net';",
      'let server;',
      "export default { name: 'squatter', capabilities: {}, async start(ctx) {",
      "  ctx.logger.info('squatter ready');",
      "  server = createServer(); await new Promise((resolve) => server.listen(ctx.config.port, '127.0.0.1', resolve));",
      '}, async stop() { server?.close(); } };',
    ].join('\n'));
    await writeConfig({ ...config({ appservicePort: port }), bridge: { plugin: './squatter.js', config: { port } } });
    // One stream, as a terminal shows it: the error must be the last line.
    const res = spawnSync('sh', ['-c', `"${process.execPath}" "${CLI}" run -c config.yaml 2>&1`], { cwd: dir.path, encoding: 'utf8', timeout: 20_000 });
    assert.equal(res.status, 1);
    const lines = res.stdout.trimEnd().split('\n');
    assert.equal(lines.at(-1),
      `bridgekit run: port ${port} is already in use, on 127.0.0.1:${port} (appservice.port in config.yaml): stop what listens there, or set appservice.port to a free port`);
    assert.match(lines.slice(0, -1).join('\n'), /squatter ready/, 'the log came out before the error');
  });

  it('a port refused while the bridge starts (after the check) gets the same words; a privileged port says so', () => {
    const parsed = validateConfig(config({ appservicePort: 80 }), 'config.yaml', '/srv/bridge');
    assert.equal(portProblem(Object.assign(new Error('listen EACCES'), { code: 'EACCES', port: 80 }), parsed)?.message,
      'bridgekit run: not allowed to listen on 127.0.0.1:80 (appservice.port): ports below 1024 need privileges; set appservice.port to a port above 1024');
    assert.equal(portProblem(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE', port: 80 }), parsed)?.message,
      'bridgekit run: port 80 is already in use, on 127.0.0.1:80 (appservice.port): stop what listens there, or set appservice.port to a free port');
    assert.equal(portProblem(new Error('something else'), parsed), undefined, 'other errors are left as they are');
  });

  it('a YAML error is shown whole: line, column and the lines it points at, no dangling colon', async () => {
    await writeFile(join(dir.path, 'bad.yaml'), 'homeserver:\n  url: http://x\n domain: localhost\n');
    const res = bridgekit(['run', '-c', 'bad.yaml'], dir.path);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, [
      'config bad.yaml: not valid YAML: All mapping items must start at the same column at line 3, column 1',
      '    url: http://x',
      '   domain: localhost',
      '  ^',
      '',
    ].join('\n'));
  });

  it('an unknown flag names it, with no unbalanced quote, and says where help is', () => {
    const res = bridgekit(['run', '--nope'], dir.path);
    assert.equal(res.code, 1);
    assert.equal(res.stderr, `bridgekit run: unknown option --nope\n${SEE_HELP('run')}\n`);
    const missing = bridgekit(['run', '-c'], dir.path);
    assert.equal(missing.stderr, `bridgekit run: option -c, --config needs a value\n${SEE_HELP('run')}\n`);
  });

  it('a missing registration says how to write it, with this config', async () => {
    await writeConfig(config(), false);
    const res = bridgekit(['run', '-c', 'config.yaml'], dir.path);
    assert.equal(res.code, 1);
    assert.equal(res.stderr,
      `registration ${join(dir.path, 'registration.yaml')} does not exist (appservice.registration): write it with `
      + "'bridgekit generate-registration -c config.yaml', then add it to the homeserver's app_service_config_files\n");
  });

  it('dead-letters list without a store says so and creates none', async () => {
    await writeConfig(config(), false);
    const res = bridgekit(['dead-letters', 'list', '-c', 'config.yaml'], dir.path);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, `0 dead letter(s): there is no store at ${join(dir.path, 'data')} (store.path) yet; the bridge has not run with this config\n`);
    assert.equal(existsSync(join(dir.path, 'data')), false, 'no empty store was created');
  });

  it('documents the exit codes in --help', () => {
    const res = bridgekit(['--help'], dir.path);
    assert.match(res.stdout, /exit codes: 0 done .*; 1 something to fix/);
    assert.match(res.stdout, /2 an unexpected error/);
  });

  it('run warns at start when the homeserver does not answer, and stops cleanly', async () => {
    const homeserverPort = await freePort(); // nothing listens there
    await writeConfig(config({ homeserverPort }));
    const child = spawn(process.execPath, [CLI, 'run', '-c', 'config.yaml'], { cwd: dir.path });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const line = await waitFor(() => stdout.split('\n').find((l) => l.includes('is unreachable')), 15_000, 'the warning');
      const entry = JSON.parse(line) as { level: number; msg: string };
      assert.equal(entry.level, 40, 'a warning');
      assert.equal(entry.msg, `homeserver http://127.0.0.1:${homeserverPort} is unreachable (connection refused (ECONNREFUSED)): `
        + 'the bridge is up but cannot deliver anything; check homeserver.url and that the homeserver runs');
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
  });
});
