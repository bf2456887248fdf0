import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { ALICE, BOB, MOD, ev, tempMirror } from './helpers.js';

const ROOM = '!r:a';

function basicRoom(version = '10', roomId = ROOM): RoomEvent[] {
  return [
    ev(roomId, 'm.room.create', ALICE, { room_version: version, ...(Number(version) <= 10 ? { creator: ALICE } : {}) }, ''),
    ev(roomId, 'm.room.member', ALICE, { membership: 'join', displayname: 'Alice' }, ALICE),
    ev(roomId, 'm.room.power_levels', ALICE, { users: { ...(version === '12' ? {} : { [ALICE]: 100 }), [MOD]: 50 }, invite: 50 }, ''),
    ev(roomId, 'm.room.join_rules', ALICE, { join_rule: 'public' }, ''),
    ev(roomId, 'm.room.member', MOD, { membership: 'join' }, MOD),
    ev(roomId, 'm.room.member', BOB, { membership: 'join', displayname: 'Bob', avatar_url: 'mxc://b/1' }, BOB),
  ];
}

describe('mirror: applying events', () => {
  it('tracks the well-known state, custom state verbatim and member profiles', async () => {
    const t = await tempMirror();
    try {
      const custom = ev(ROOM, 'com.example.bridge', ALICE, { protocol: 'irc', nested: { a: [1, 2] } }, 'irc.example');
      for (const e of [...basicRoom(),
        ev(ROOM, 'm.room.name', ALICE, { name: 'Room' }, ''),
        ev(ROOM, 'm.room.topic', ALICE, { topic: 'Topic' }, ''),
        ev(ROOM, 'm.room.avatar', ALICE, { url: 'mxc://a/av' }, ''),
        ev(ROOM, 'm.room.canonical_alias', ALICE, { alias: '#r:a', alt_aliases: ['#s:a'] }, ''),
        ev(ROOM, 'm.room.history_visibility', ALICE, { history_visibility: 'shared' }, ''),
        ev(ROOM, 'm.room.encryption', ALICE, { algorithm: 'm.megolm.v1.aes-sha2' }, ''),
        ev(ROOM, 'm.room.guest_access', ALICE, { guest_access: 'forbidden' }, ''),
        ev(ROOM, 'm.room.tombstone', ALICE, { replacement_room: '!new:a', body: 'moved' }, ''),
        ev(ROOM, 'm.room.message', BOB, { body: 'hi', msgtype: 'm.text' }),
        custom,
      ]) await t.mirror.apply(e);
      const room = await t.mirror.room(ROOM);
      assert.ok(room);
      assert.equal(room.hydrated, true, 'seen from its create event');
      assert.equal(room.name, 'Room');
      assert.equal(room.topic, 'Topic');
      assert.equal(room.avatarUrl, 'mxc://a/av');
      assert.equal(room.canonicalAlias, '#r:a');
      assert.deepEqual(room.altAliases, ['#s:a']);
      assert.equal(room.historyVisibility, 'shared');
      assert.equal(room.encrypted, true);
      assert.equal(room.guestAccess, 'forbidden');
      assert.deepEqual(room.tombstone, { replacementRoom: '!new:a', body: 'moved' });
      assert.equal(room.joinRule, 'public');
      assert.deepEqual(await room.stateEvent('com.example.bridge', 'irc.example'), custom);
      const bob = await room.member(BOB);
      assert.equal(bob?.displayname, 'Bob');
      assert.equal(bob?.avatarUrl, 'mxc://b/1');
      assert.equal(room.powerLevel(MOD), 50);
      assert.equal(room.powerLevel(BOB), 0);
      assert.equal(room.joinedCount, 3);
      const verdict = await room.canInvite(BOB, '@x:x');
      assert.equal(verdict.allowed, false);
      assert.equal(!verdict.allowed && verdict.reason, 'inviting needs power level 50; @bob:b has 0');
    } finally {
      await t.cleanup();
    }
  });

  it('is idempotent: re-applying events already applied leaves the same state and counts', async () => {
    const t = await tempMirror();
    try {
      const events = basicRoom();
      const topicA = ev(ROOM, 'm.room.topic', ALICE, { topic: 'A' }, '');
      const topicB = ev(ROOM, 'm.room.topic', ALICE, { topic: 'B' }, '');
      const leave = ev(ROOM, 'm.room.member', BOB, { membership: 'leave' }, BOB);
      for (const e of [...events, topicA, topicB, leave]) await t.mirror.apply(e);
      // Redelivered after a crash: older events come again.
      for (const e of [topicA, events[5]!, leave, topicB]) await t.mirror.apply(e);
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.topic, 'B');
      assert.equal(await room?.membership(BOB), 'leave');
      assert.deepEqual(room?.memberCounts, { join: 2, invite: 0, leave: 1, ban: 0, knock: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('counts members through every transition', async () => {
    const t = await tempMirror();
    try {
      for (const e of basicRoom()) await t.mirror.apply(e);
      const steps: [string, string, string][] = [
        [ALICE, '@x:x', 'invite'], ['@x:x', '@x:x', 'join'], [MOD, '@x:x', 'ban'], [MOD, '@x:x', 'leave'], ['@x:x', '@x:x', 'join'],
      ];
      for (const [sender, target, membership] of steps) await t.mirror.apply(ev(ROOM, 'm.room.member', sender, { membership }, target));
      const room = await t.mirror.room(ROOM);
      assert.deepEqual(room?.memberCounts, { join: 4, invite: 0, leave: 0, ban: 0, knock: 0 });
    } finally {
      await t.cleanup();
    }
  });

  it('applies redactions of state events as the room version redacts them (v10 vs v11)', async () => {
    for (const version of ['10', '11']) {
      const t = await tempMirror();
      try {
        const events = basicRoom(version);
        const pl = events[2]!;
        const name = ev(ROOM, 'm.room.name', ALICE, { name: 'Secret' }, '');
        for (const e of [...events, name]) await t.mirror.apply(e);
        const redact = (target: string, sender = ALICE) => ev(ROOM, 'm.room.redaction', sender, version === '11' ? { redacts: target } : {}, undefined,
          version === '11' ? {} : { redacts: target });
        await t.mirror.apply(redact(pl.event_id));
        await t.mirror.apply(redact(name.event_id));
        await t.mirror.apply(redact(events[5]!.event_id));
        const room = await t.mirror.room(ROOM);
        assert.ok(room);
        assert.equal(room.name, undefined, 'name content is stripped');
        // v1–v10 drop "invite" from power levels on redaction; v11 keeps it.
        assert.equal(room.powerLevels.levels.invite, version === '11' ? 50 : 0);
        assert.equal(room.powerLevel(MOD), 50, 'users survive redaction');
        const bob = await room.member(BOB);
        assert.equal(bob?.membership, 'join');
        assert.equal(bob?.displayname, undefined);
        const stored = await room.stateEvent('m.room.name');
        assert.equal((stored?.unsigned?.['redacted_because'] as RoomEvent | undefined)?.sender, ALICE);
      } finally {
        await t.cleanup();
      }
    }
  });

  it('ignores a redaction from another server by a user below the redact level', async () => {
    const t = await tempMirror();
    try {
      const events = basicRoom();
      const name = ev(ROOM, 'm.room.name', ALICE, { name: 'Kept' }, '');
      for (const e of [...events, name]) await t.mirror.apply(e);
      await t.mirror.apply(ev(ROOM, 'm.room.redaction', BOB, { redacts: name.event_id }, undefined, { redacts: name.event_id }));
      assert.equal((await t.mirror.room(ROOM))?.name, 'Kept');
    } finally {
      await t.cleanup();
    }
  });

  it('persists across a restart: no refetch, same answers', async () => {
    const t = await tempMirror();
    let fetches = 0;
    const fetchState = async () => { fetches += 1; return []; };
    try {
      for (const e of basicRoom()) await t.mirror.apply(e);
      await t.mirror.apply(ev(ROOM, 'm.room.topic', ALICE, { topic: 'Persisted' }, ''));
      await t.close();
      const again = await tempMirror({ fetchState }, t.path);
      try {
        await again.mirror.apply(ev(ROOM, 'm.room.message', BOB, { body: 'after restart' }));
        const room = await again.mirror.room(ROOM);
        assert.equal(room?.topic, 'Persisted');
        assert.equal(room?.joinRule, 'public');
        assert.equal(await room?.membership(BOB), 'join');
        assert.equal(room?.joinedCount, 3);
        assert.equal(fetches, 0);
      } finally {
        await again.close();
      }
    } finally {
      await (await import('node:fs/promises')).rm(t.path, { recursive: true, force: true });
    }
  });

  it('keeps a bounded cache of rooms and reads the rest from disk', async () => {
    const t = await tempMirror({ cacheRooms: 2 });
    try {
      const rooms = ['!a:a', '!b:a', '!c:a', '!d:a', '!e:a'];
      for (const roomId of rooms) {
        for (const e of basicRoom('10', roomId)) await t.mirror.apply(e);
        await t.mirror.apply(ev(roomId, 'm.room.name', ALICE, { name: `name of ${roomId}` }, ''));
      }
      for (const roomId of rooms) {
        const room = await t.mirror.room(roomId);
        assert.equal(room?.name, `name of ${roomId}`);
        assert.equal(room?.powerLevel(ALICE), 100);
      }
    } finally {
      await t.cleanup();
    }
  });

  it('forgets a room', async () => {
    const t = await tempMirror();
    try {
      for (const e of basicRoom()) await t.mirror.apply(e);
      await t.mirror.forget(ROOM);
      assert.equal(await t.mirror.room(ROOM), undefined);
    } finally {
      await t.cleanup();
    }
  });

  it('handles v12 rooms: room IDs without a server part, creators with infinite power', async () => {
    const t = await tempMirror();
    const roomId = '!31hneApxJ_1o-63DmFrpeqnkFfWppnzWso1JvH3ogLM';
    try {
      const events = [
        ev(roomId, 'm.room.create', ALICE, { room_version: '12', additional_creators: ['@co:z'], type: 'm.space' }, ''),
        ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
        ev(roomId, 'm.room.power_levels', ALICE, { users: { [MOD]: 100 } }, ''),
        ev(roomId, 'm.room.join_rules', ALICE, { join_rule: 'public' }, ''),
        ev(roomId, 'm.room.member', MOD, { membership: 'join' }, MOD),
        ev(roomId, 'm.room.member', '@co:z', { membership: 'join' }, '@co:z'),
      ];
      for (const e of events) await t.mirror.apply(e);
      const room = await t.mirror.room(roomId);
      assert.ok(room);
      assert.equal(room.version, '12');
      assert.deepEqual(room.creators, [ALICE, '@co:z']);
      assert.equal(room.isSpace, true);
      assert.equal(room.powerLevel('@co:z'), Number.POSITIVE_INFINITY);
      assert.equal((await room.canKick(MOD, '@co:z')).allowed, false, 'a creator cannot be kicked');
      assert.equal((await room.canBan('@co:z', MOD)).allowed, true);
    } finally {
      await t.cleanup();
    }
  });
});
