import assert from 'node:assert/strict';
import echo from '../../bridges/echo/index.js';
import { MANAGEMENT_MARKER, RoomAdminRefused, type BotCommand } from '../../src/bot/index.js';
import type { JsonObject } from '../../src/events/types.js';
import type { BridgePlugin } from '../../src/plugin/contract.js';
import { waitUntil, type TestUser } from '../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from './harness.js';

const GHOST = '@_echo_helper:localhost';

/** Echo, with commands that answer and then fail their first attempt, as a crash after sending would. */
function flakyEcho(attempts: Map<string, number[]>): BridgePlugin<unknown> {
  const record = (name: string, attempt: number) => attempts.set(name, [...(attempts.get(name) ?? []), attempt]);
  const original = (echo.commands ?? []).find((c) => c.name === 'echo');
  if (!original) throw new Error('echo has no echo command');
  const flaky: BotCommand = {
    ...original,
    async run(invocation) {
      record('echo', invocation.scope.attempt);
      await original.run(invocation);
      if (invocation.scope.attempt === 1) throw new Error('simulated crash after answering');
    },
  };
  const twice: BotCommand = {
    name: 'twice',
    summary: 'answers twice',
    async run(invocation) {
      record('twice', invocation.scope.attempt);
      await invocation.reply('first');
      await invocation.reply('second');
      if (invocation.scope.attempt === 1) throw new Error('simulated crash after answering');
    },
  };
  return { ...echo, commands: [...(echo.commands ?? []).filter((c) => c.name !== 'echo'), flaky, twice] };
}

describe('bridge bot (end to end through the test homeserver)', function () {
  this.timeout(30_000);
  const attempts = new Map<string, number[]>();
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    h = await BotHarness.start(flakyEcho(attempts));
    alice = await h.user('alice');
    bob = await h.user('bob');
  });
  after(async () => h.stop());

  describe('retried handlers', () => {
    it('answers once when the handler fails after answering and is retried', async () => {
      const roomId = await h.roomWithBot(alice);
      const command = await h.send(alice, roomId, '!echo only once');
      await waitUntil(() => attempts.get('echo')?.includes(2), 5_000, 'the retry');
      await h.settle();
      const replies = h.replies(roomId, command);
      assert.equal(replies.length, 1);
      assert.equal(bodyOf(replies[0]!), 'only once');
    });

    it('gives each answer of one command its own key, so a retry repeats none of them', async () => {
      const roomId = await h.roomWithBot(alice);
      const command = await h.send(alice, roomId, '!twice');
      await waitUntil(() => attempts.get('twice')?.includes(2), 5_000, 'the retry');
      await h.settle();
      assert.deepEqual(h.replies(roomId, command).map(bodyOf), ['first', 'second']);
      assert.equal(await h.deadLetters(), 0);
    });
  });

  describe('membership', () => {
    it('forgets the room cleanly when kicked, and joins again when invited again', async () => {
      const roomId = await h.roomWithBot(alice);
      await alice.client.kick(roomId, BOT, 'go away');
      await h.waitForMembership(roomId, BOT, 'leave');
      await waitUntil(async () => (await h.bridge.mirror.room(roomId)) === undefined, 5_000, 'the mirror to forget the room');
      await h.settle();
      assert.equal(await h.deadLetters(), 0);

      await alice.client.invite(roomId, BOT);
      await h.waitForMembership(roomId, BOT, 'join');
      assert.match(bodyOf(await h.ask(alice, roomId, '!ping')), /^pong/);
    });

    it('takes no commands from the bridge\'s own users', async () => {
      const roomId = await h.roomWithBot(alice);
      const ghost = h.bridge.puppets.get(GHOST);
      await ghost.ensureRegistered();
      await alice.client.invite(roomId, GHOST);
      await ghost.ensureJoined(roomId);
      const fromGhost = await ghost.sendText(roomId, '!ping');
      await h.ask(alice, roomId, '!ping');
      await h.settle();
      assert.equal(h.replies(roomId, fromGhost).length, 0);
    });
  });

  describe('management rooms', () => {
    it('creates one direct room per user, where commands need no prefix', async () => {
      const roomId = await h.bridge.bot.managementRoom(alice.userId);
      assert.equal(await h.bridge.bot.managementRoom(alice.userId), roomId, 'the same room the second time');
      const invite = h.hs.stateEvent(roomId, 'm.room.member', alice.userId);
      assert.equal(invite?.content['membership'], 'invite');
      assert.equal(invite?.content['is_direct'], true);
      await alice.client.join(roomId);
      assert.match(bodyOf(await h.ask(alice, roomId, 'ping')), /^pong/);
      assert.match(bodyOf(await h.ask(alice, roomId, '!ping')), /^pong/);
      assert.equal(bodyOf(await h.ask(alice, roomId, 'hello there')), 'Unknown command "hello". Send !help for the list of commands.');
      assert.match(bodyOf(await h.ask(alice, roomId, 'help')), /management room, the "!" can be left out/);
    });

    it('makes them on demand once at a time, and a new one after the user left', async () => {
      const [first, second] = await Promise.all([h.bridge.bot.managementRoom(bob.userId), h.bridge.bot.managementRoom(bob.userId)]);
      assert.equal(first, second);
      await bob.client.join(first);
      await h.waitForMembership(first, bob.userId, 'join');
      await bob.client.leave(first);
      await h.waitForMembership(first, BOT, 'leave');
      await h.settle();
      const next = await h.bridge.bot.managementRoom(bob.userId);
      assert.notEqual(next, first);
    });

    it('takes a direct room a user invites the bot to as their management room', async () => {
      const carol = await h.user('carol');
      const roomId = await carol.client.createRoom({ is_direct: true, preset: 'trusted_private_chat', invite: [BOT] });
      await h.waitForMembership(roomId, BOT, 'join');
      await h.settle();
      assert.match(bodyOf(await h.ask(carol, roomId, 'whoami')), /your power level here is 100\.$/);
      assert.equal(await h.bridge.bot.managementRoom(carol.userId), roomId);
    });

    it('finds a room it created but did not remember (a crash in between) by its marker, instead of making another', async () => {
      const dave = await h.user('dave');
      // What managementRoom does, cut short before it stores the room: only the homeserver knows it.
      const orphan = await h.bridge.puppets.bot.createRoom({
        preset: 'trusted_private_chat', isDirect: true, invite: [dave.userId],
        initialState: [{ type: MANAGEMENT_MARKER, content: { user: dave.userId } }],
      });
      assert.equal(h.hs.stateEvent(orphan, MANAGEMENT_MARKER, '')?.content['user'], dave.userId);
      await waitUntil(async () => (await h.bridge.mirror.room(orphan))?.hydrated, 5_000, 'the echo of the creation');
      await h.settle();
      assert.equal(await h.bridge.bot.managementRoom(dave.userId), orphan);
      // A marker from anyone but the bot means nothing.
      const erin = await h.user('erin');
      const fake = await erin.client.createRoom({ invite: [BOT] });
      await h.waitForMembership(fake, BOT, 'join');
      await erin.client.setState(fake, MANAGEMENT_MARKER, '', { user: erin.userId });
      await h.settle();
      assert.notEqual(await h.bridge.bot.managementRoom(erin.userId), fake);
    });

    it('refuses a management room for the bridge\'s own users', async () => {
      await assert.rejects(h.bridge.bot.managementRoom(GHOST), /one of the bridge's own users/);
    });
  });

  describe('makeRoomAdmin API', () => {
    it('acts as a joined ghost when the ghost, not the bot, has the power', async () => {
      const ghost = h.bridge.puppets.get(GHOST);
      await ghost.ensureRegistered();
      const roomId = await alice.client.createRoom({ power_level_content_override: { users: { [alice.userId]: 100, [GHOST]: 100 } } });
      await alice.client.invite(roomId, GHOST);
      await ghost.ensureJoined(roomId);
      await alice.client.invite(roomId, BOT);
      await h.waitForMembership(roomId, BOT, 'join');
      await h.settle();
      const result = await h.bridge.bot.makeRoomAdmin(roomId, bob.userId, 100);
      assert.deepEqual(result, { granted: true, grantor: GHOST, changed: true });
      const levels = h.hs.stateEvent(roomId, 'm.room.power_levels');
      assert.equal(levels?.sender, GHOST);
      assert.equal((levels?.content['users'] as JsonObject)[bob.userId], 100);
      assert.deepEqual(await h.bridge.bot.makeRoomAdmin(roomId, bob.userId, 100), { granted: true, changed: false });
    });

    it('throws a refusal carrying the mirror\'s reasons when nobody the bridge controls may', async () => {
      const roomId = await h.roomWithBot(alice, { room_version: '10' });
      await assert.rejects(h.bridge.bot.makeRoomAdmin(roomId, bob.userId, 100), (err: unknown) => {
        assert.ok(err instanceof RoomAdminRefused);
        assert.equal(err.level, 100);
        assert.equal(err.result.refusals[0]?.user, BOT);
        assert.deepEqual(err.result.holders, [{ user: alice.userId, level: 100 }]);
        assert.match(err.message, /@echobot:localhost has 0.*Ask @alice:localhost \(100\) instead/);
        return true;
      });
    });
  });
});

