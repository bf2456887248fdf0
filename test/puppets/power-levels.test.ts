import { strict as assert } from 'node:assert';
import { PermissionDenied } from '../../src/puppets/index.js';
import { ALICE_PUPPET, BOT, Harness, botRoom } from './harness.js';

const PL = '/state/m.room.power_levels';

describe('puppets: ensurePowerLevel', () => {
  let h: Harness;
  beforeEach(async () => { h = await Harness.start(); });
  afterEach(() => h.close());

  it('has the bot raise the puppet, once, and the raised level counts before the echo', async () => {
    const roomId = await botRoom(h, { preset: 'public_chat' });
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.ensureJoined(roomId);
    const release = h.holdEcho();
    const mark = h.mark();
    await alice.ensurePowerLevel(roomId, 50);
    const users = h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'];
    assert.deepEqual(users, { [BOT]: 100, [ALICE_PUPPET]: 50 });
    assert.equal(h.hs.stateEvent(roomId, 'm.room.power_levels')?.sender, BOT);
    // Not echoed yet: the engine already counts the new level, and nothing is sent twice.
    await alice.ensurePowerLevel(roomId, 50);
    await alice.setState(roomId, 'm.room.topic', '', { topic: 'set by a moderator' });
    release();
    await h.waitForMirror(roomId, (view) => view.powerLevel(ALICE_PUPPET) === 50);
    await alice.ensurePowerLevel(roomId, 10);
    assert.equal(h.requestsSince(mark, PL).length, 1);
  });

  it('names the required and actual levels when the bot may not grant it, before any request', async () => {
    const carol = await h.hs.registerUser('carol');
    const roomId = await carol.client.createRoom({ preset: 'public_chat', power_level_content_override: { users: { '@carol:localhost': 100, [BOT]: 50 } } });
    await h.botJoins(roomId, carol);
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.ensureJoined(roomId);
    await h.waitForMembership(roomId, ALICE_PUPPET, 'join');
    const mark = h.mark();
    await assert.rejects(alice.ensurePowerLevel(roomId, 50), (err: unknown) => {
      assert.ok(err instanceof PermissionDenied);
      assert.equal(err.userId, BOT);
      assert.equal(err.required, 100);
      assert.equal(err.actual, 50);
      assert.match(err.rule, /^v10 auth rule/);
      assert.match(err.message, /may not raise @test_alice:localhost to power level 50 .*needs power level 100; @testbot:localhost has 50.*Ask @carol:localhost \(100\) instead/);
      return true;
    });
    assert.deepEqual(h.requestsSince(mark), []);
  });

  it('refuses a level above the bot\'s own', async () => {
    const carol = await h.hs.registerUser('carol');
    const roomId = await carol.client.createRoom({
      preset: 'public_chat', power_level_content_override: { users: { '@carol:localhost': 100, [BOT]: 60 }, events: { 'm.room.power_levels': 50 } },
    });
    await h.botJoins(roomId, carol);
    const alice = h.puppets.get(ALICE_PUPPET);
    await alice.ensureJoined(roomId);
    await assert.rejects(alice.ensurePowerLevel(roomId, 70), (err: unknown) => {
      assert.ok(err instanceof PermissionDenied);
      assert.equal(err.required, 70);
      assert.equal(err.actual, 60);
      return true;
    });
    await alice.ensurePowerLevel(roomId, 60);
    assert.equal((h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] as Record<string, number>)[ALICE_PUPPET], 60);
    // Now level with the bot, she is out of its reach.
    await assert.rejects(alice.ensurePowerLevel(roomId, 61), /only users below you can be changed/);
  });
});
