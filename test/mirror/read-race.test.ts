import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { silentLogger } from '../../src/log/logger.js';
import { Mirror } from '../../src/mirror/index.js';
import { ALICE, ev, tempMirror } from './helpers.js';

const ROOM = '!race:a';

/**
 * `room()` reads outside the room's queue. A read that began before an event was applied
 * and ends after it must not put its older summary in the cache over the newer one: every
 * later question about the room would miss that event. (Seen with the store on PostgreSQL,
 * whose reads take longer; any store can interleave so.)
 */
describe('mirror: a room read while its events are applied', () => {
  it('keeps the entry of the event applied meanwhile, not the older one the read found', async () => {
    const t = await tempMirror();
    try {
      for (const e of [
        ev(ROOM, 'm.room.create', ALICE, { room_version: '11' }, ''),
        ev(ROOM, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
        ev(ROOM, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
        ev(ROOM, 'm.room.topic', ALICE, { topic: 'old' }, ''),
      ]) await t.mirror.apply(e);
      await t.mirror.settled(); // its writes on disk, where the second mirror reads
      // A second mirror on the same store: nothing cached yet, as after a restart or an eviction.
      const mirror = new Mirror({ store: t.store, logger: silentLogger() });
      const state = t.store.section<RoomEvent>('mirror.state');
      const getMany = state.getMany.bind(state) as (keys: string[]) => Promise<Array<RoomEvent | undefined>>;
      let release!: () => void;
      const gate = new Promise<void>((resolve) => { release = resolve; });
      let first = true;
      // The first summary read returns what it found only once the gate opens.
      (state as unknown as { getMany: typeof getMany }).getMany = async (keys) => {
        const values = await getMany(keys);
        if (first) {
          first = false;
          await gate;
        }
        return values;
      };
      const reading = mirror.room(ROOM);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await mirror.apply(ev(ROOM, 'm.room.topic', ALICE, { topic: 'new' }, ''));
      release();
      await reading;
      assert.equal((await mirror.room(ROOM))?.topic, 'new', 'the cache keeps the newer entry');
      await mirror.close();
    } finally {
      await t.cleanup();
    }
  });
});
