import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { fileURLToPath } from 'node:url';
import echo from '../../bridges/echo/index.js';
import { put, Store } from '../../src/store/index.js';
import { TestBridge } from '../../src/testing/index.js';
import { usePgServer } from '../helpers/pg-server.js';
import { tempDir } from '../helpers/temp.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

function bridgekit(args: string[], cwd?: string) {
  // Without the matrix's switch: these stores are named by path or URL on purpose.
  const env = { ...process.env, NODE_OPTIONS: '', BRIDGEKIT_TEST_STORE: '' };
  const res = spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', timeout: 60_000, env });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Every key and value of a store, as bytes in hex, in key order. */
async function dump(location: string, schema?: string): Promise<Array<[string, string]>> {
  const store = schema === undefined ? await Store.open(location) : await Store.openPostgres(location, { schema });
  try {
    const all = await store.db.iterator({ keyEncoding: 'buffer', valueEncoding: 'buffer' }).all();
    return all.map(([k, v]) => [(k as unknown as Buffer).toString('hex'), (v as unknown as Buffer).toString('hex')]);
  } finally {
    await store.close();
  }
}

describe('cli: migrate between Level and PostgreSQL', function () {
  this.timeout(120_000);
  const pg = usePgServer();

  it('round-trips a populated store Level → PostgreSQL → Level with equal counts and equal bytes', async () => {
    const dir = await tempDir();
    try {
      const levelPath = join(dir.path, 'level');
      // A bridge that ran: journal, dedupe, mirror, mappings, puppets all hold something.
      const t = await TestBridge.start(echo, { config: { store: { path: levelPath } } });
      try {
        const alice = await t.user('alice');
        const roomId = await alice.client.createRoom({ invite: [t.botUserId] });
        await t.settled();
        for (let i = 0; i < 5; i++) await alice.client.sendText(roomId, `hello ${i}`);
        await t.settled();
      } finally {
        await t.stop();
      }
      // Keys at the edges of the byte order, and bytes values.
      const extra = await Store.open(levelPath);
      await extra.write([put(extra.section<string>('edge'), '\u0000', 'nul'), put(extra.section<string>('edge'), '\uffff', 'top'), put(extra.bytesSection('edge.bytes'), 'b', Buffer.from([0, 1, 255]))]);
      await extra.close();
      const original = await dump(levelPath);
      const schema = pg.schema();
      const to = bridgekit(['migrate', '--from', levelPath, '--to', pg.url(), '--to-schema', schema]);
      assert.equal(to.code, 0, to.stderr + to.stdout);
      assert.match(to.stdout, /^copied (\d+) key\(s\) in \d+ section\(s\) from .* the counts agree$/m);
      assert.equal(Number(/^copied (\d+)/m.exec(to.stdout)![1]), original.length);
      for (const section of ['inbox.dedupe', 'mirror.state', 'mirror.rooms', 'edge', 'edge.bytes']) {
        assert.match(to.stdout, new RegExp(`^${section.replace('.', '\\.')}\\t(\\d+)\\t\\1$`, 'm'), `${section} counted on both sides`);
      }
      assert.deepEqual(await dump(pg.url(), schema), original);

      const back = join(dir.path, 'back');
      const from = bridgekit(['migrate', '--from', pg.url(), '--from-schema', schema, '--to', back]);
      assert.equal(from.code, 0, from.stderr + from.stdout);
      assert.deepEqual(await dump(back), original, 'the same bytes after the round trip');

      const again = bridgekit(['migrate', '--from', levelPath, '--to', back]);
      assert.equal(again.code, 1);
      assert.match(again.stderr, /is not empty: copy into an empty store/);
    } finally {
      await dir.cleanup();
    }
  });

  it('refuses to copy a store whose cluster journal holds unhandled items (they are not in a section)', async () => {
    const dir = await tempDir();
    const schema = pg.schema();
    try {
      const store = await Store.openPostgres(pg.url(), { schema });
      const { journal, laneAcks } = store.postgres!.tables;
      // A transaction of two items whose first is handled (its lane's watermark passed it): one is left.
      await store.postgres!.query(`INSERT INTO ${journal} (last, txn_id, received_at, seqs, lanes, items)
        VALUES (1, 't', 0, '{0,1}', '{"!r:localhost","!s:localhost"}', ARRAY[$1::bytea, $1::bytea])`,
      [Buffer.from(JSON.stringify({ events: [] }))]);
      await store.postgres!.query(`INSERT INTO ${laneAcks} (lane, acked) VALUES ('!r:localhost', 0)`, []);
      await store.close();
      const refused = bridgekit(['migrate', '--from', pg.url(), '--from-schema', schema, '--to', join(dir.path, 'level')]);
      assert.equal(refused.code, 1, refused.stderr);
      assert.match(refused.stderr, /shared journal .* holds 1 unhandled item\(s\)/);
    } finally {
      await dir.cleanup();
    }
  });

  it('--schema-only migrates an empty database, and the source must exist', async () => {
    const schema = pg.schema();
    const res = bridgekit(['migrate', '--schema-only', '--to', pg.url(), '--to-schema', schema]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, new RegExp(`the schema ${schema} is migrated`));
    const missing = bridgekit(['migrate', '--from', '/nonexistent/store', '--to', pg.url(), '--to-schema', pg.schema()]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /there is no store at \/nonexistent\/store/);
  });

  it('doctor checks the database: migrations pending, then current and writable, then held by a running bridge', async () => {
    const dir = await tempDir();
    try {
      const schema = pg.schema();
      await writeFile(join(dir.path, 'config.yaml'), stringify({
        homeserver: { url: 'http://127.0.0.1:1', domain: 'localhost' },
        appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: 0, registration: 'registration.yaml', bot: 'echobot', prefix: '_echo_' },
        store: { url: pg.url().replace('postgres@', 'postgres:hunter2@'), schema },
        bridge: { plugin: 'echo' },
      }));
      const line = (res: { stdout: string }) => res.stdout.split('\n').find((l) => l.includes('store writable')) ?? '';
      const fresh = bridgekit(['doctor', '-c', 'config.yaml'], dir.path);
      assert.match(line(fresh), new RegExp(`^✘ store writable: postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/postgres: PostgreSQL [\\d.]+.*, schema ${schema} at migration 0 of \\d+: migrations pending`));
      assert.doesNotMatch(fresh.stdout + fresh.stderr, /hunter2/, 'the password is never shown');
      assert.equal(bridgekit(['migrate', '--schema-only', '--to', pg.url(), '--to-schema', schema]).code, 0);
      assert.match(line(bridgekit(['doctor', '-c', 'config.yaml'], dir.path)), new RegExp(`^✔ store writable: .*schema ${schema} at migration (\\d+) of \\1\\)$`));
      const running = await Store.openPostgres(pg.url(), { schema });
      try {
        assert.match(line(bridgekit(['doctor', '-c', 'config.yaml'], dir.path)), /^✔ store writable: .* is held by the running bridge/);
      } finally {
        await running.close();
      }
    } finally {
      await dir.cleanup();
    }
  });
});
