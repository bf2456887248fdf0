import { strict as assert } from 'node:assert';
import { MatrixError, RequestTimeoutError } from '../../src/homeserver/index.js';
import { PermissionDenied } from '../../src/puppets/index.js';
import { ALICE_PUPPET, BOB_PUPPET, BOT, Harness, botRoom } from './harness.js';

const JOIN = '/join/';
const INVITE = '/invite';

describe('puppets: membership', () => {
  let h: Harness;
  afterEach(() => h.close());

  describe('ensureJoined', () => {
    beforeEach(async () => { h = await Harness.start(); });

    it('joins a public room once, and not again before or after the echo', async () => {
      const { roomId, user } = await h.humanRoom('carol', { preset: 'public_chat' });
      await h.botJoins(roomId, user);
      const alice = h.puppets.get(ALICE_PUPPET);
      const release = h.holdEcho();
      const mark = h.mark();
      assert.equal(await alice.ensureJoined(roomId), roomId);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'join');
      assert.equal(await h.mirror.room(roomId).then((v) => v?.membership(ALICE_PUPPET)), undefined, 'the echo is held back');
      assert.equal(await alice.isJoined(roomId), true, 'the confirmed join counts before the echo');
      await alice.ensureJoined(roomId);
      release();
      await h.waitForMembership(roomId, ALICE_PUPPET, 'join');
      await alice.ensureJoined(roomId);
      assert.deepEqual(h.requestsSince(mark, JOIN).map((r) => r.status), [200]);
    });

    it('has the bot invite the puppet where it may not join by itself, without a refused join first', async () => {
      const roomId = await botRoom(h, { preset: 'private_chat' });
      const mark = h.mark();
      await h.puppets.get(ALICE_PUPPET).ensureJoined(roomId);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'join');
      const calls = h.requestsSince(mark).filter((r) => r.path.includes(INVITE) || r.path.includes(JOIN));
      assert.deepEqual(calls.map((r) => [r.path.includes(INVITE) ? 'invite' : 'join', r.status]), [['invite', 200], ['join', 200]]);
      const invite = h.hs.events(roomId).find((e) => e.type === 'm.room.member' && e.state_key === ALICE_PUPPET && e.content['membership'] === 'invite');
      assert.equal(invite?.sender, BOT);
    });

    it('refuses before any request when neither the puppet may join nor the bot may invite', async () => {
      const { roomId, user } = await h.humanRoom('carol', { preset: 'private_chat', power_level_content_override: { invite: 50 } });
      await h.botJoins(roomId, user);
      const mark = h.mark();
      await assert.rejects(h.puppets.get(ALICE_PUPPET).ensureJoined(roomId), (err: unknown) => {
        assert.ok(err instanceof PermissionDenied);
        assert.equal(err.required, 50);
        assert.equal(err.actual, 0);
        assert.match(err.rule, /^v10 auth rule 4\.4\.4$/);
        assert.match(err.message, /may not join .*join rule is "invite".*v10 auth rule 4\.3\.4.*the bot cannot invite it: .*needs power level 50; @testbot:localhost has 0/s);
        return true;
      });
      assert.deepEqual(h.requestsSince(mark).filter((r) => !r.path.includes('/register')), []);
    });

    it('passes on the homeserver\'s 403 when the mirror does not know the room', async () => {
      const { roomId } = await h.humanRoom('carol', { preset: 'private_chat' });
      await assert.rejects(h.puppets.get(ALICE_PUPPET).ensureJoined(roomId), (err: unknown) => err instanceof MatrixError && err.status === 403);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], undefined);
    });

    it('joins through an alias', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat', alias: 'test_lobby' });
      assert.equal(await h.puppets.get(ALICE_PUPPET).ensureJoined('#test_lobby:localhost'), roomId);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'join');
    });
  });

  describe('a join that times out', () => {
    beforeEach(async () => { h = await Harness.start({ retry: { maxAttempts: 1, timeoutMs: 300 } }); });

    it('is rethrown as outcome unknown, not read as "not joined", and checked before joining again', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat' });
      const alice = h.puppets.get(ALICE_PUPPET);
      await alice.ensureRegistered();
      h.hs.delayNext({ path: JOIN, delayMs: 600 });
      const release = h.holdEcho();
      const mark = h.mark();
      const joining = alice.ensureJoined(roomId);
      // The join takes effect on the homeserver, but its answer never reaches the bridge.
      await h.hs.appserviceClient(ALICE_PUPPET).request('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, {});
      await assert.rejects(joining, RequestTimeoutError);
      assert.deepEqual(h.requestsSince(mark, INVITE), [], 'no invite after a timeout');

      await alice.ensureJoined(roomId);
      assert.equal(h.requestsSince(mark, '/joined_rooms').length, 1, 'asked the homeserver instead of joining');
      assert.equal(await alice.isJoined(roomId), true);
      await alice.ensureJoined(roomId);
      release();
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(h.requestsSince(mark, JOIN).length, 1, 'only the join that timed out');
      assert.equal(h.requestsSince(mark, '/joined_rooms').length, 1);
    });

    it('joins again when the homeserver says the timed-out join did not happen', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat' });
      const alice = h.puppets.get(ALICE_PUPPET);
      h.hs.delayNext({ path: JOIN, delayMs: 600 });
      await assert.rejects(alice.ensureJoined(roomId), RequestTimeoutError);
      await new Promise((resolve) => setTimeout(resolve, 400));
      const mark = h.mark();
      await alice.ensureJoined(roomId);
      assert.deepEqual(h.requestsSince(mark).map((r) => r.path.split('/').slice(4, 5)[0]), ['joined_rooms', 'join']);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'join');
    });
  });

  describe('leave, invite, kick, ban, unban', () => {
    beforeEach(async () => { h = await Harness.start(); });

    it('changes memberships through the homeserver; the mirror follows the echo', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat' });
      const bot = h.puppets.bot;
      const alice = h.puppets.get(ALICE_PUPPET);
      await alice.ensureJoined(roomId);

      await bot.kick(roomId, ALICE_PUPPET, { reason: 'test' });
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'leave');
      assert.equal(await alice.isJoined(roomId), false);
      await h.waitForMembership(roomId, ALICE_PUPPET, 'leave');

      await alice.ensureJoined(roomId);
      await bot.ban(roomId, ALICE_PUPPET);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'ban');
      await bot.unban(roomId, ALICE_PUPPET);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'leave');

      await h.puppets.get(BOB_PUPPET).ensureRegistered();
      await bot.invite(roomId, BOB_PUPPET);
      assert.equal(h.hs.memberships(roomId)[BOB_PUPPET], 'invite');
      await h.waitForMembership(roomId, BOB_PUPPET, 'invite');
    });

    it('leaves once', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat' });
      const alice = h.puppets.get(ALICE_PUPPET);
      await alice.ensureJoined(roomId);
      const mark = h.mark();
      await alice.leave(roomId);
      await alice.leave(roomId);
      assert.equal(h.hs.memberships(roomId)[ALICE_PUPPET], 'leave');
      assert.equal(h.requestsSince(mark, '/leave').length, 1);
    });

    it('refuses a kick or ban without the power, before any request', async () => {
      const roomId = await botRoom(h, { preset: 'public_chat' });
      const alice = h.puppets.get(ALICE_PUPPET);
      const bob = h.puppets.get(BOB_PUPPET);
      await alice.ensureJoined(roomId);
      await bob.ensureJoined(roomId);
      const mark = h.mark();
      await assert.rejects(alice.kick(roomId, BOB_PUPPET), (err: unknown) => {
        assert.ok(err instanceof PermissionDenied);
        assert.equal(err.action, `kick ${BOB_PUPPET}`);
        assert.equal(err.required, 50);
        assert.equal(err.actual, 0);
        assert.match(err.rule, /^v10 auth rule/);
        return true;
      });
      await assert.rejects(alice.ban(roomId, BOB_PUPPET), PermissionDenied);
      await assert.rejects(alice.kick(roomId, BOT), PermissionDenied);
      assert.deepEqual(h.requestsSince(mark), []);
      assert.equal(h.hs.memberships(roomId)[BOB_PUPPET], 'join');
    });
  });
});