describe('bridge bot: words it does not know, in a shared room', function () {
  this.timeout(30_000);
  const seen: string[] = [];
  let h: BotHarness;
  let alice: TestUser;

  before(async () => {
    // A plugin that wants `!hello` as an ordinary message, and declares one command of its own.
    const listener: BridgePlugin<unknown> = {
      name: 'listener',
      capabilities: { messages: true },
      commands: [{ name: 'status', summary: 'says ok', run: (invocation) => invocation.reply('ok') }],
      async start() {},
      async onMessage(message) { seen.push(message.body); },
    };
    h = await BotHarness.start(listener);
    alice = await h.user('alice');
  });
  after(async () => h.stop());

  it('go to the plugin as messages, unanswered; the bot\'s and the plugin\'s commands are still the bot\'s', async () => {
    const roomId = await h.roomWithBot(alice);
    const hello = await h.send(alice, roomId, '!hello world');
    assert.equal(bodyOf(await h.ask(alice, roomId, '!status')), 'ok');
    assert.match(bodyOf(await h.ask(alice, roomId, '!help')), /!status/);
    await h.settle();
    assert.deepEqual(seen, ['!hello world'], 'the plugin saw !hello, and not the commands');
    assert.deepEqual(h.replies(roomId, hello), [], 'no "Unknown command" in a shared room');
  });

  it('are answered as unknown when the message mentions the bot, and in a management room', async () => {
    const roomId = await h.roomWithBot(alice);
    const addressed = await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: '!hello', 'm.mentions': { user_ids: [BOT] } });
    assert.equal(bodyOf(await h.reply(roomId, addressed)), 'Unknown command "hello". Send !help for the list of commands.');
    const management = await h.bridge.bot.managementRoom(alice.userId);
    await alice.client.join(management);
    assert.equal(bodyOf(await h.ask(alice, management, '!hello')), 'Unknown command "hello". Send !help for the list of commands.');
  });
});
