import assert from 'node:assert/strict';
import { parseTransaction } from '../../src/events/parse.js';
import type { RoomEvent } from '../../src/events/types.js';
import { synapseBody } from '../helpers/fixtures.js';
import { ev, tempMirror } from './helpers.js';

/** Events of captured Synapse 1.94 transactions, validated as the inbox would. */
function captured(file: string): RoomEvent[] {
  return parseTransaction(synapseBody(file)).events;
}

const ROOM = '!sukHyzFKzjbXHnQQhA:localhost';
const ADMIN = '@admin:localhost';

/** The room as it stood before the captures (from the invite's invite_room_state). */
function seed(): RoomEvent[] {
  return [
    ev(ROOM, 'm.room.create', ADMIN, { creator: ADMIN, room_version: '10' }, ''),
    ev(ROOM, 'm.room.member', ADMIN, { membership: 'join', displayname: 'admin' }, ADMIN),
    ev(ROOM, 'm.room.power_levels', ADMIN, { users: { [ADMIN]: 100 } }, ''),
    ev(ROOM, 'm.room.join_rules', ADMIN, { join_rule: 'invite' }, ''),
    ev(ROOM, 'm.room.name', ADMIN, { name: 'Bridge test room' }, ''),
  ];
}

describe('mirror: real Synapse 1.94 captures', () => {
  it('applies invite, join, displayname change, topic, kick and leave', async () => {
    const t = await tempMirror();
    try {
      for (const event of seed()) await t.mirror.apply(event);
      const files = [
        'txn-01-invite-virtual-user.json', 'txn-02-virtual-user-join-masquerade.json', 'txn-03-message-echo-of-virtual-user.json',
        'txn-16-invite-with-invite_room_state.json', 'txn-28-state-topic.json', 'txn-31-displayname-change-member-event.json',
      ];
      for (const file of files) for (const event of captured(file)) await t.mirror.apply(event);

      let room = await t.mirror.room(ROOM);
      assert.ok(room);
      assert.equal(room.version, '10');
      assert.deepEqual(room.creators, [ADMIN]);
      assert.equal(room.topic, 'a topic');
      assert.equal(room.name, 'Bridge test room');
      const alice = await room.member('@test_alice:localhost');
      assert.equal(alice?.membership, 'join');
      assert.equal(alice?.displayname, 'Alice (bridged)');
      assert.equal((await room.member('@test_zed:localhost'))?.membership, 'invite');
      assert.deepEqual(room.memberCounts, { join: 2, invite: 1, leave: 0, ban: 0, knock: 0 });
      // Legacy top-level fields are kept as delivered, except the delivery-relative age.
      const stored = await room.stateEvent('m.room.member', '@test_alice:localhost') as unknown as Record<string, unknown>;
      assert.equal(stored['age'], undefined);
      assert.equal(stored['replaces_state'], '$KzfasmgBinbdATwmaXCaPgJCKsfnxXZFAMeJUaUnDl0');

      for (const file of ['txn-34-kick.json', 'txn-35-virtual-user-leave.json']) {
        for (const event of captured(file)) await t.mirror.apply(event);
      }
      room = await t.mirror.room(ROOM);
      assert.ok(room);
      assert.equal((await room.membership('@test_zed:localhost')), 'leave');
      assert.equal((await room.member('@test_zed:localhost'))?.event.content['reason'], 'cleanup');
      assert.equal((await room.membership('@test_alice:localhost')), 'leave');
      assert.deepEqual(room.memberCounts, { join: 1, invite: 0, leave: 2, ban: 0, knock: 0 });
      const joined = [];
      for await (const m of room.members('join')) joined.push(m.userId);
      assert.deepEqual(joined, [ADMIN]);
      assert.equal(room.powerLevel(ADMIN), 100);
      // She has left: the auth rules would take a kick, Synapse's /kick refuses it.
      assert.equal((await room.authRules.canKick(ADMIN, '@test_alice:localhost')).allowed, true);
      assert.match(String(await room.canKick(ADMIN, '@test_alice:localhost').then((v) => !v.allowed && v.reason)), /cannot be kicked: they have left/);
    } finally {
      await t.cleanup();
    }
  });

  it('applies the canonical alias of another room (unknown to the mirror, no fetchState)', async () => {
    const t = await tempMirror();
    try {
      for (const event of captured('txn-38-canonical-alias-state.json')) await t.mirror.apply(event);
      const room = await t.mirror.room('!qOQneaxDoIGbnuhEVU:localhost');
      assert.ok(room);
      assert.equal(room.hydrated, false);
      assert.equal(room.canonicalAlias, '#test_room:localhost');
      const verdict = await room.canSendMessage(ADMIN, 'm.room.message');
      assert.equal(verdict.allowed, false, 'no create event: the mirror cannot judge');
    } finally {
      await t.cleanup();
    }
  });

  it('a redaction (v10, redacts at top level and in content) of a message leaves state alone', async () => {
    const t = await tempMirror();
    try {
      for (const event of seed()) await t.mirror.apply(event);
      for (const event of captured('txn-27-redaction.json')) await t.mirror.apply(event);
      const room = await t.mirror.room(ROOM);
      assert.equal(room?.name, 'Bridge test room');
    } finally {
      await t.cleanup();
    }
  });
});
