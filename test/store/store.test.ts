import assert from 'node:assert/strict';
import { del, put, Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';

describe('store', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir(); });
  afterEach(async () => { await dir.cleanup(); });

  it('groups writes asked for during a batch, keeps their order, and resolves each', async () => {
    const store = await Store.open(dir.path);
    try {
      const section = store.section<number>('numbers');
      // 200 writes at once: the first goes alone, the rest wait and go as one batch, in order.
      await Promise.all(Array.from({ length: 200 }, (_, i) => store.write([put(section, 'last', i), put(section, `n${i}`, i)])));
      assert.equal(await section.get('last'), 199, 'later writes land after earlier ones');
      assert.equal((await section.keys().all()).length, 201);
      await store.write([del(section, 'last')]);
      assert.equal(await section.get('last'), undefined);
    } finally {
      await store.close();
    }
  });

  it('takes its LevelDB cache and memtable sizes from the options, and what it wrote outlives a reopen', async () => {
    // A 64 KiB memtable: 4 MiB of values make LevelDB write many table files.
    let store = await Store.open(dir.path, { cacheBytes: 256 * 1024, writeBufferBytes: 64 * 1024 });
    const value = 'x'.repeat(4096);
    await store.write(Array.from({ length: 1024 }, (_, i) => put(store.section<string>('blobs'), String(i).padStart(4, '0'), value)));
    await store.close();
    store = await Store.open(dir.path);
    try {
      const all = await store.section<string>('blobs').values().all();
      assert.equal(all.length, 1024);
      assert.ok(all.every((v) => v === value));
    } finally {
      await store.close();
    }
  });
});
