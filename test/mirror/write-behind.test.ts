import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { MirrorSections, type RoomRecord } from '../../src/mirror/index.js';
import { WriteBehind } from '../../src/mirror/write-behind.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { ALICE, ev, failNextBatch, tempMirror } from './helpers.js';

const head = (roomId: string) => [
  ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
  ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
  ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
];
const member = (roomId: string, userId: string, membership: string) => ev(roomId, 'm.room.member', userId, { membership }, userId);

/** A fresh store with a WriteBehind riding on it, closed and removed after `body`. */
async function withStaged(body: (store: Store, staged: WriteBehind) => Promise<void>): Promise<void> {
  const dir = await tempDir();
  const store = await Store.open(dir.path);
  try {
    const staged = new WriteBehind(store);
    await body(store, staged);
    await staged.close();
  } finally {
    await store.close();
    await dir.cleanup();
  }
}

describe('mirror: writes staged until the next batch', () => {
  it('a write asked for after staging carries the staged ops in the same batch (what acknowledgements rely on)', async () => {
    await withStaged(async (store, staged) => {
      const state = store.section<string>('test.staged');
      const acks = store.section<string>('test.acks');
      staged.put(state, 'k', 'staged value');
      let batches = 0;
      const batch = store.db.batch.bind(store.db);
      store.db.batch = ((...args: Parameters<typeof batch>) => { batches++; return batch(...args); }) as typeof store.db.batch;
      await store.write([{ type: 'put', section: acks as never, key: 'ack', value: 'ack' }]);
      assert.equal(batches, 1);
      assert.equal(await state.get('k'), 'staged value');
      assert.equal(staged.busy, false);
    });
  });

  it('a failed batch gives its staged ops back, and a later value of the same key wins', async () => {
    await withStaged(async (store, staged) => {
      const state = store.section<string>('test.staged');
      staged.put(state, 'a', 'first');
      staged.put(state, 'b', 'only');
      failNextBatch(store, new Error('disk says no'));
      await assert.rejects(store.write([]).then(() => store.flush()), /disk says no/);
      assert.equal(staged.busy, true, 'the ops are still held');
      staged.put(state, 'a', 'second');
      await staged.settle();
      assert.deepEqual([await state.get('a'), await state.get('b')], ['second', 'only']);
    });
  });

  it('counts a room again from its state when the mirror stopped without closing (a crash)', async () => {
    const t = await tempMirror();
    const roomId = '!crash:a';
    try {
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      for (let i = 0; i < 20; i++) await t.mirror.apply(member(roomId, `@u${i}:b`, 'join'), { firstDelivery: true });
      for (let i = 0; i < 5; i++) await t.mirror.apply(member(roomId, `@u${i}:b`, 'leave'), { firstDelivery: true });
      await t.mirror.apply(member(roomId, '@guest:b', 'invite'), { firstDelivery: true });
      // Everything staged is on disk, but the mirror is never closed: as after kill -9.
      await t.mirror.settled();
      const onDisk = await t.store.section<RoomRecord>(MirrorSections.rooms).get(roomId);
      assert.equal(onDisk?.exact, false, 'the record on disk says its counts may lag');
      assert.notEqual(onDisk?.counts.join, 16, 'the counts on disk lag (written once, not per event)');
      await t.store.close();
      const again = await tempMirror({}, t.path);
      try {
        const room = (await again.mirror.room(roomId))!;
        assert.deepEqual(room.memberCounts, { join: 16, invite: 1, leave: 5, ban: 0, knock: 0 });
        assert.equal(await room.membership('@u3:b'), 'leave');
        await again.mirror.close();
        const closed = await again.store.section<RoomRecord>(MirrorSections.rooms).get(roomId);
        assert.equal(closed?.exact, undefined, 'counted again and written exact');
        assert.equal(closed?.stateCount, 3 + 20 + 1);
      } finally {
        await again.store.close();
      }
    } finally {
      await (await import('node:fs/promises')).rm(t.path, { recursive: true, force: true });
    }
  });

  it('writes the exact record when a room leaves the cache and when the mirror closes', async () => {
    const t = await tempMirror({ cacheRooms: 1 });
    try {
      const rooms = ['!one:a', '!two:a'];
      for (const roomId of rooms) {
        for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
        await t.mirror.apply(member(roomId, '@bob:b', 'join'), { firstDelivery: true });
      }
      await t.mirror.settled();
      const records = t.store.section<RoomRecord>(MirrorSections.rooms);
      const evicted = await records.get('!one:a');
      assert.equal(evicted?.exact, undefined, 'the room pushed out of the cache left its exact record');
      assert.equal(evicted?.counts.join, 2);
      assert.equal((await records.get('!two:a'))?.exact, false);
      await t.mirror.close();
      const closed = await records.get('!two:a');
      assert.deepEqual([closed?.exact, closed?.counts.join], [undefined, 2]);
    } finally {
      await t.cleanup();
    }
  });

  it('a read of a key still staged waits for its write and sees it', async () => {
    const t = await tempMirror();
    const roomId = '!read:a';
    try {
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      await t.mirror.apply(member(roomId, '@bob:b', 'join'), { firstDelivery: true });
      const room = (await t.mirror.room(roomId))!;
      assert.equal(await room.membership('@bob:b'), 'join');
      const members: RoomEvent[] = [];
      for await (const event of room.stateEvents('m.room.member')) members.push(event);
      assert.equal(members.length, 2);
    } finally {
      await t.cleanup();
    }
  });
});
