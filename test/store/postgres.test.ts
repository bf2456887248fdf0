import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { Pool } from 'pg';
import { del, put, Store, StoreOpenError, STORE_SCHEMA_VERSION, type Section } from '../../src/store/index.js';
import { freePort } from '../helpers/net.js';
import { usePgServer } from '../helpers/pg-server.js';
import { tempDir } from '../helpers/temp.js';

/** Range queries as callers make them (bounds drawn from the same small alphabet as the keys). */
const key = fc.string({ unit: fc.constantFrom('a', 'b', 'c', '\u0000', 'é', '\uffff'), minLength: 0, maxLength: 4 });
const rangeArb = fc.record({
  gt: fc.option(key, { nil: undefined }), gte: fc.option(key, { nil: undefined }),
  lt: fc.option(key, { nil: undefined }), lte: fc.option(key, { nil: undefined }),
  reverse: fc.boolean(), limit: fc.option(fc.integer({ min: -1, max: 5 }), { nil: undefined }),
}, { requiredKeys: ['reverse'] });
const opArb = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key, value: fc.jsonValue().filter((v) => v !== null) }),
  fc.record({ type: fc.constant('del' as const), key }),
);

describe('store on PostgreSQL', function () {
  this.timeout(120_000);
  const pg = usePgServer();
  const open = (schema = pg.schema()) => Store.openPostgres(pg.url(), { schema });

  it('answers every read exactly as the Level store does, after the same batches (property)', async () => {
    const dir = await tempDir();
    const level = await Store.open(dir.path);
    const postgres = await open();
    let round = 0;
    try {
      await fc.assert(fc.asyncProperty(fc.array(fc.array(opArb, { maxLength: 8 }), { maxLength: 5 }), fc.array(rangeArb, { minLength: 1, maxLength: 4 }), async (batches, ranges) => {
        // A section per round: each run starts empty on both sides.
        const name = `p${round++}`;
        const a = level.section<unknown>(name);
        const b = postgres.section<unknown>(name);
        const build = (s: Section<unknown>) => batches.map((ops) => ops.map((op) => (op.type === 'put' ? put(s, op.key, op.value) : del(s, op.key))));
        for (const ops of build(a)) await level.write(ops);
        for (const ops of build(b)) await postgres.write(ops);
        for (const range of ranges) {
          assert.deepEqual(await b.iterator(range).all(), await a.iterator(range).all(), `iterator ${JSON.stringify(range)}`);
          assert.deepEqual(await b.keys(range).all(), await a.keys(range).all());
          assert.deepEqual(await b.values(range).all(), await a.values(range).all());
        }
        const keys = batches.flat().map((op) => op.key);
        assert.deepEqual(await b.getMany(keys), await a.getMany(keys));
        const first = ranges[0]!;
        await a.clear(first);
        await b.clear(first);
        assert.deepEqual(await b.iterator().all(), await a.iterator().all(), `after clear ${JSON.stringify(first)}`);
      }), { numRuns: 40 });
    } finally {
      await level.close();
      await postgres.close();
      await dir.cleanup();
    }
  });

  it('writes acknowledgements with a batch before any cluster membership fences it (one statement, no unused parameter)', async () => {
    const store = await open();
    try {
      const section = store.section<string>('acked');
      await store.write([put(section, 'k', 'v')], { acks: [{ lane: '!room:x', seq: 7 }] });
      await store.postgres!.acknowledge([{ lane: '!room:x', seq: 9 }]);
      assert.equal(await section.get('k'), 'v');
      const rows = await store.postgres!.query<{ acked: string }>(`SELECT acked::text FROM ${store.postgres!.tables.laneAcks} WHERE lane = $1`, ['!room:x']);
      assert.deepEqual(rows.map((r) => r.acked), ['9']);
    } finally {
      await store.close();
    }
  });

  it('pages through a range longer than one query, forwards and backwards, bytes values too', async () => {
    const store = await open();
    try {
      const s = store.section<number>('many');
      await store.write(Array.from({ length: 1500 }, (_, i) => put(s, String(i).padStart(5, '0'), i)));
      const forward = await s.keys({ gte: '00100' }).all();
      assert.equal(forward.length, 1400);
      assert.equal(forward[0], '00100');
      assert.equal(forward.at(-1), '01499');
      const backward = await s.values({ reverse: true, lt: '01000', limit: 600 }).all();
      assert.deepEqual(backward, Array.from({ length: 600 }, (_, i) => 999 - i));
      const bytes = store.bytesSection('raw');
      await store.write([put(bytes, 'b', Buffer.from([0, 255, 10]))]);
      assert.deepEqual(await bytes.get('b'), Buffer.from([0, 255, 10]));
    } finally {
      await store.close();
    }
  });

  it('writes a batch entirely or not at all: a refused operation takes the whole batch with it', async () => {
    const store = await open();
    try {
      const s = store.section<number>('atomic');
      await store.write([put(s, 'kept', 1)]);
      // A key past the primary key index's row size (random: it does not compress): PostgreSQL refuses the statement.
      const refused = store.write([put(s, 'first', 1), del(s, 'kept'), put(s, randomBytes(6000).toString('base64'), 2)]);
      await assert.rejects(refused, (err: Error & { code?: string }) => err.code === 'LEVEL_IO_ERROR' && /index row/.test(err.message));
      assert.equal(await s.get('first'), undefined);
      assert.equal(await s.get('kept'), 1);
      assert.ok(store.health.failing, 'the failure shows in the store\'s write health');
      await store.write([put(s, 'after', 3)]);
      assert.equal(store.health.failing, false);
    } finally {
      await store.close();
    }
  });

  it('applies its schema migrations once, records them, and refuses a schema newer than it knows', async () => {
    const schema = pg.schema();
    const first = await open(schema);
    await first.section<number>('s').put('k', 1);
    await first.close();
    const again = await open(schema);
    assert.equal(await again.section<number>('s').get('k'), 1, 'reopening keeps the data');
    await again.close();
    const pool = new Pool({ connectionString: pg.url() });
    try {
      const { rows } = await pool.query<{ version: number }>(`SELECT version FROM ${schema}.bridgekit_migrations ORDER BY version`);
      assert.deepEqual(rows.map((r) => r.version), Array.from({ length: STORE_SCHEMA_VERSION }, (_, i) => i + 1));
      await pool.query(`INSERT INTO ${schema}.bridgekit_migrations (version, name) VALUES (999, 'from the future')`);
    } finally {
      await pool.end();
    }
    await assert.rejects(open(schema), (err: unknown) => err instanceof StoreOpenError && err.problem === 'schema-too-new' && /version 999/.test(err.message));
  });

  it('is held by one process at a time, as a Level folder is: a second opener is told it is locked', async () => {
    const schema = pg.schema();
    const first = await open(schema);
    try {
      await assert.rejects(open(schema), (err: unknown) => err instanceof StoreOpenError && err.problem === 'locked'
        && /is in use by another process/.test(err.message));
      const other = await open(); // another schema of the same database is another store
      await other.close();
    } finally {
      await first.close();
    }
    const after = await open(schema);
    await after.close();
  });

  it('says a server that does not answer is unreachable, naming the URL without its password', async () => {
    const port = await freePort();
    await assert.rejects(Store.openPostgres(`postgres://bridge:s3cret@127.0.0.1:${port}/bridge`), (err: unknown) => {
      assert.ok(err instanceof StoreOpenError);
      assert.equal(err.problem, 'unreachable');
      assert.match(err.message, new RegExp(`^the store postgres://bridge:\\*\\*\\*@127\\.0\\.0\\.1:${port}/bridge cannot be reached`));
      assert.doesNotMatch(err.message, /s3cret/);
      return true;
    });
  });

  it('is chosen by the config: store.url opens PostgreSQL, store.path Level', async () => {
    const dir = await tempDir();
    try {
      const onPg = await Store.openConfigured({ url: pg.url(), schema: pg.schema() });
      assert.equal(onPg.backend, 'postgres');
      assert.equal(onPg.folder, undefined);
      await onPg.close();
      const onLevel = await Store.openConfigured({ path: dir.path });
      assert.equal(onLevel.backend, 'level');
      assert.equal(onLevel.folder, dir.path);
      await onLevel.close();
    } finally {
      await dir.cleanup();
    }
  });
});
