import { strict as assert } from 'node:assert';
import { isOutcomeUnknown } from '../../src/homeserver/index.js';
import { PermissionDenied } from '../../src/puppets/index.js';
import { ALICE_PUPPET, BOB_PUPPET, BOT, Harness, botRoom } from './harness.js';

describe('puppets: rooms and spaces', () => {
  let h: Harness;
  afterEach(() => h.close());

  describe('creating', () => {
    beforeEach(async () => { h = await Harness.start(); });

    it('creates a portal room with every setting', async () => {
      await h.puppets.get(BOB_PUPPET).ensureRegistered();
      const roomId = await h.puppets.bot.createRoom({
        preset: 'public_chat',
        name: 'Portal',
        topic: 'bridged from elsewhere',
        avatar: { data: new TextEncoder().encode('room avatar'), contentType: 'image/png', filename: 'room.png' },
        alias: 'test_portal',
        powerLevels: { events_default: 10, users: { [BOT]: 100, [ALICE_PUPPET]: 50 } },
        invite: [BOB_PUPPET],
        initialState: [{ type: 'org.example.bridge', stateKey: 'remote', content: { network: 'example' } }],
      });
      assert.equal(h.hs.stateEvent(roomId, 'm.room.name')?.content['name'], 'Portal');
      assert.equal(h.hs.stateEvent(roomId, 'm.room.topic')?.content['topic'], 'bridged from elsewhere');
      assert.match(String(h.hs.stateEvent(roomId, 'm.room.avatar')?.content['url']), /^mxc:\/\/localhost\//);
      assert.equal(h.hs.resolveAlias('#test_portal:localhost'), roomId);
      assert.equal(h.hs.stateEvent(roomId, 'm.room.canonical_alias')?.content['alias'], '#test_portal:localhost');
      assert.equal(h.hs.stateEvent(roomId, 'm.room.join_rules')?.content['join_rule'], 'public');
      const pl = h.hs.stateEvent(roomId, 'm.room.power_levels')?.content;
      assert.equal(pl?.['events_default'], 10);
      assert.deepEqual(pl?.['users'], { [BOT]: 100, [ALICE_PUPPET]: 50 });
      assert.deepEqual(h.hs.stateEvent(roomId, 'org.example.bridge', 'remote')?.content, { network: 'example' });
      assert.equal(h.hs.memberships(roomId)[BOB_PUPPET], 'invite');
      const view = await h.waitForMembership(roomId, BOB_PUPPET, 'invite');
      assert.equal(view.name, 'Portal');
    });

    it('finds the room by its alias when createRoom\'s answer is lost', async () => {
      await h.close();
      h = await Harness.start({ proxy: true });
      h.proxy!.loseAnswers = (method, path) => method === 'POST' && path.endsWith('/createRoom');
      const mark = h.mark();
      const roomId = await h.puppets.bot.createRoom({ alias: 'test_lost', name: 'Lost' });
      assert.equal(h.proxy!.lost, 1);
      assert.equal(h.hs.resolveAlias('#test_lost:localhost'), roomId);
      assert.equal(h.requestsSince(mark, '/createRoom').length, 1, 'not repeated');
    });

    it('rethrows a lost createRoom answer without an alias, and does not repeat it', async () => {
      await h.close();
      h = await Harness.start({ proxy: true });
      h.proxy!.loseAnswers = (method, path) => method === 'POST' && path.endsWith('/createRoom');
      const mark = h.mark();
      await assert.rejects(h.puppets.bot.createRoom({ name: 'No alias' }), (err: unknown) => isOutcomeUnknown(err));
      assert.equal(h.requestsSince(mark, '/createRoom').length, 1);
    });
  });

  describe('spaces and the directory', () => {
    beforeEach(async () => { h = await Harness.start(); });

    it('creates a space and links a child both ways, with via', async () => {
      const spaceId = await h.puppets.bot.createSpace({ name: 'Network' });
      assert.equal(h.hs.stateEvent(spaceId, 'm.room.create')?.content['type'], 'm.space');
      assert.equal(h.hs.stateEvent(spaceId, 'm.room.power_levels')?.content['events_default'], 100);
      const childId = await botRoom(h, { name: 'Child' });
      await h.waitForMembership(spaceId, BOT, 'join');
      await h.puppets.bot.addToSpace(spaceId, childId, { order: 'a', suggested: true });
      assert.deepEqual(h.hs.stateEvent(spaceId, 'm.space.child', childId)?.content, { via: ['localhost'], order: 'a', suggested: true });
      assert.deepEqual(h.hs.stateEvent(childId, 'm.space.parent', spaceId)?.content, { via: ['localhost'], canonical: true });
      const space = await h.waitForMirror(spaceId, async (view) => (await view.spaceChildren()).length === 1);
      assert.equal(space.isSpace, true);
      assert.equal((await space.spaceChildren())[0]?.roomId, childId);

      await h.puppets.bot.removeFromSpace(spaceId, childId);
      assert.deepEqual(h.hs.stateEvent(spaceId, 'm.space.child', childId)?.content, {});
      assert.deepEqual(h.hs.stateEvent(childId, 'm.space.parent', spaceId)?.content, {});
    });

    it('refuses a space link the puppet may not make, before either link is sent', async () => {
      const spaceId = await botRoom(h, { preset: 'public_chat', name: 'Space-ish' });
      const childId = await botRoom(h, { preset: 'public_chat' });
      const alice = h.puppets.get(ALICE_PUPPET);
      await alice.ensureJoined(spaceId);
      await alice.ensureJoined(childId);
      const mark = h.mark();
      await assert.rejects(alice.addToSpace(spaceId, childId), (err: unknown) => err instanceof PermissionDenied && err.required === 50);
      assert.deepEqual(h.requestsSince(mark), []);
    });

    it('lists a room in the appservice\'s directory for a network, and unlists it', async () => {
      const roomId = await botRoom(h, { name: 'Listed' });
      const visibility = async () => (await h.hs.appserviceClient().request<{ visibility: string }>('GET', `/_matrix/client/v3/directory/list/room/${encodeURIComponent(roomId)}`)).visibility;
      await h.puppets.bot.setNetworkDirectoryVisibility(roomId, 'irc-libera', 'public');
      assert.ok(h.requestsSince(0).some((r) => r.path === `/_matrix/client/v3/directory/list/appservice/irc-libera/${encodeURIComponent(roomId)}` && r.status === 200));
      assert.equal(await visibility(), 'public');
      await h.puppets.bot.setNetworkDirectoryVisibility(roomId, 'irc-libera', 'private');
      assert.equal(await visibility(), 'private');
    });
  });
});
