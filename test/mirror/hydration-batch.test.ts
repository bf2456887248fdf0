import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { ALICE, MOD, ev, failNextBatch, tempMirror } from './helpers.js';

const ROOM = '!batch:a';

function stateWithMembers(members: number): RoomEvent[] {
  const state = [
    ev(ROOM, 'm.room.create', ALICE, { room_version: '11' }, ''),
    ev(ROOM, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
    ev(ROOM, 'm.room.topic', ALICE, { topic: 'fetched' }, ''),
  ];
  for (let i = 0; i < members; i++) state.push(ev(ROOM, 'm.room.member', `@u${i}:a`, { membership: 'join' }, `@u${i}:a`));
  return state;
}

/** Counts the root database's batches (every Level write of the store goes through one). */
function countBatches(store: { db: { batch: (...args: never[]) => unknown } }): { readonly count: number } {
  const counter = { count: 0 };
  const batch = store.db.batch.bind(store.db);
  store.db.batch = ((...args: never[]) => {
    counter.count += 1;
    return batch(...args);
  }) as typeof store.db.batch;
  return counter;
}

describe('mirror: a fetched room written in one batch', () => {
  it('writes a small room\'s state, event index and record in one batch, indexed at once', async () => {
    const state = stateWithMembers(5);
    const t = await tempMirror({ fetchState: async () => state });
    try {
      const batches = countBatches(t.store);
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'first sight' }));
      await t.mirror.settled();
      assert.equal(batches.count, 1, 'one batch: state, event index and record together');
      const record = await t.store.section<{ indexed?: boolean; stateCount?: number }>('mirror.rooms').get(ROOM);
      assert.equal(record?.indexed, true);
      assert.equal(record?.stateCount, state.length);
      // The index is there: a redelivered fetched event is recognised, a redaction finds its target.
      await t.mirror.apply(ev(ROOM, 'm.room.redaction', ALICE, { redacts: state[2]!.event_id }));
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.topic, undefined);
      assert.equal(room?.hydrated, true);
      assert.equal(room?.memberCounts.join, 5);
    } finally {
      await t.cleanup();
    }
  });

  it('leaves no record when that batch fails, so the room is fetched again', async () => {
    const state = stateWithMembers(3);
    let fetches = 0;
    const t = await tempMirror({ fetchState: async () => { fetches += 1; return state; }, hydrateRetryMs: 0 });
    try {
      failNextBatch(t.store, new Error('disk full'));
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'first' })).catch(() => undefined);
      assert.equal(await t.store.section('mirror.rooms').get(ROOM), undefined, 'no record without its state');
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'second' })).catch(() => undefined);
      await t.mirror.settled();
      assert.equal(fetches, 2);
      assert.equal((await t.mirror.room(ROOM))?.topic, 'fetched');
    } finally {
      await t.cleanup();
    }
  });

  it('indexes a room too large for one batch in the background, and marks it indexed after', async () => {
    const state = stateWithMembers(3_000);
    const t = await tempMirror({ fetchState: async () => state });
    try {
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'x' }));
      await t.mirror.apply(ev(ROOM, 'm.room.redaction', ALICE, { redacts: state[2]!.event_id }));
      assert.equal((await t.mirror.room(ROOM))?.topic, undefined);
      await t.mirror.settled();
      const record = await t.store.section<{ indexed?: boolean; stateCount?: number }>('mirror.rooms').get(ROOM);
      assert.equal(record?.indexed, true);
      assert.equal(record?.stateCount, state.length);
    } finally {
      await t.cleanup();
    }
  });
});
