import assert from 'node:assert/strict';
import { whoCanGrant } from '../../src/mirror/auth/index.js';
import { MemoryRoomState } from '../../src/mirror/memory-state.js';
import { ev } from './helpers.js';

const CREATOR = '@owner:other.example';
const BOT = '@bot:bridge.example';
const PUPPET = '@irc_joe:bridge.example';
const ADMIN = '@admin:bridge.example';

function room(version: string, users: Record<string, number>, extra: Record<string, unknown> = {}) {
  const roomId = version === '12' ? '!abc' : '!r:other.example';
  return new MemoryRoomState([
    ev(roomId, 'm.room.create', CREATOR, { room_version: version, ...(Number(version) <= 10 ? { creator: CREATOR } : {}) }, ''),
    ev(roomId, 'm.room.member', CREATOR, { membership: 'join' }, CREATOR),
    ev(roomId, 'm.room.power_levels', CREATOR, { users, ...extra }, ''),
    ...[BOT, PUPPET, ADMIN].map((u) => ev(roomId, 'm.room.member', u, { membership: 'join' }, u)),
  ]);
}

describe('mirror: whoCanGrant (the take-over story)', () => {
  it('refuses clearly when every controlled user sits at 0 and the creator is at 100 on another server', () => {
    const answer = whoCanGrant(room('10', { [CREATOR]: 100 }), ADMIN, 100, [BOT, PUPPET]);
    assert.equal(answer.possible, false);
    if (answer.possible) return;
    assert.deepEqual(answer.holders, [{ user: CREATOR, level: 100 }]);
    assert.equal(answer.refusals.length, 2);
    assert.match(answer.reason, /none of the bridge's users can raise @admin:bridge.example to 100/);
    assert.match(answer.reason, /@bot:bridge.example has 0/);
    assert.match(answer.reason, /Ask @owner:other.example \(100\) instead/);
  });

  it('names the controlled users who can, bot first, with the content to send', () => {
    const answer = whoCanGrant(room('10', { [CREATOR]: 100, [BOT]: 100, [PUPPET]: 100 }), ADMIN, 100, [BOT, PUPPET]);
    assert.equal(answer.possible, true);
    if (!answer.possible) return;
    assert.deepEqual(answer.grantors, [BOT, PUPPET]);
    assert.deepEqual(answer.content?.['users'], { [CREATOR]: 100, [BOT]: 100, [PUPPET]: 100, [ADMIN]: 100 });
  });

  it('a moderator can raise to its own level, not above', () => {
    const users = { [CREATOR]: 100, [BOT]: 50 };
    const extra = { events: { 'm.room.power_levels': 50 } };
    assert.equal(whoCanGrant(room('11', users, extra), ADMIN, 50, [BOT]).possible, true);
    const above = whoCanGrant(room('11', users, extra), ADMIN, 51, [BOT]);
    assert.equal(above.possible, false);
    assert.match(!above.possible ? above.reason : '', /cannot grant @admin:bridge.example power level 51, above their own/);
  });

  it('says nothing needs doing when the target already has the level', () => {
    const answer = whoCanGrant(room('11', { [CREATOR]: 100, [ADMIN]: 100 }), ADMIN, 100, [BOT]);
    assert.deepEqual(answer, { possible: true, grantors: [], content: undefined, unchanged: true });
  });

  it('v12: a creator target needs nothing; creators cannot be listed; the creator is the only holder', () => {
    assert.equal(whoCanGrant(room('12', {}), CREATOR, 100, [BOT]).possible, true);
    const answer = whoCanGrant(room('12', { [BOT]: 50 }), ADMIN, 100, [BOT]);
    assert.equal(answer.possible, false);
    assert.match(!answer.possible ? answer.reason : '', /Ask @owner:other.example \(infinite \(room creator\)\) instead/);
  });

  it('keeps the implicit creator 100 when the room has no power levels yet', () => {
    const state = new MemoryRoomState([
      ev('!r:b', 'm.room.create', BOT, { room_version: '10', creator: BOT }, ''),
      ev('!r:b', 'm.room.member', BOT, { membership: 'join' }, BOT),
    ]);
    const answer = whoCanGrant(state, ADMIN, 100, [BOT]);
    assert.equal(answer.possible, true);
    assert.deepEqual(answer.possible && answer.content?.['users'], { [BOT]: 100, [ADMIN]: 100 });
  });

  it('answers through the Level-backed mirror too', async () => {
    const { tempMirror } = await import('./helpers.js');
    const t = await tempMirror();
    try {
      for (const e of room('10', { [CREATOR]: 100 }).all()) await t.mirror.apply(e);
      const answer = await t.mirror.whoCanGrant('!r:other.example', ADMIN, 100, [BOT, PUPPET]);
      assert.equal(answer.possible, false);
    } finally {
      await t.cleanup();
    }
  });
});
