import assert from 'node:assert/strict';
import { TestClientError, TestHomeserver, type TestUser } from '../../src/testing/index.js';

describe('test homeserver: POST /rooms/{roomId}/upgrade (as Synapse 1.94)', function () {
  this.timeout(20_000);
  let hs: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    hs = await TestHomeserver.start();
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
  });
  afterEach(async () => hs.stop());

  const upgrade = (user: TestUser, roomId: string, body: object) =>
    user.client.request<{ replacement_room: string }>('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/upgrade`, body);

  it('makes a new room with the old one as predecessor, copies its state and bans, tombstones the old one and moves its aliases', async () => {
    const carol = await hs.registerUser('carol');
    const oldRoom = await alice.client.createRoom({ name: 'Team', topic: 'work', room_alias_name: 'team', preset: 'public_chat' });
    await bob.client.join(oldRoom);
    await alice.client.ban(oldRoom, carol.userId, 'spam');
    const newRoom = await alice.client.upgradeRoom(oldRoom, '11');

    const tombstone = hs.stateEvent(oldRoom, 'm.room.tombstone')!;
    assert.deepEqual(tombstone.content, { body: 'This room has been replaced', replacement_room: newRoom });
    assert.deepEqual(hs.stateEvent(newRoom, 'm.room.create')!.content, {
      room_version: '11', predecessor: { room_id: oldRoom, event_id: tombstone.event_id },
    });
    assert.equal(hs.roomVersion(newRoom), '11');
    assert.equal(hs.stateEvent(newRoom, 'm.room.name')!.content['name'], 'Team');
    assert.equal(hs.stateEvent(newRoom, 'm.room.topic')!.content['topic'], 'work');
    assert.equal(hs.stateEvent(newRoom, 'm.room.join_rules')!.content['join_rule'], 'public');
    assert.equal(hs.memberships(newRoom)[carol.userId], 'ban');
    assert.equal(hs.memberships(newRoom)[bob.userId], undefined, 'members are not carried over: they join themselves');
    assert.equal(hs.resolveAlias('#team:localhost'), newRoom);
    assert.equal(hs.stateEvent(newRoom, 'm.room.canonical_alias')!.content['alias'], '#team:localhost');
    assert.equal(hs.stateEvent(oldRoom, 'm.room.canonical_alias')!.content['alias'], undefined);
    // Regular users can no longer speak in the old room; the new room has the old levels.
    const oldLevels = hs.stateEvent(oldRoom, 'm.room.power_levels')!.content;
    assert.equal(oldLevels['events_default'], 50);
    assert.equal(oldLevels['invite'], 50);
    await assert.rejects(bob.client.sendText(oldRoom, 'still here?'), (e: unknown) => e instanceof TestClientError && e.errcode === 'M_FORBIDDEN');
    assert.equal(hs.stateEvent(newRoom, 'm.room.power_levels')!.content['events_default'], 0);
    await bob.client.join(newRoom);
    await bob.client.sendText(newRoom, 'moved');
  });

  it('refuses a user who may not send the tombstone, an unknown version, a missing version and an unknown room, creating nothing', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await bob.client.join(roomId);
    const before = hs.rooms().length;
    const refused = async (user: TestUser, room: string, body: object, status: number, errcode: string) => {
      await assert.rejects(upgrade(user, room, body), (e: unknown) => e instanceof TestClientError && e.status === status && e.errcode === errcode);
    };
    await refused(bob, roomId, { new_version: '11' }, 403, 'M_FORBIDDEN');
    await refused(alice, roomId, { new_version: '99' }, 400, 'M_UNSUPPORTED_ROOM_VERSION');
    await refused(alice, roomId, {}, 400, 'M_MISSING_PARAM');
    await refused(alice, '!nowhere:localhost', { new_version: '11' }, 404, 'M_NOT_FOUND');
    assert.equal(hs.rooms().length, before);
    assert.equal(hs.stateEvent(roomId, 'm.room.tombstone'), undefined);
  });

  it('upgrades to v12: the predecessor names the old room, and the tombstone points at the derived room id', async () => {
    const oldRoom = await alice.client.createRoom({ name: 'Old' });
    const { replacement_room: newRoom } = await upgrade(alice, oldRoom, { new_version: '12' });
    assert.equal(hs.roomVersion(newRoom), '12');
    assert.deepEqual(hs.stateEvent(newRoom, 'm.room.create')!.content['predecessor'], { room_id: oldRoom });
    assert.equal(hs.stateEvent(oldRoom, 'm.room.tombstone')!.content['replacement_room'], newRoom);
    assert.equal(hs.stateEvent(newRoom, 'm.room.name')!.content['name'], 'Old');
  });
});
