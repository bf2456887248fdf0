import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { stateKeyOf } from '../../src/mirror/layout.js';
import { Sections } from '../../src/store/index.js';
import { ALICE, BOB, ev, tempMirror } from './helpers.js';

describe('mirror: new state keys of a room seen whole need no read', () => {
  const head = (roomId: string) => [
    ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
    ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
    ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
  ];
  const join = (roomId: string, userId: string, membership = 'join') => ev(roomId, 'm.room.member', userId, { membership }, userId);

  async function counted(fetched?: RoomEvent[]) {
    const t = await tempMirror(fetched ? { fetchState: async () => fetched } : {});
    const state = t.store.section<RoomEvent>(Sections.mirrorState);
    let reads = 0;
    const get = state.get.bind(state);
    state.get = ((key: string) => { reads++; return get(key); }) as typeof state.get;
    return { ...t, state, reads: () => reads };
  }

  it('a room met through its create event: joins of new members read nothing; a known key is read, and counts stay right', async () => {
    const t = await counted();
    try {
      const roomId = '!fresh:a';
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      const before = t.reads();
      for (let i = 0; i < 50; i++) await t.mirror.apply(join(roomId, `@u${i}:b`), { firstDelivery: true });
      assert.equal(t.reads() - before, 0);
      await t.mirror.apply(join(roomId, '@u7:b', 'leave'), { firstDelivery: true });
      assert.ok(t.reads() - before >= 1, 'the leave of a stored member reads its join');
      const room = (await t.mirror.room(roomId))!;
      assert.equal(room.joinedCount, 50);
      assert.equal(room.memberCounts.leave, 1);
      assert.equal(await room.membership('@u7:b'), 'leave');
    } finally {
      await t.cleanup();
    }
  });

  it('a fetched room: only keys outside the fetched state skip the read', async () => {
    const roomId = '!fetched:a';
    const t = await counted([...head(roomId), join(roomId, BOB)] as RoomEvent[]);
    try {
      await t.mirror.apply(join(roomId, '@first:b'), { firstDelivery: true }); // fetches; the event is in the fetched state's past
      const before = t.reads();
      await t.mirror.apply(join(roomId, '@new:b'), { firstDelivery: true });
      assert.equal(t.reads() - before, 0);
      await t.mirror.apply(join(roomId, BOB, 'leave'), { firstDelivery: true });
      assert.equal(t.reads() - before, 1);
      const room = (await t.mirror.room(roomId))!;
      assert.deepEqual([room.joinedCount, room.memberCounts.leave], [2, 1]);
    } finally {
      await t.cleanup();
    }
  });

  it('state left behind without a room record (a fetch that died midway): keys are unknown, every key is read', async () => {
    const t = await counted();
    try {
      const roomId = '!orphan:a';
      const stale = join(roomId, BOB);
      await t.state.put(stateKeyOf(roomId, 'm.room.member', BOB), stale);
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      const before = t.reads();
      await t.mirror.apply(join(roomId, BOB, 'leave'), { firstDelivery: true });
      assert.equal(t.reads() - before, 1, 'the stored event was read, not assumed absent');
      assert.equal((await t.mirror.room(roomId))!.memberCounts.leave, 1);
    } finally {
      await t.cleanup();
    }
  });
});
