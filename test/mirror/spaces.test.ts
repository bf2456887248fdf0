import assert from 'node:assert/strict';
import { ALICE, BOB, MOD, ev, tempMirror } from './helpers.js';

const SPACE = '!space:a';
const CHILD = '!child:a';
const OTHER_SPACE = '!other:a';

function room(roomId: string, type?: string) {
  return [
    ev(roomId, 'm.room.create', ALICE, { room_version: '11', ...(type ? { type } : {}) }, ''),
    ev(roomId, 'm.room.member', ALICE, { membership: 'join' }, ALICE),
    ev(roomId, 'm.room.power_levels', ALICE, { users: { [ALICE]: 100, [MOD]: 50 } }, ''),
    ev(roomId, 'm.room.member', MOD, { membership: 'join' }, MOD),
    ev(roomId, 'm.room.member', BOB, { membership: 'join' }, BOB),
  ];
}

describe('mirror: spaces', () => {
  it('lists children with a valid via, in the spec order', async () => {
    const t = await tempMirror();
    try {
      for (const e of [...room(SPACE, 'm.space'),
        ev(SPACE, 'm.space.child', ALICE, { via: ['a'], order: 'b' }, '!x:a'),
        ev(SPACE, 'm.space.child', ALICE, { via: ['a'], order: 'a' }, '!y:a'),
        ev(SPACE, 'm.space.child', ALICE, { via: ['a'], suggested: true }, '!a:a'),
        ev(SPACE, 'm.space.child', ALICE, {}, '!removed:a'),
        ev(SPACE, 'm.space.child', ALICE, { via: 'a' }, '!invalid:a'),
      ]) await t.mirror.apply(e);
      const space = await t.mirror.room(SPACE);
      assert.equal(space?.isSpace, true);
      const children = await space!.spaceChildren();
      assert.deepEqual(children.map((c) => c.roomId), ['!y:a', '!x:a', '!a:a']);
      assert.equal(children[2]?.suggested, true);
    } finally {
      await t.cleanup();
    }
  });

  it('counts a parent link only if the space lists the child or its sender could', async () => {
    const t = await tempMirror();
    try {
      for (const e of [...room(SPACE, 'm.space'), ...room(OTHER_SPACE, 'm.space'), ...room(CHILD),
        ev(SPACE, 'm.space.child', ALICE, { via: ['a'] }, CHILD),
        ev(CHILD, 'm.space.parent', ALICE, { via: ['a'], canonical: true }, SPACE),
        // Listed nowhere, but the sender (mod, 50) may send m.space.child in the other space.
        ev(CHILD, 'm.space.parent', MOD, { via: ['a'] }, OTHER_SPACE),
        // Bob (0) claims a parent that does not list the room: ignored.
        ev(CHILD, 'm.space.parent', BOB, { via: ['a'] }, '!unlisted:a'),
        ev(CHILD, 'm.space.parent', MOD, { via: ['a'] }, '!unknown-to-mirror:a'),
      ]) await t.mirror.apply(e);
      for (const e of room('!unlisted:a', 'm.space')) await t.mirror.apply(e);
      const child = await t.mirror.room(CHILD);
      const parents = await child!.spaceParents();
      assert.deepEqual(parents.map((p) => p.roomId).sort(), [OTHER_SPACE, SPACE].sort());
      assert.equal(parents.find((p) => p.roomId === SPACE)?.canonical, true);
    } finally {
      await t.cleanup();
    }
  });
});
