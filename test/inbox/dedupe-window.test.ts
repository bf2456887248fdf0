import assert from 'node:assert/strict';
import { Store } from '../../src/store/index.js';
import { DedupeWindow } from '../../src/inbox/dedupe.js';
import { tempDir } from '../helpers/temp.js';

describe('inbox: the dedupe window', () => {
  it('remembers an id for at least the window and forgets it after two', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    try {
      const hour = 3_600_000;
      const window = new DedupeWindow(store.section<number>('seen'), hour);
      const t0 = 10 * hour + 1;
      await store.write([window.remember('$a', t0)]);
      assert.deepEqual([...await window.seen(['$a', '$b'], t0)], ['$a']);
      assert.deepEqual([...await window.seen(['$a'], t0 + hour - 2)], ['$a'], 'still within the window');
      assert.deepEqual([...await window.seen(['$a'], t0 + hour + 5)], ['$a'], 'the previous generation is checked');
      await window.prune(t0 + 2 * hour + 5);
      assert.deepEqual([...await window.seen(['$a'], t0 + 2 * hour + 5)], []);
      let keys = 0;
      for await (const _ of store.section('seen').keys()) keys++;
      assert.equal(keys, 0, 'pruning removed the expired generation from disk');
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
