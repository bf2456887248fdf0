import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { ALICE, BOB, MOD, ev, tempMirror } from './helpers.js';

const ROOM = '!late:a';

function fullState(roomId = ROOM, topic = 'fetched'): RoomEvent[] {
  return [
    ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
    ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
    ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
    ev(roomId, 'm.room.join_rules', ALICE, { join_rule: 'public' }, ''),
    ev(roomId, 'm.room.topic', ALICE, { topic }, ''),
    ev(roomId, 'm.room.member', MOD, { membership: 'join' }, MOD),
  ];
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => { resolve = r; });
  return { promise, resolve };
}

describe('mirror: hydration', () => {
  it('fetches an unknown room once, while its later events wait in order', async () => {
    const gate = deferred<RoomEvent[]>();
    let fetches = 0;
    const t = await tempMirror({ fetchState: (roomId) => { fetches += 1; assert.equal(roomId, ROOM); return gate.promise; } });
    try {
      const order: string[] = [];
      const events = [
        ev(ROOM, 'm.room.message', MOD, { body: 'first' }),
        ev(ROOM, 'm.room.member', BOB, { membership: 'join', displayname: 'one' }, BOB),
        ev(ROOM, 'm.room.member', BOB, { membership: 'join', displayname: 'two' }, BOB),
        ev(ROOM, 'm.room.topic', MOD, { topic: 'after hydration' }, ''),
      ];
      const applied = events.map((e, i) => t.mirror.apply(e).then(async () => {
        const room = await t.mirror.room(ROOM);
        order.push(`${i}:${room?.topic}`);
      }));
      await new Promise((r) => setTimeout(r, 30));
      assert.deepEqual(order, [], 'nothing is applied before the state arrives');
      gate.resolve(fullState());
      await Promise.all(applied);
      assert.equal(fetches, 1);
      assert.equal(order[0], '0:fetched');
      const room = await t.mirror.room(ROOM);
      assert.ok(room);
      assert.equal(room.hydrated, true);
      assert.equal(room.topic, 'after hydration');
      assert.equal((await room.member(BOB))?.displayname, 'two');
      assert.deepEqual(room.memberCounts, { join: 3, invite: 0, leave: 0, ban: 0, knock: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('does not re-apply an event that the fetched state already contains', async () => {
    const state = fullState();
    const t = await tempMirror({ fetchState: async () => state });
    try {
      const join = state[5]!;
      await t.mirror.apply(join);
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.joinedCount, 2);
      assert.equal(room?.topic, 'fetched');
    } finally {
      await t.cleanup();
    }
  });

  it('does not apply the event that triggered a fetch over the newer state it fetched', async () => {
    // The bot's invite arrives after the bot already joined: the fetch sees the join.
    const invite = ev(ROOM, 'm.room.member', ALICE, { membership: 'invite' }, '@bot:br');
    const join = ev(ROOM, 'm.room.member', '@bot:br', { membership: 'join' }, '@bot:br');
    const t = await tempMirror({ fetchState: async () => [...fullState(), join] });
    try {
      await t.mirror.apply(invite);
      assert.equal(await (await t.mirror.room(ROOM))?.membership('@bot:br'), 'join', 'the older invite did not move state back');
      await t.mirror.apply(join); // its echo, already in the fetched state
      assert.equal(await (await t.mirror.room(ROOM))?.membership('@bot:br'), 'join');
    } finally {
      await t.cleanup();
    }
  });

  it('retries a failed fetch at once when someone joins, without waiting for the retry delay', async () => {
    let fail = true;
    let fetches = 0;
    const botJoin = ev(ROOM, 'm.room.member', '@bot:br', { membership: 'join' }, '@bot:br');
    const t = await tempMirror({
      hydrateRetryMs: 60_000,
      fetchState: async () => { fetches++; if (fail) throw new Error('403 not joined'); return [...fullState(), botJoin]; },
    });
    try {
      await t.mirror.apply(ev(ROOM, 'm.room.member', ALICE, { membership: 'invite' }, '@bot:br'));
      await t.mirror.apply(ev(ROOM, 'm.room.message', ALICE, { body: 'not a join: no refetch yet' }));
      assert.equal(fetches, 1);
      fail = false;
      await t.mirror.apply(botJoin);
      assert.equal(fetches, 2);
      assert.equal((await t.mirror.room(ROOM))?.hydrated, true);
    } finally {
      await t.cleanup();
    }
  });

  it('does not hold other rooms back while one room hydrates', async () => {
    const gate = deferred<RoomEvent[]>();
    const t = await tempMirror({ fetchState: (roomId) => (roomId === ROOM ? gate.promise : Promise.resolve(fullState(roomId))) });
    try {
      const slow = t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'x' }));
      await t.mirror.apply(ev('!other:a', 'm.room.message', MOD, { body: 'y' }));
      assert.equal((await t.mirror.room('!other:a'))?.topic, 'fetched');
      gate.resolve(fullState());
      await slow;
    } finally {
      await t.cleanup();
    }
  });

  it('starts an unknown room empty when fetching fails, and tries again later', async () => {
    let fail = true;
    const t = await tempMirror({
      hydrateRetryMs: 0,
      // Fetched after the bot's join, so the state holds it.
      fetchState: async () => {
        if (fail) throw new Error('403 not joined');
        return [...fullState(), ev(ROOM, 'm.room.member', '@bot:br', { membership: 'join' }, '@bot:br')];
      },
    });
    try {
      await t.mirror.apply(ev(ROOM, 'm.room.member', ALICE, { membership: 'invite' }, '@bot:br'));
      let room = await t.mirror.room(ROOM);
      assert.equal(room?.hydrated, false);
      assert.equal(await room?.membership('@bot:br'), 'invite');
      fail = false;
      await t.mirror.apply(ev(ROOM, 'm.room.member', '@bot:br', { membership: 'join' }, '@bot:br'));
      room = await t.mirror.room(ROOM);
      assert.equal(room?.hydrated, true);
      assert.equal(await room?.membership('@bot:br'), 'join');
      assert.equal(room?.topic, 'fetched');
    } finally {
      await t.cleanup();
    }
  });

  it('without fetchState, an unknown room starts empty and not hydrated', async () => {
    const t = await tempMirror();
    try {
      await t.mirror.apply(ev(ROOM, 'm.room.topic', ALICE, { topic: 'only this' }, ''));
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.hydrated, false);
      assert.equal(room?.topic, 'only this');
    } finally {
      await t.cleanup();
    }
  });

  it('applies a redaction of fetched state once the background event index is written', async () => {
    const state = fullState();
    const t = await tempMirror({ fetchState: async () => state });
    try {
      const topic = state[4]!;
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'x' }));
      await t.mirror.apply(ev(ROOM, 'm.room.redaction', ALICE, { redacts: topic.event_id }));
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.topic, undefined);
      await t.mirror.settled();
      const record = await t.store.section<{ indexed?: boolean }>('mirror.rooms').get(ROOM);
      assert.equal(record?.indexed, true);
    } finally {
      await t.cleanup();
    }
  });

  it('finishes an event index left incomplete by a restart', async () => {
    const state = fullState();
    const t = await tempMirror({ fetchState: async () => state });
    await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'x' }));
    await t.mirror.settled();
    // As if the process had stopped before the background index was written.
    const rooms = t.store.section<Record<string, unknown>>('mirror.rooms');
    await rooms.put(ROOM, { ...(await rooms.get(ROOM)), indexed: false });
    await t.store.section('mirror.events').clear();
    await t.close();
    const again = await tempMirror({}, t.path);
    try {
      await again.mirror.apply(ev(ROOM, 'm.room.redaction', ALICE, { redacts: state[4]!.event_id }));
      assert.equal((await again.mirror.room(ROOM))?.topic, undefined);
      await again.mirror.settled();
      assert.equal((await again.store.section<{ indexed?: boolean }>('mirror.rooms').get(ROOM))?.indexed, true);
    } finally {
      await again.close();
      await (await import('node:fs/promises')).rm(t.path, { recursive: true, force: true });
    }
  });

  it('resync replaces the room with a fresh fetch, in order with its events', async () => {
    let topic = 'first fetch';
    const t = await tempMirror({ fetchState: async () => fullState(ROOM, topic) });
    try {
      await t.mirror.apply(ev(ROOM, 'm.room.message', MOD, { body: 'x' }));
      await t.mirror.apply(ev(ROOM, 'com.example.gone', ALICE, {}, 'k'));
      topic = 'second fetch';
      await t.mirror.resync(ROOM);
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.topic, 'second fetch');
      assert.equal(await room?.stateEvent('com.example.gone', 'k'), undefined);
      assert.equal(room?.joinedCount, 2);
    } finally {
      await t.cleanup();
    }
  });
});
