/**
 * docs/writing-a-plugin.md, done as a newcomer does it: pack bridgekit, make a new project
 * in a temp dir, install the tarball, write the files the page shows (its code blocks that
 * name a file), compile them, run the tutorial's tests, and start the bridge with
 * `bridgekit run` against the test homeserver. If the page drifts from the code, this fails.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { TestHomeserver } from '../../src/testing/index.js';
import { validateRegistration } from '../../src/registration/index.js';
import { freePort, waitFor } from '../helpers/net.js';
import { tempDir } from '../helpers/temp.js';
import { fileBlocks } from './markdown-blocks.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOC = join(ROOT, 'docs/writing-a-plugin.md');
const NPM_QUIET = ['--no-audit', '--no-fund', '--prefer-offline', '--ignore-scripts', '--loglevel=error'];

function run(command: string, args: string[], options: SpawnSyncOptions): string {
  const res = spawnSync(command, args, { encoding: 'utf8', timeout: 240_000, ...options });
  assert.equal(res.status, 0, `${command} ${args.join(' ')} failed:\n${String(res.stdout)}\n${String(res.stderr)}`);
  return String(res.stdout);
}

/** The version installed here, so npm finds it in its cache. */
const versionOf = async (name: string): Promise<string> =>
  (JSON.parse(await readFile(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

describe('docs/writing-a-plugin.md, followed in a project of its own', function () {
  this.timeout(300_000);
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let project: string;

  before(async () => {
    tmp = await tempDir('bridgekit-tutorial-');
    project = join(tmp.path, 'my-bridge');
    await mkdir(project);
    // dist/ is built already (npm test builds first); prepack would build it again.
    const packed = JSON.parse(run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.path], { cwd: ROOT })) as Array<{ filename: string }>;
    const tarball = join(tmp.path, packed[0]!.filename);
    // §0: npm init, type module, the package, typescript and @types/node.
    run('npm', ['init', '-y'], { cwd: project });
    run('npm', ['pkg', 'set', 'type=module'], { cwd: project });
    run('npm', ['install', ...NPM_QUIET, tarball], { cwd: project });
    run('npm', ['install', ...NPM_QUIET, '--save-dev', `typescript@${await versionOf('typescript')}`, `@types/node@${await versionOf('@types/node')}`], { cwd: project });
    const blocks = fileBlocks(await readFile(DOC, 'utf8'));
    assert.deepEqual(blocks.map((b) => b.file).sort(),
      ['config.yaml', 'src/chatter.ts', 'src/index.ts', 'src/main.ts', 'src/plugin.ts', 'test/chatter.test.ts', 'tsconfig.json']);
    for (const block of blocks) {
      await mkdir(dirname(join(project, block.file)), { recursive: true });
      await writeFile(join(project, block.file), block.code);
    }
  });
  after(() => tmp?.cleanup());

  it('compiles against the installed package, and its tests pass', () => {
    run(join(project, 'node_modules/.bin/tsc'), [], { cwd: project });
    // TAP: the same summary lines on every Node (the default reporter changed in Node 24).
    const out = run(process.execPath, ['--test', '--test-reporter=tap', 'dist/test/chatter.test.js'], { cwd: project });
    assert.match(out, /^# pass 3$/m);
    assert.match(out, /^# fail 0$/m);
  });

  it('runs with bridgekit run, the plugin found relative to the config file', async () => {
    const configPath = join(project, 'config.yaml');
    const port = await freePort();
    const config = parse(await readFile(configPath, 'utf8')) as { homeserver: { url: string }; appservice: { url: string; port: number } };
    config.appservice.port = port;
    config.appservice.url = `http://127.0.0.1:${port}`;
    await writeFile(configPath, stringify(config));
    const bridgekit = join(project, 'node_modules/.bin/bridgekit');
    run(bridgekit, ['generate-registration', '-c', configPath], { cwd: tmp.path });
    const registration = validateRegistration(parse(await readFile(join(project, 'registration.yaml'), 'utf8')), 'registration.yaml');
    const hs = await TestHomeserver.start({ appservice: registration });
    config.homeserver.url = hs.url;
    await writeFile(configPath, stringify(config));
    // From another folder, as a service manager would start it.
    const child = spawn(bridgekit, ['run', '-c', configPath], { cwd: tmp.path });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await waitFor(() => output.includes('bridge listening'), 30_000, 'the bridge to listen');
      assert.match(output, /"plugin":"chatter"/);
      const alice = await hs.registerUser('alice');
      const roomId = await alice.client.join('#_chatter_general:localhost'); // asks the running bridge
      assert.equal(hs.resolveAlias('#_chatter_general:localhost'), roomId);
    } finally {
      child.kill('SIGTERM');
      await hs.stop();
    }
    assert.equal(await exited, 0, output);
  });
});
