import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import type { JsonObject } from '../../../src/events/types.js';
import type { TestUser } from '../../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from '../../bot/harness.js';

/** The levels of a room where the bot may grant anything (v10: it needs 100 to grant 100). */
const BOT_IS_ADMIN = (creator: string): JsonObject => ({ users: { [creator]: 100, [BOT]: 100 } });

describe('echo bridge (end to end through the test homeserver)', function () {
  this.timeout(30_000);
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;

  before(async () => {
    h = await BotHarness.start(echo, { invites: { users: ['@alice:localhost', '@bob:localhost'] }, admins: ['@admin:localhost'] });
    alice = await h.user('alice');
    bob = await h.user('bob');
  });
  after(async () => h.stop());

  it('joins when an allowed user invites it', async () => {
    const roomId = await alice.client.createRoom({ name: 'echo room' });
    await alice.client.invite(roomId, BOT);
    await h.waitForMembership(roomId, BOT, 'join');
  });

  it('refuses the invite of a user not in bot.invites, saying why', async () => {
    const mallory = await h.user('mallory');
    const roomId = await mallory.client.createRoom();
    await mallory.client.invite(roomId, BOT);
    await h.waitForMembership(roomId, BOT, 'leave');
    const leave = h.hs.stateEvent(roomId, 'm.room.member', BOT);
    assert.equal(leave?.sender, BOT);
    assert.match(String(leave?.content['reason']), /@mallory:localhost is not allowed to invite/);
  });

  it('answers !echo with the text, HTML kept, as a notice replying to the command', async () => {
    const roomId = await h.roomWithBot(alice);
    const command = await h.send(alice, roomId, '!echo hello **world**', '<p>!echo hello <strong>world</strong></p>');
    const answer = await h.reply(roomId, command);
    assert.equal(answer.content['msgtype'], 'm.notice');
    assert.equal(answer.content['body'], 'hello **world**');
    assert.equal(answer.content['format'], 'org.matrix.custom.html');
    assert.equal(answer.content['formatted_body'], '<p>hello <strong>world</strong></p>');
    assert.deepEqual(answer.content['m.relates_to'], { 'm.in_reply_to': { event_id: command } });
  });

  it('answers !echo without HTML as plain text, quotes and spacing as typed', async () => {
    const roomId = await h.roomWithBot(alice);
    const answer = await h.ask(alice, roomId, '!echo "two  words" and <b>not html</b>');
    assert.equal(answer.content['body'], '"two  words" and <b>not html</b>');
    assert.equal(answer.content['formatted_body'], undefined);
  });

  it('answers !ping with the round-trip time and !whoami with the power level', async () => {
    const roomId = await h.roomWithBot(alice);
    assert.match(bodyOf(await h.ask(alice, roomId, '!ping')), /^pong \(\d+ ms/);
    assert.match(bodyOf(await h.ask(alice, roomId, '!whoami')), /your power level here is 100\.$/);
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    assert.match(bodyOf(await h.ask(bob, roomId, '!whoami')), /@bob:localhost, your power level here is 0\.$/);
  });

  it('refuses !op to a user at 0, naming both levels, and runs it for a user at 50', async () => {
    const roomId = await h.roomWithBot(alice, { power_level_content_override: BOT_IS_ADMIN(alice.userId) });
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);

    const refused = await h.ask(bob, roomId, '!op @carol:localhost 50');
    assert.equal(refused.content['msgtype'], 'm.notice');
    assert.equal(bodyOf(refused), '!op needs power level 50 in this room; you have 0.');
    const untouched = (h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] ?? {}) as JsonObject;
    assert.equal(untouched['@carol:localhost'], undefined);

    const levels = await alice.client.getState(roomId, 'm.room.power_levels');
    await alice.client.setState(roomId, 'm.room.power_levels', '', { ...levels, users: { ...(levels['users'] as JsonObject), [bob.userId]: 50 } });
    const done = await h.ask(bob, roomId, '!op @carol:localhost 50');
    assert.equal(bodyOf(done), '@carol:localhost now has power level 50.');
    const users = h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] as JsonObject;
    assert.equal(users['@carol:localhost'], 50);
    assert.equal(users[bob.userId], 50, 'the change kept the levels set before it');

    // The bot holds 100, bob 50: the bot does not lend bob more than his own.
    assert.match(bodyOf(await h.ask(bob, roomId, '!op @erin:localhost 100')), /^You cannot do that: @bob:localhost \(50\) cannot grant @erin:localhost power level 100, above their own/);
    assert.match(bodyOf(await h.ask(bob, roomId, '!op carol 50')), /^Usage: !op <user> <level>/);
  });

  it('!op refuses a moderator who would demote or change someone at or above them (carol 75, mallory 50, bot 100)', async () => {
    const mallory = await h.user('mallory');
    const carol = await h.user('carol');
    const dave = await h.user('dave');
    const roomId = await h.roomWithBot(alice, {
      power_level_content_override: { users: { [alice.userId]: 100, [BOT]: 100, [carol.userId]: 75, [mallory.userId]: 50, [dave.userId]: 50 } },
    });
    for (const user of [mallory, carol, dave]) {
      await alice.client.invite(roomId, user.userId);
      await user.client.join(roomId);
      await h.waitForMembership(roomId, user.userId, 'join');
    }
    const levels = () => h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] as JsonObject;

    const demote = bodyOf(await h.ask(mallory, roomId, `!op ${carol.userId} 0`));
    assert.match(demote, /^You cannot do that: @mallory:localhost \(50\) cannot change the level of @carol:localhost, who is at 75/);
    assert.equal(levels()[carol.userId], 75, 'carol keeps her level');
    // An equal is not below: the homeserver refuses it too.
    assert.match(bodyOf(await h.ask(mallory, roomId, `!op ${dave.userId} 0`)), /cannot change the level of @dave:localhost, who is at 50/);
    assert.equal(levels()[dave.userId], 50);

    // Below her, up to her own level, and her own level downwards: allowed.
    assert.equal(bodyOf(await h.ask(mallory, roomId, `!op ${bob.userId} 50`)), `${bob.userId} now has power level 50.`);
    assert.equal(bodyOf(await h.ask(mallory, roomId, `!op ${mallory.userId} 40`)), `${mallory.userId} now has power level 40.`);
    assert.equal(levels()[mallory.userId], 40);
  });

  it('makeRoomAdmin from any command asks the rule for the sender: a plugin cannot skip it', async () => {
    const carol = '@carol:localhost';
    const roomId = await h.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100, [BOT]: 100, [carol]: 75, [bob.userId]: 50 } } });
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    await h.waitForMembership(roomId, bob.userId, 'join');
    // The bot could demote carol; bob, for whom a command would ask, could not.
    const result = await h.bridge.bot.grantPowerLevel(roomId, carol, 0, bob.userId);
    assert.equal(result.granted, false);
    assert.match(result.granted ? '' : result.reason, /cannot change the level of @carol:localhost, who is at 75/);
    assert.equal((h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] as JsonObject)[carol], 75);
    assert.equal((await h.bridge.bot.grantPowerLevel(roomId, carol, 0)).granted, true, 'the bridge itself may');
  });

  it('!makeadmin raises a user to 100 through the bot when the bot has the power', async () => {
    const roomId = await h.roomWithBot(alice, { power_level_content_override: BOT_IS_ADMIN(alice.userId) });
    const answer = await h.ask(alice, roomId, `!makeadmin ${bob.userId}`);
    assert.equal(bodyOf(answer), `${bob.userId} now has power level 100.`);
    const levels = h.hs.stateEvent(roomId, 'm.room.power_levels');
    assert.equal((levels?.content['users'] as JsonObject)[bob.userId], 100);
    assert.equal(levels?.sender, BOT);
  });

  it('!makeadmin lets a bridge admin at 0 take over a room through the bot, and refuses a moderator', async () => {
    const admin = await h.user('admin');
    const roomId = await h.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100, [BOT]: 100, [bob.userId]: 50 } } });
    for (const user of [bob, admin]) {
      await alice.client.invite(roomId, user.userId);
      await user.client.join(roomId);
      await h.waitForMembership(roomId, user.userId, 'join');
    }
    assert.match(bodyOf(await h.ask(bob, roomId, `!makeadmin ${bob.userId}`)), /^!makeadmin needs power level 100 in this room; you have 50\.$/);
    assert.equal(bodyOf(await h.ask(admin, roomId, `!makeadmin ${admin.userId}`)), `${admin.userId} now has power level 100.`);
    assert.equal((h.hs.stateEvent(roomId, 'm.room.power_levels')?.content['users'] as JsonObject)[admin.userId], 100);
  });

  it('!makeadmin refuses, with the reasons, when no user the bridge controls has the power', async () => {
    // v10, created by alice: she is at 100, the bot at 0.
    const roomId = await h.roomWithBot(alice, { room_version: '10' });
    const before = h.hs.stateEvent(roomId, 'm.room.power_levels')?.event_id;
    const answer = bodyOf(await h.ask(alice, roomId, `!makeadmin ${bob.userId}`));
    assert.match(answer, /^I cannot do that: none of the bridge's users can raise @bob:localhost to 100/);
    assert.match(answer, /@echobot:localhost has 0/);
    assert.match(answer, /Ask @alice:localhost \(100\) instead/);
    assert.equal(h.hs.stateEvent(roomId, 'm.room.power_levels')?.event_id, before, 'nothing was sent');
  });

  it('answers an unknown command, and help lists every command with usage and level', async () => {
    const roomId = await h.roomWithBot(alice);
    // Addressed to the bot (m.mentions): in a shared room, only then is an unknown word answered.
    const addressed = await alice.client.sendEvent(roomId, 'm.room.message', { msgtype: 'm.text', body: '!frobnicate now', 'm.mentions': { user_ids: [BOT] } });
    assert.equal(bodyOf(await h.reply(roomId, addressed)), 'Unknown command "frobnicate". Send !help for the list of commands.');
    const help = await h.ask(alice, roomId, '!help');
    const text = bodyOf(help);
    for (const line of ['!help', '!echo <text>', '!ping', '!whoami', '!op <user> <level>', '!makeadmin <user>']) assert.ok(text.includes(line), `help lists ${line}`);
    assert.match(text, /!op <user> <level> — .*\(needs power level 50\)/);
    assert.match(String(help.content['formatted_body']), /<code>!makeadmin &lt;user&gt;<\/code>/);
  });

  it('leaves ordinary messages alone', async () => {
    const roomId = await h.roomWithBot(alice);
    await h.send(alice, roomId, 'just talking');
    await h.send(alice, roomId, 'echo without a prefix');
    const marker = await h.send(alice, roomId, '!ping');
    await h.reply(roomId, marker);
    assert.equal(h.hs.events(roomId).filter((e) => e.sender === BOT && e.type === 'm.room.message').length, 1);
  });
});
