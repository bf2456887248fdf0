import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { e2e, eventually, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

const CLI = resolve(process.cwd(), 'dist/src/cli/main.js');

/** `bridgekit run` as its own process, its log lines kept; killed with SIGKILL, never asked to stop. */
class BridgeProcess {
  readonly lines: Array<Record<string, unknown>> = [];
  private child: ChildProcess | undefined;

  constructor(private readonly configPath: string) {}

  start(): void {
    const child = spawn(process.execPath, [CLI, 'run', '-c', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    let rest = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      const text = rest + chunk.toString('utf8');
      const parts = text.split('\n');
      rest = parts.pop() ?? '';
      for (const line of parts) {
        try {
          this.lines.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          this.lines.push({ msg: line });
        }
      }
    });
    this.child = child;
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  ready(): Record<string, unknown>[] {
    return this.lines.filter((l) => l['msg'] === 'end-to-end encryption ready');
  }
}

describe('encryption: kill -9 of the bridge process after the bot shared a room key', function () {
  let ctx: E2eContext;
  let dir: string;
  let bridge: BridgeProcess;
  let alice: EncryptingClient | undefined;

  before(async () => {
    ctx = await e2e();
    const appservice = ctx.appservice('encrypted');
    dir = await mkdtemp(join(tmpdir(), 'bridgekit-e2e-kill-'));
    const config = {
      homeserver: { url: ctx.synapse.url, domain: ctx.synapse.serverName },
      appservice: {
        id: appservice.registration.id, url: appservice.registration.url, bind: '127.0.0.1', port: appservice.port,
        registration: appservice.path, bot: appservice.botLocalpart, prefix: appservice.prefix,
      },
      store: { path: join(dir, 'store') },
      bridge: { plugin: 'echo' },
      inbox: { retryBaseMs: 100, retryMaxMs: 1_000 },
      encryption: { enabled: true, keyWaitSeconds: 10 },
      logging: { level: 'debug' },
    };
    await writeFile(join(dir, 'config.yaml'), stringify(config));
    bridge = new BridgeProcess(join(dir, 'config.yaml'));
  });
  after(async () => {
    alice?.stop();
    await bridge?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('after SIGKILL and a new start, the bot still reads the old session and the client reads its answers', async () => {
    bridge.start();
    await eventually(() => bridge.ready().length === 1 && bridge.lines.some((l) => l['msg'] === 'bridge listening'), 'the bridge to listen');
    await ctx.synapse.ensureAppserviceUp(ctx.appservice('encrypted'));
    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    const botUserId = `@${ctx.appservice('encrypted').botLocalpart}:${ctx.synapse.serverName}`;
    const roomId = await alice.createEncryptedRoom('kill -9');
    await alice.inviteAndWaitForJoin(roomId, botUserId);

    await alice.say(roomId, '!echo before the kill');
    const first = await alice.waitForDecrypted(roomId, botUserId, (b) => b === 'before the kill', 'the answer before the kill');
    assert.equal(first.isEncrypted(), true);
    // The bot has shared its own room key with alice: kill it with no chance to tidy up.
    await bridge.kill();

    bridge.start();
    await eventually(() => bridge.ready().length === 2, 'the bridge to start again', 30_000);
    const [before, after] = bridge.ready();
    assert.equal(after!['restored'], true, 'the crypto store came back from disk');
    assert.equal(after!['deviceId'], before!['deviceId'], 'the same device');
    assert.equal(after!['curve25519'], before!['curve25519'], 'the same identity');

    // Alice's session from before the kill: the bot needs the key it received then.
    await alice.say(roomId, '!echo after the kill');
    const second = await alice.waitForDecrypted(roomId, botUserId, (b) => b === 'after the kill', 'the answer after the kill', 40_000);
    assert.equal(second.isEncrypted(), true);
    assert.equal(alice.undecryptableFrom(roomId, botUserId), 0, 'alice read everything the bot said');
    assert.deepEqual(bridge.lines.filter((l) => typeof l['level'] === 'number' && (l['level'] as number) >= 50).map((l) => l['msg']), [], 'no error logged');
  });
});
