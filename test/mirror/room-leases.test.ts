import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { MirrorSections, type RoomRecord } from '../../src/mirror/index.js';
import { stateKeyOf } from '../../src/mirror/layout.js';
import type { RoomOwnership } from '../../src/cluster/index.js';
import { WriteBehind } from '../../src/mirror/write-behind.js';
import { Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { ALICE, BOB, ev, failNextBatch, tempMirror } from './helpers.js';

// Several processes on one store (issue #21): "another process" is played by writes through
// the store's sections directly, behind the mirror's back.

const ROOM = '!leased:a';
const head = (roomId = ROOM): RoomEvent[] => [
  ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
  ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
  ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
  ev(roomId, 'm.room.name', ALICE, { name: 'Before' }, ''),
];
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
const member = (userId: string, membership: string) => ev(ROOM, 'm.room.member', userId, { membership }, userId);

/** Ownership the test moves by hand, as the lease code would. */
class Leases implements RoomOwnership {
  readonly held = new Set<string>();
  holds(roomId: string): boolean { return this.held.has(roomId); }
}

type TempMirror = Awaited<ReturnType<typeof tempMirror>>;

/** What another process would write: a new room name, straight into the mirror's state section. */
async function renameBehindItsBack(t: { readonly store: TempMirror['store'] }, name: string): Promise<void> {
  await t.store.section<RoomEvent>(MirrorSections.state).put(stateKeyOf(ROOM, 'm.room.name', ''), ev(ROOM, 'm.room.name', BOB, { name }, ''));
}

/** A mirror over a fresh store for `body`, removed afterwards. */
async function withMirror(options: Parameters<typeof tempMirror>[0], body: (t: TempMirror) => Promise<void>): Promise<void> {
  const t = await tempMirror(options);
  try {
    await body(t);
  } finally {
    await t.cleanup();
  }
}

/** The room as this process applied it, all on disk. */
async function seeded(t: TempMirror): Promise<void> {
  for (const e of head()) await t.mirror.apply(e, { firstDelivery: true });
  await t.mirror.settled();
}

/**
 * Renames the room (staged synchronously: a state change memory alone decides), runs
 * `meanwhile` before any batch could write it, and waits until everything left is on disk.
 */
async function stageRename(t: TempMirror, name: string, meanwhile: () => void): Promise<void> {
  const applied = t.mirror.apply(ev(ROOM, 'm.room.name', ALICE, { name }, ''), { firstDelivery: true });
  meanwhile();
  await applied;
  await t.mirror.settled();
}

describe('mirror: rooms whose lease moves between processes', () => {
  it('forgetRoom makes the next read see what another process wrote (without it the cache is stale)', async () => {
    await withMirror({}, async (t) => {
      await seeded(t);
      assert.equal((await t.mirror.room(ROOM))?.name, 'Before');
      await renameBehindItsBack(t, 'After');
      assert.equal((await t.mirror.room(ROOM))?.name, 'Before', 'the cached summary does not see the store change');
      t.mirror.forgetRoom(ROOM);
      assert.equal(t.mirror.cachedRooms, 0);
      assert.equal((await t.mirror.room(ROOM))?.name, 'After');
    });
  });

  it('an event being applied when its room is forgotten does not put back what it read before', async () => {
    await withMirror({}, async (t) => {
      await seeded(t);
      await renameBehindItsBack(t, 'After');
      // Hold the apply inside its read of the event index (a redelivery looks the event up).
      const events = t.store.section<unknown>(MirrorSections.events);
      const get = events.get.bind(events);
      let entered!: () => void;
      const inside = new Promise<void>((resolve) => { entered = resolve; });
      let release!: () => void;
      const released = new Promise<void>((resolve) => { release = resolve; });
      events.get = (async (key: string) => { entered(); await released; return get(key); }) as typeof events.get;
      const applied = t.mirror.apply(member(BOB, 'join'));
      await inside;
      t.mirror.forgetRoom(ROOM);
      release();
      await applied;
      events.get = get as typeof events.get;
      assert.equal((await t.mirror.room(ROOM))?.name, 'After');
      assert.equal(await (await t.mirror.room(ROOM))?.membership(BOB), 'join');
    });
  });

  it('forgetAllRooms drops every room, and the writes not yet on disk, unwritten', async () => {
    await withMirror({}, async (t) => {
      await seeded(t);
      // Fenced out before any batch took the rename.
      await stageRename(t, 'Staged, never written', () => t.mirror.forgetAllRooms());
      assert.equal(t.mirror.cachedRooms, 0);
      const onDisk = await t.store.section<RoomEvent>(MirrorSections.state).get(stateKeyOf(ROOM, 'm.room.name', ''));
      assert.equal(onDisk?.content['name'], 'Before', 'the staged write was dropped');
      assert.equal((await t.mirror.room(ROOM))?.name, 'Before');
    });
  });

  it('forgetRoom keeps the room\'s staged writes unless told to discard them', async () => {
    await withMirror({}, async (t) => {
      await seeded(t);
      await stageRename(t, 'Kept', () => t.mirror.forgetRoom(ROOM));
      assert.equal((await t.mirror.room(ROOM))?.name, 'Kept');
      await stageRename(t, 'Dropped', () => t.mirror.forgetRoom(ROOM, { discardPending: true }));
      assert.equal((await t.mirror.room(ROOM))?.name, 'Kept');
    });
  });

  it('a room regained after another process wrote its exact record is marked lagging again when its counts change', async () => {
    await withMirror({}, async (t) => {
      const rooms = t.store.section<RoomRecord>(MirrorSections.rooms);
      for (const e of head()) await t.mirror.apply(e, { firstDelivery: true });
      await t.mirror.apply(member(BOB, 'join'), { firstDelivery: true });
      await t.mirror.settled();
      assert.equal((await rooms.get(ROOM))?.exact, false, 'counts changed here: the record on disk may lag');
      // The room moves away and back; meanwhile its other holder wrote the exact record.
      t.mirror.forgetRoom(ROOM);
      await rooms.put(ROOM, { hydrated: true, stateCount: 5, counts: { join: 2, invite: 0, leave: 0, ban: 0, knock: 0 } });
      await t.mirror.apply(member('@carol:c', 'join'), { firstDelivery: true });
      await t.mirror.settled();
      // Otherwise the disk would claim exact counts that lack Carol, and a crash now would keep them.
      assert.equal((await rooms.get(ROOM))?.exact, false);
      assert.equal((await t.mirror.room(ROOM))?.joinedCount, 3);
    });
  });

  it('with an ownership that does not hold the room, it is read from the store each time and never kept', async () => {
    const leases = new Leases();
    leases.held.add(ROOM);
    await withMirror({ ownership: leases }, async (t) => {
      await seeded(t);
      leases.held.delete(ROOM);
      t.mirror.forgetRoom(ROOM);
      assert.equal((await t.mirror.room(ROOM))?.name, 'Before');
      await renameBehindItsBack(t, 'Changed elsewhere');
      assert.equal((await t.mirror.room(ROOM))?.name, 'Changed elsewhere');
      assert.equal(t.mirror.cachedRooms, 0);
      // Held again: kept (and so stale without a forget), as in one-process mode.
      leases.held.add(ROOM);
      assert.equal((await t.mirror.room(ROOM))?.name, 'Changed elsewhere');
      await renameBehindItsBack(t, 'Later');
      assert.equal((await t.mirror.room(ROOM))?.name, 'Changed elsewhere');
      assert.equal(t.mirror.cachedRooms, 1);
    });
  });

  it('reading a room it does not hold writes nothing, not even recounted counts', async () => {
    const leases = new Leases();
    leases.held.add(ROOM);
    await withMirror({ ownership: leases }, async (t) => {
      const rooms = t.store.section<RoomRecord>(MirrorSections.rooms);
      for (const e of head()) await t.mirror.apply(e, { firstDelivery: true });
      await t.mirror.apply(member(BOB, 'join'), { firstDelivery: true });
      await t.mirror.settled();
      leases.held.delete(ROOM);
      t.mirror.forgetRoom(ROOM);
      assert.equal((await rooms.get(ROOM))?.exact, false);
      // Its holder's counts may be ahead of the disk: an exact record from here could be wrong and would stop its marker.
      assert.equal((await t.mirror.room(ROOM))?.joinedCount, 2, 'counted from the disk for this read');
      await t.mirror.settled();
      assert.equal((await rooms.get(ROOM))?.exact, false, 'the record is left for its holder');
      leases.held.add(ROOM);
      await t.mirror.room(ROOM);
      await t.mirror.settled();
      assert.equal((await rooms.get(ROOM))?.exact, undefined, 'held: counted and written exact, as before');
    });
  });

  it('a resync of a room another process holds writes nothing: the fetched state answers here, the holder\'s copy stays', async () => {
    const CAROL = '@carol:a';
    const fetched = [...head(), member(CAROL, 'join')];
    const leases = new Leases();
    leases.held.add(ROOM);
    await withMirror({ ownership: leases, fetchState: async () => fetched }, async (t) => {
      await seeded(t);
      leases.held.delete(ROOM);
      t.mirror.forgetRoom(ROOM);
      // The holder renamed the room after the homeserver's answer below was made.
      await renameBehindItsBack(t, 'Renamed by the holder');
      await t.mirror.resync(ROOM);
      await t.mirror.settled();
      const state = t.store.section<RoomEvent>(MirrorSections.state);
      assert.equal((await state.get(stateKeyOf(ROOM, 'm.room.name', '')))?.content['name'], 'Renamed by the holder', 'the holder\'s copy is not overwritten');
      assert.equal(await state.get(stateKeyOf(ROOM, 'm.room.member', CAROL)), undefined, 'nothing of the fetch is written');
      const here = await t.mirror.room(ROOM);
      assert.equal(here?.name, 'Before', 'this process answers from what it fetched');
      assert.equal(here?.hydrated, true);
      assert.equal(await here?.membership(CAROL), 'join');
      assert.deepEqual((await collect(here!.members('join'))).map((m) => m.userId).sort(), [ALICE, CAROL].sort());
      assert.equal(t.mirror.cachedRooms, 0);
      // Gained: the store is this process's now, and what it fetched is let go.
      leases.held.add(ROOM);
      t.mirror.forgetRoom(ROOM);
      assert.equal((await t.mirror.room(ROOM))?.name, 'Renamed by the holder');
      assert.equal(await (await t.mirror.room(ROOM))?.membership(CAROL), undefined);
    });
  });

  it('a room gained right after a resync elsewhere answers from that fetch until its own events fill the store', async () => {
    const CAROL = '@carol:a';
    const leases = new Leases();
    await withMirror({ ownership: leases, fetchState: async () => [...head(), member(CAROL, 'join')] }, async (t) => {
      await t.mirror.resync(ROOM);
      // Its first events arrive here now: the lease is taken, the store holds nothing of the room yet.
      leases.held.add(ROOM);
      t.mirror.forgetRoom(ROOM);
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.hydrated, true);
      assert.equal(await room?.membership(CAROL), 'join');
      assert.equal(t.mirror.cachedRooms, 0, 'not kept: the room\'s events fill the store');
    });
  });

  it('a fetch that ends after the room\'s lease moved away writes nothing', async () => {
    const leases = new Leases();
    leases.held.add(ROOM);
    let answer: (events: RoomEvent[]) => void = () => undefined;
    let asked: () => void = () => undefined;
    const fetching = new Promise<void>((resolve) => { asked = resolve; });
    const fetchState = () => new Promise<RoomEvent[]>((resolve) => { answer = resolve; asked(); });
    await withMirror({ ownership: leases, fetchState }, async (t) => {
      await seeded(t);
      const resync = t.mirror.resync(ROOM);
      await fetching;
      leases.held.delete(ROOM);
      t.mirror.forgetRoom(ROOM);
      answer([...head().slice(0, 3), ev(ROOM, 'm.room.name', ALICE, { name: 'Fetched' }, '')]);
      await resync;
      await t.mirror.settled();
      const state = t.store.section<RoomEvent>(MirrorSections.state);
      assert.equal((await state.get(stateKeyOf(ROOM, 'm.room.name', '')))?.content['name'], 'Before');
      assert.equal((await t.mirror.room(ROOM))?.name, 'Fetched');
    });
  });

  it('writes discarded while their batch is in flight are not given back when it fails', async () => {
    const dir = await tempDir();
    const store = await Store.open(dir.path);
    try {
      const staged = new WriteBehind(store);
      const section = store.section<string>('test.fenced');
      staged.put(section, 'mine', 'written before the fence');
      staged.put(section, 'other', 'another room');
      // Fenced out while the batch is on its way; the database then refuses it.
      failNextBatch(store, new Error('lease lost'), () => {
        assert.equal(staged.discard((op) => op.key === 'mine'), 0, 'nothing staged: both ops are in flight');
      });
      await assert.rejects(store.flush(), /lease lost/);
      await staged.settle();
      assert.equal(await section.get('mine'), undefined, 'the discarded op was not retried');
      assert.equal(await section.get('other'), 'another room', 'the op not discarded was');
      await staged.close();
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
