import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function bridgekit(args: string[], cwd?: string) {
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 20_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const CONFIG = {
  homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
  appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: 9000, registration: 'registration.yaml', bot: 'echobot', prefix: '_echo_' },
  store: { path: './data' },
  bridge: { plugin: 'echo' },
};

describe('cli', () => {
  it('prints its version and help', () => {
    assert.match(bridgekit(['--version']).stdout, /^\d+\.\d+\.\d+/);
    const help = bridgekit(['--help']);
    assert.equal(help.code, 0);
    for (const command of ['run', 'generate-registration', 'dead-letters', 'doctor', 'inspect', 'resync']) assert.match(help.stdout, new RegExp(command));
    for (const command of ['run', 'generate-registration', 'dead-letters', 'doctor', 'inspect', 'resync']) {
      const res = bridgekit([command, '--help']);
      assert.equal(res.code, 0, command);
      assert.match(res.stdout, new RegExp(`bridgekit ${command}`));
    }
  });

  it('generate-registration writes a registration that agrees with the config, and refuses to overwrite it', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'config.yaml'), stringify(CONFIG));
      const first = bridgekit(['generate-registration', '-c', 'config.yaml'], dir.path);
      assert.equal(first.code, 0, first.stderr);
      const reg = parse(await readFile(join(dir.path, 'registration.yaml'), 'utf8')) as Record<string, unknown>;
      assert.equal(reg['id'], 'echo');
      assert.equal(reg['sender_localpart'], 'echobot');
      assert.doesNotMatch(first.stdout + first.stderr, new RegExp(String(reg['as_token'])), 'tokens are not printed');
      const again = bridgekit(['generate-registration', '-c', 'config.yaml'], dir.path);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /already exists; pass --force/);
      const forced = bridgekit(['generate-registration', '-c', 'config.yaml', '-o', 'registration.yaml', '--force'], dir.path);
      assert.equal(forced.code, 0);
    } finally {
      await dir.cleanup();
    }
  });

  it('exits non-zero on a bad config, naming the key, without a stack trace', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'config.yaml'), stringify({ ...CONFIG, homeserver: { url: 'nope', domain: 'localhost' } }));
      const res = bridgekit(['generate-registration', '-c', 'config.yaml'], dir.path);
      assert.equal(res.code, 1);
      assert.match(res.stderr, /homeserver\.url: must be an http\(s\) URL/);
      assert.doesNotMatch(res.stderr, /\n\s+at /, 'no stack trace');
      const missing = bridgekit(['run', '-c', 'nowhere.yaml'], dir.path);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /nowhere\.yaml: cannot be read \(ENOENT\)/);
      await writeFile(join(dir.path, 'bad.yaml'), 'homeserver: [unclosed');
      const yaml = bridgekit(['run', '-c', 'bad.yaml'], dir.path);
      assert.equal(yaml.code, 1);
      assert.match(yaml.stderr, /not valid YAML/);
    } finally {
      await dir.cleanup();
    }
  });

  it('rejects unknown commands and flags with a usage hint', () => {
    const res = bridgekit(['frobnicate']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /unknown command 'frobnicate'/);
    const flag = bridgekit(['generate-registration', '--nope']);
    assert.equal(flag.code, 1);
    assert.match(flag.stderr, /See 'bridgekit generate-registration --help'/);
  });

  it('lists, replays and drops dead letters on a stopped bridge\'s store', async () => {
    const dir = await tempDir();
    try {
      await writeFile(join(dir.path, 'config.yaml'), stringify(CONFIG));
      const { Store } = await import('../../src/store/index.js');
      const store = await Store.open(join(dir.path, 'data'));
      const letter = (seq: number) => ({
        seq, txnId: 't', receivedAt: 1, attempts: 6, error: 'remote refused', failedAt: 1_700_000_000_000,
        item: { kind: 'event', event: { type: 'm.room.message', event_id: `$e${seq}`, room_id: '!r:localhost', sender: '@a:localhost', origin_server_ts: 1, content: {} } },
      });
      await store.section('inbox.dead-letters').put('0000000000000003', letter(3));
      await store.section('inbox.dead-letters').put('0000000000000004', letter(4));
      await store.close();
      const list = bridgekit(['dead-letters', 'list', '-c', 'config.yaml'], dir.path);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /3\t.*6 attempts\tm\.room\.message !r:localhost \$e3\tremote refused/);
      assert.match(list.stdout, /2 dead letter\(s\)/);
      const replay = bridgekit(['dead-letters', 'replay', '3', '-c', 'config.yaml'], dir.path);
      assert.match(replay.stdout, /moved 1 dead letter/);
      const drop = bridgekit(['dead-letters', 'drop', '-c', 'config.yaml'], dir.path);
      assert.match(drop.stdout, /dropped 1 dead letter/);
      const reopened = await Store.open(join(dir.path, 'data'));
      // A journal record: [header, body of a transaction holding just the replayed item].
      const journal: Array<[unknown, { events: Array<{ event_id: string }> }]> = [];
      for await (const value of reopened.section<[unknown, { events: Array<{ event_id: string }> }]>('inbox.journal').values()) journal.push(value);
      await reopened.close();
      assert.equal(journal.length, 1, 'the replayed letter is back in the journal');
      assert.deepEqual(journal[0]![0], { t: 't', r: 1, n: 1 });
      assert.equal(journal[0]![1].events[0]!.event_id, '$e3');
    } finally {
      await dir.cleanup();
    }
  });
});
