import assert from 'node:assert/strict';
import { BorrowedRooms } from '../../src/mirror/borrowed-rooms.js';
import type { StateEvent } from '../../src/events/types.js';
import { ALICE, BOB, ev } from './helpers.js';

const state = (roomId: string): StateEvent[] => [
  ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
  ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
  ev(roomId, 'm.room.member', BOB, { membership: 'invite' }, BOB),
  ev(roomId, 'm.room.name', ALICE, { name: 'Fetched' }, ''),
  ev(roomId, 'com.example.custom', ALICE, { x: 1 }, 'k'),
] as StateEvent[];

describe('mirror: BorrowedRooms (fetched states of rooms another process holds)', () => {
  it('builds an entry like the store would: counts, summary, and a reader of the whole state', async () => {
    const borrowed = new BorrowedRooms();
    const entry = borrowed.keep('!a:x', state('!a:x'));
    assert.deepEqual(entry.record.counts, { join: 1, invite: 1, leave: 0, ban: 0, knock: 0 });
    assert.equal(entry.record.stateCount, 5);
    assert.equal(entry.record.hydrated, true);
    assert.deepEqual([...entry.summary.keys()].sort(), ['m.room.create', 'm.room.name']);
    const reader = borrowed.readerOf(entry)!;
    assert.equal((await reader.getState('!a:x', 'com.example.custom', 'k'))?.content['x'], 1);
    assert.equal(await reader.getState('!other:x', 'com.example.custom', 'k'), undefined);
    const members: string[] = [];
    for await (const event of reader.iterateState('!a:x', 'm.room.member')) members.push(event.state_key!);
    assert.deepEqual(members, [ALICE, BOB].sort());
    assert.deepEqual((await reader.getStates('!a:x', 'm.room.member', [BOB, '@nobody:x'])).map((e) => e?.content['membership']), ['invite', undefined]);
  });

  it('answers while fresh, then lets the store answer; bounded in rooms', () => {
    let now = 1_000;
    const borrowed = new BorrowedRooms({ rooms: 2, ttlMs: 500, now: () => now });
    borrowed.keep('!a:x', state('!a:x'));
    now += 499;
    assert.ok(borrowed.get('!a:x'));
    now += 1;
    assert.equal(borrowed.get('!a:x'), undefined);
    borrowed.keep('!a:x', state('!a:x'));
    borrowed.keep('!b:x', state('!b:x'));
    borrowed.keep('!c:x', state('!c:x'));
    assert.equal(borrowed.size, 2);
    assert.equal(borrowed.get('!a:x'), undefined, 'the oldest went');
    borrowed.drop('!b:x');
    assert.equal(borrowed.get('!b:x'), undefined);
    assert.ok(borrowed.get('!c:x'));
  });
});
