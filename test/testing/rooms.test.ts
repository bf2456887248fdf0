import { strict as assert } from 'node:assert';
import { TestHomeserver, TestClientError, type TestUser } from '../../src/testing/index.js';
import { raw } from './helpers.js';

async function refusal(promise: Promise<unknown>): Promise<TestClientError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof TestClientError, `expected a refusal, got ${String(error)}`);
  return error;
}

describe('testing/TestHomeserver: rooms and auth rules', () => {
  let hs: TestHomeserver;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    hs = await TestHomeserver.start();
    alice = await hs.registerUser('alice');
    bob = await hs.registerUser('bob');
  });
  afterEach(() => hs.stop());

  it('creates a v10 room by default with creator in the create event and Synapse\'s event order', async () => {
    const roomId = await alice.client.createRoom({ name: 'Room', topic: 'About', room_alias_name: 'room', invite: [bob.userId] });
    assert.match(roomId, /^![A-Za-z]{18}:localhost$/);
    const create = hs.stateEvent(roomId, 'm.room.create');
    assert.deepEqual(create?.content, { room_version: '10', creator: alice.userId });
    const types = hs.events(roomId).map((e) => e.type);
    assert.deepEqual(types, [
      'm.room.create', 'm.room.member', 'm.room.power_levels', 'm.room.canonical_alias', 'm.room.join_rules',
      'm.room.history_visibility', 'm.room.guest_access', 'm.room.name', 'm.room.topic', 'm.room.member',
    ]);
    assert.equal(hs.resolveAlias('#room:localhost'), roomId);
    assert.deepEqual(hs.memberships(roomId), { [alice.userId]: 'join', [bob.userId]: 'invite' });
    const invite = hs.events(roomId).at(-1);
    assert.deepEqual(invite?.content, { membership: 'invite', displayname: 'bob' });
    assert.ok(Array.isArray(invite?.unsigned?.['invite_room_state']));
  });

  it('creates v11 rooms without content.creator and v12 rooms whose ID has no server part', async () => {
    const v11 = await alice.client.createRoom({ room_version: '11' });
    assert.deepEqual(hs.stateEvent(v11, 'm.room.create')?.content, { room_version: '11' });

    const v12 = await alice.client.createRoom({ room_version: '12', creation_content: { type: 'm.space' } });
    assert.match(v12, /^![A-Za-z0-9_-]{43}$/);
    const create = hs.stateEvent(v12, 'm.room.create');
    assert.equal(v12, `!${create?.event_id.slice(1)}`);
    assert.deepEqual(create?.content, { room_version: '12', type: 'm.space' });
    // v12 creators are above power levels: they are not listed in users.
    assert.deepEqual(hs.stateEvent(v12, 'm.room.power_levels')?.content['users'], {});

    const unsupported = await refusal(alice.client.createRoom({ room_version: '9' }));
    assert.equal(unsupported.errcode, 'M_UNSUPPORTED_ROOM_VERSION');
  });

  it('remembers send txnIds per user: the same txnId gives the same event_id and no second event', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await bob.client.join(roomId);
    const first = await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'once' }, 'txn-1');
    const again = await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'once' }, 'txn-1');
    assert.equal(again, first);
    const fromBob = await bob.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: 'bob' }, 'txn-1');
    assert.notEqual(fromBob, first);
    const messages = hs.events(roomId).filter((e) => e.type === 'm.room.message');
    assert.equal(messages.length, 2);
  });

  it('refuses a topic from a user at level 0 when state_default is 50', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await bob.client.join(roomId);
    const error = await refusal(bob.client.setState(roomId, 'm.room.topic', '', { topic: 'mine' }));
    assert.equal(error.status, 403);
    assert.equal(error.errcode, 'M_FORBIDDEN');
    assert.match(String((error.body as Record<string, unknown>)['error']), /m\.room\.topic.*50/);
    await alice.client.setState(roomId, 'm.room.topic', '', { topic: 'hers' });
    assert.deepEqual(await bob.client.getState(roomId, 'm.room.topic'), { topic: 'hers' });
  });

  it('refuses joins to invite-only rooms without an invite, and joins after a ban', async () => {
    const roomId = await alice.client.createRoom({ preset: 'private_chat' });
    assert.equal((await refusal(bob.client.join(roomId))).errcode, 'M_FORBIDDEN');
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    await alice.client.ban(roomId, bob.userId, 'spam');
    assert.equal(hs.memberships(roomId)[bob.userId], 'ban');
    assert.equal((await refusal(bob.client.join(roomId))).status, 403);
    await alice.client.unban(roomId, bob.userId);
    assert.equal(hs.memberships(roomId)[bob.userId], 'leave');
  });

  it('refuses a kick from someone without the kick level', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await bob.client.join(roomId);
    assert.equal((await refusal(bob.client.kick(roomId, alice.userId))).status, 403);
    await alice.client.kick(roomId, bob.userId, 'bye');
    assert.equal(hs.memberships(roomId)[bob.userId], 'leave');
  });

  it('lets a v12 creator do everything, even when power levels name nobody', async () => {
    const roomId = await alice.client.createRoom({
      room_version: '12', preset: 'public_chat',
      power_level_content_override: { state_default: 1000, ban: 1000, kick: 1000, events_default: 1000 },
    });
    await bob.client.join(roomId);
    await alice.client.setState(roomId, 'm.room.topic', '', { topic: 'creator power' });
    await alice.client.sendText(roomId, 'still allowed');
    await alice.client.setState(roomId, 'm.room.power_levels', '', { users: { [bob.userId]: 999 }, state_default: 1000 });
    await alice.client.ban(roomId, bob.userId);
    assert.equal(hs.memberships(roomId)[bob.userId], 'ban');
    // A creator cannot be banned by anyone.
    const carol = await hs.registerUser('carol');
    await carol.client.join(roomId);
    assert.equal((await refusal(carol.client.kick(roomId, alice.userId))).status, 403);
  });

  it('redacts with the redact level and applies the version\'s redaction algorithm', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat', room_version: '11' });
    await bob.client.join(roomId);
    const aliceMsg = await alice.client.sendText(roomId, 'secret');
    const bobMsg = await bob.client.sendText(roomId, 'oops');
    assert.equal((await refusal(bob.client.redact(roomId, aliceMsg))).status, 403);
    const redactionId = await bob.client.redact(roomId, bobMsg, 'typo');
    const redacted = hs.events(roomId).find((e) => e.event_id === bobMsg);
    assert.deepEqual(redacted?.content, {});
    assert.equal((redacted?.unsigned?.['redacted_because'] as { event_id: string }).event_id, redactionId);
    const redaction = hs.events(roomId).find((e) => e.event_id === redactionId);
    assert.equal(redaction?.redacts, bobMsg);
    assert.equal(redaction?.content['redacts'], bobMsg);
  });

  it('serves /state, /joined_members, /members and refuses them to non-members', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat', name: 'N' });
    await bob.client.join(roomId);
    await bob.client.setDisplayName('Bobby');
    const joined = await alice.client.request<{ joined: Record<string, { display_name?: string }> }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/joined_members`);
    assert.equal(joined.joined[bob.userId]?.display_name, 'Bobby');
    const state = await alice.client.allState(roomId);
    assert.ok(state.some((e) => e.type === 'm.room.name' && typeof e.unsigned?.['age'] === 'number'));
    const members = await alice.client.request<{ chunk: unknown[] }>('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/members`);
    assert.equal(members.chunk.length, 2);
    const carol = await hs.registerUser('carol');
    assert.equal((await refusal(carol.client.allState(roomId))).errcode, 'M_FORBIDDEN');
    // The display name change became a join → join member event with prev_content.
    const change = hs.events(roomId).filter((e) => e.type === 'm.room.member' && e.state_key === bob.userId).at(-1);
    assert.equal(change?.content['displayname'], 'Bobby');
    assert.equal((change?.unsigned?.['prev_content'] as Record<string, unknown>)['membership'], 'join');
  });

  it('resolves, creates and deletes aliases; joins by alias', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat' });
    await alice.client.createAlias('#lobby:localhost', roomId);
    const resolved = await raw(`${hs.url}/_matrix/client/v3/directory/room/${encodeURIComponent('#lobby:localhost')}`, 'GET');
    assert.deepEqual(resolved.body, { room_id: roomId, servers: ['localhost'] });
    assert.equal(await bob.client.join('#lobby:localhost'), roomId);
    assert.equal((await refusal(alice.client.createAlias('#lobby:localhost', roomId))).status, 409);
    assert.equal((await refusal(bob.client.request('DELETE', `/_matrix/client/v3/directory/room/${encodeURIComponent('#lobby:localhost')}`))).status, 403);
    await alice.client.request('DELETE', `/_matrix/client/v3/directory/room/${encodeURIComponent('#lobby:localhost')}`);
    assert.equal(hs.resolveAlias('#lobby:localhost'), undefined);
    assert.equal((await refusal(bob.client.join('#nowhere:localhost'))).errcode, 'M_NOT_FOUND');
  });

  it('keeps uploaded media in memory and serves it back', async () => {
    const mxc = await alice.client.upload('hello', 'text/plain', 'hello.txt');
    assert.match(mxc, /^mxc:\/\/localhost\/[\w-]+$/);
    const [, , server, mediaId] = mxc.split('/');
    const download = await fetch(`${hs.url}/_matrix/client/v1/media/download/${server}/${mediaId}`, { headers: { authorization: `Bearer ${alice.accessToken}` } });
    assert.equal(download.status, 200);
    // Synapse 1.94 names the charset of text it serves.
    assert.equal(download.headers.get('content-type'), 'text/plain; charset=UTF-8');
    assert.equal(await download.text(), 'hello');
  });

  it('waitForEvent resolves for existing and future events', async () => {
    const roomId = await alice.client.createRoom();
    const existing = await hs.waitForEvent(roomId, (e) => e.type === 'm.room.create');
    assert.equal(existing.type, 'm.room.create');
    const later = hs.waitForEvent(roomId, (e) => e.content['body'] === 'later', 2_000);
    setTimeout(() => void alice.client.sendText(roomId, 'later'), 50);
    assert.equal((await later).sender, alice.userId);
    await assert.rejects(hs.waitForEvent(roomId, () => false, 50), /timed out/);
  });

  describe('POST /rooms/{roomId}/upgrade (as Synapse 1.94)', () => {
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
});
