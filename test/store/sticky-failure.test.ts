import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { open, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { put, Store } from '../../src/store/index.js';
import { waitUntil } from '../../src/testing/index.js';
import { tempDir } from '../helpers/temp.js';
import { mountTmpfs } from '../helpers/tmpfs.js';

/** A file of `bytes` on the disk, to leave only so much room. */
async function ballast(path: string, bytes: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.write(Buffer.alloc(bytes, 1));
  } finally {
    await file.close();
  }
}

/**
 * A compaction that fails on a full disk is an error LevelDB keeps: every later write fails
 * with it, even after space is freed, until the database is reopened. The store reopens
 * itself once there is room again.
 */
describe('store: a write failure LevelDB keeps after its cause is gone', function () {
  this.timeout(90_000);

  it('is cleared by reopening the store in place once the disk has room, data and sections intact', async () => {
    const dir = await tempDir();
    const mnt = join(dir.path, 'mnt');
    const { unmount } = await mountTmpfs(mnt, '16m');
    let store: Store | undefined;
    try {
      store = await Store.open(join(mnt, 'data'), { writeBufferBytes: 1024 * 1024 });
      const reopened: string[] = [];
      store.onReopened = (cause) => reopened.push(cause);
      const section = store.section<string>('test');
      await section.put('before', 'kept');
      // 1.5 MiB of room: a 1 MiB write-ahead log fits, and the table a full memtable becomes
      // (incompressible values: as large as the memtable) does not fit beside it.
      const extra = join(mnt, 'ballast');
      const room = await statfs(mnt);
      await ballast(extra, room.bavail * room.bsize - 1.5 * 1024 * 1024);
      const value = randomBytes(750).toString('base64');
      let failure: Error | undefined;
      for (let i = 0; i < 200_000 && !failure; i++) {
        await store.write([put(section, `k${i}`, `${i}${value}`)]).catch((err: Error) => { failure = err; });
      }
      assert.ok(failure, 'the disk filled up');
      // A failure of the log clears by itself; wait for the one LevelDB keeps (a table file).
      await waitUntil(async () => {
        await store!.write([put(section, 'probe', value)]).catch(() => undefined);
        return /\.ldb|MANIFEST/.test(store!.health.problem ?? '') || undefined;
      }, 30_000, 'a failed compaction').catch((err: Error) => {
        throw new Error(`${err.message}; the store's last problem: ${store!.health.problem ?? 'none'}`);
      });
      await rm(extra);
      // Without reopening, LevelDB would go on failing every write.
      await waitUntil(async () => (await store!.writeProblem()) === undefined || undefined, 30_000, 'the store to write again');
      assert.equal(reopened.length, 1);
      assert.match(reopened[0]!, /No space left on device/);
      await store.write([put(section, 'after', 'written')]);
      assert.equal(await section.get('before'), 'kept');
      assert.equal(await section.get('after'), 'written');
      assert.equal(store.db.status, 'open');
    } finally {
      await store?.close();
      await unmount();
      await dir.cleanup();
    }
  });
});
