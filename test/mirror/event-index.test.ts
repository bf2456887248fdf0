import assert from 'node:assert/strict';
import { eventKeyOf, MirrorSections } from '../../src/mirror/layout.js';
import { tempDir } from '../helpers/temp.js';
import { ALICE, BOB, ev, tempMirror } from './helpers.js';

/**
 * The event index holds fetched and superseded state events only (one write per new
 * state key); what it lacks is found among the current state. These are what that must
 * still get right: redeliveries and redactions.
 */
describe('mirror: the event index holds superseded events, not every applied one', () => {
  const head = (roomId: string) => [
    ev(roomId, 'm.room.create', ALICE, { room_version: '11' }, ''),
    ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
    ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100 } }, ''),
  ];
  const member = (roomId: string, userId: string, content: Record<string, unknown>) => ev(roomId, 'm.room.member', userId, content, userId);
  const redaction = (roomId: string, target: string) => ev(roomId, 'm.room.redaction', ALICE, { redacts: target });

  it('writes no index entry for a new key, and the replaced event\'s entry with its replacement', async () => {
    const t = await tempMirror();
    try {
      const roomId = '!index:a';
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      const join = member(roomId, BOB, { membership: 'join' });
      await t.mirror.apply(join, { firstDelivery: true });
      await t.mirror.settled();
      const index = t.store.section<unknown>(MirrorSections.events);
      assert.equal(await index.get(eventKeyOf(roomId, join.event_id)), undefined, 'a current event needs no entry');
      const rename = member(roomId, BOB, { membership: 'join', displayname: 'Bob' });
      await t.mirror.apply(rename, { firstDelivery: true });
      await t.mirror.settled();
      assert.deepEqual(await index.get(eventKeyOf(roomId, join.event_id)), ['m.room.member', BOB]);
      assert.equal(await index.get(eventKeyOf(roomId, rename.event_id)), undefined);
    } finally {
      await t.cleanup();
    }
  });

  it('a redelivered event is recognised whether it is current or was replaced since', async () => {
    const t = await tempMirror();
    try {
      const roomId = '!redelivered:a';
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      const join = member(roomId, BOB, { membership: 'join' });
      const leave = member(roomId, BOB, { membership: 'leave' });
      await t.mirror.apply(join, { firstDelivery: true });
      await t.mirror.apply(join); // current: recognised by the state at its key
      assert.equal((await t.mirror.room(roomId))!.joinedCount, 2);
      await t.mirror.apply(leave, { firstDelivery: true });
      await t.mirror.apply(join); // replaced: recognised through the index, not applied again
      const room = (await t.mirror.room(roomId))!;
      assert.equal(await room.membership(BOB), 'leave');
      assert.deepEqual([room.joinedCount, room.memberCounts.leave], [1, 1]);
    } finally {
      await t.cleanup();
    }
  });

  it('a redaction finds an applied member event that is current, in a room seen whole and after a restart', async () => {
    const dir = await tempDir('bridgekit-event-index-');
    try {
      const roomId = '!redact:a';
      const first = await tempMirror({}, dir.path);
      const named = member(roomId, BOB, { membership: 'join', displayname: 'Bob' });
      const carol = member(roomId, '@carol:c', { membership: 'join', displayname: 'Carol' });
      try {
        for (const e of head(roomId)) await first.mirror.apply(e, { firstDelivery: true });
        await first.mirror.apply(named, { firstDelivery: true });
        await first.mirror.apply(carol, { firstDelivery: true });
        await first.mirror.apply(ev(roomId, 'm.room.message', BOB, { msgtype: 'm.text', body: 'hi' }), { firstDelivery: true });
        await first.mirror.apply(redaction(roomId, named.event_id), { firstDelivery: true });
        const bob = await (await first.mirror.room(roomId))!.stateEvent('m.room.member', BOB);
        assert.equal(bob?.content['displayname'], undefined, 'redacted in the room met through its create event');
        assert.equal(bob?.content['membership'], 'join');
      } finally {
        await first.close();
      }
      // A new process: the room is read from disk, its keys and event IDs unknown until its state is read.
      const second = await tempMirror({}, dir.path);
      try {
        const message = ev(roomId, 'm.room.message', BOB, { msgtype: 'm.text', body: 'again' });
        await second.mirror.apply(message, { firstDelivery: true });
        await second.mirror.apply(redaction(roomId, message.event_id), { firstDelivery: true });
        await second.mirror.apply(redaction(roomId, carol.event_id), { firstDelivery: true });
        const room = (await second.mirror.room(roomId))!;
        const carolNow = await room.stateEvent('m.room.member', '@carol:c');
        assert.equal(carolNow?.content['displayname'], undefined, 'redacted after a restart');
        assert.equal(carolNow?.content['membership'], 'join');
        assert.equal(room.joinedCount, 3);
      } finally {
        await second.close();
      }
    } finally {
      await dir.cleanup();
    }
  });

  it('a redaction of a replaced member event leaves the current one alone', async () => {
    const t = await tempMirror();
    try {
      const roomId = '!replaced:a';
      for (const e of head(roomId)) await t.mirror.apply(e, { firstDelivery: true });
      const old = member(roomId, BOB, { membership: 'join', displayname: 'Old' });
      await t.mirror.apply(old, { firstDelivery: true });
      await t.mirror.apply(member(roomId, BOB, { membership: 'join', displayname: 'New' }), { firstDelivery: true });
      await t.mirror.apply(redaction(roomId, old.event_id), { firstDelivery: true });
      const bob = await (await t.mirror.room(roomId))!.stateEvent('m.room.member', BOB);
      assert.equal(bob?.content['displayname'], 'New');
    } finally {
      await t.cleanup();
    }
  });
});
