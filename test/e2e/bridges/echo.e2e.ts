import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import type { JsonObject } from '../../../src/events/types.js';
import { E2eBridge, bodyOf, e2e, type E2eContext, type E2eUser } from '../harness/index.js';

/**
 * The echo bot on Synapse 1.94, used as a person would: create a room, invite the bot,
 * type commands. Power levels are Synapse's own (its createRoom defaults, its state).
 */
describe('echo bot on Synapse', function () {
  let ctx: E2eContext;
  let bot: E2eBridge;

  before(async () => {
    ctx = await e2e();
    bot = await E2eBridge.start(ctx.synapse, ctx.appservice('echo'), echo);
  });
  after(async () => bot?.stop());

  /** Sends a command as `user` and waits for the bot's answer to it. */
  async function ask(user: E2eUser, roomId: string, command: string): Promise<string> {
    const id = await user.say(roomId, command);
    return bodyOf(await user.waitForReply(roomId, id, bot.botUserId));
  }

  it('joins when invited, without a 403 state read before the join or any warning, and answers !echo', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const roomId = await alice.client.createRoom({ name: 'echo e2e' });
    const logsBefore = bot.logs.length;
    await alice.client.invite(roomId, bot.botUserId);
    await alice.waitForMembership(roomId, bot.botUserId, 'join');

    const id = await alice.say(roomId, '!echo hi **there**', '<p>!echo hi <strong>there</strong></p>');
    const answer = await alice.waitForReply(roomId, id, bot.botUserId);
    assert.equal(answer.content['msgtype'], 'm.notice');
    assert.equal(bodyOf(answer), 'hi **there**');
    assert.equal(answer.content['formatted_body'], '<p>hi <strong>there</strong></p>');

    const lines = bot.logs.slice(logsBefore);
    const stateReads = lines.filter((l) => l['component'] === 'homeserver' && String(l['path']).endsWith('/state') && String(l['path']).includes(encodeURIComponent(roomId)));
    assert.deepEqual(stateReads.map((l) => l['status']), [200], 'one state read, after the join');
    assert.deepEqual(lines.filter((l) => l.level >= 40).map((l) => l.msg), [], 'no warning');
    const joined = lines.find((l) => l.msg === 'bot joined on invite');
    assert.equal(joined?.['roomName'], 'echo e2e', 'the room name came from the invite\'s stripped state');
  });

  it('answers !ping and !whoami with the power levels Synapse holds', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const bob = await ctx.synapse.createUser('bob');
    const roomId = await bot.roomWithBot(alice, { preset: 'private_chat' });
    assert.match(await ask(alice, roomId, '!ping'), /^pong \(\d+ ms/);

    const levels = await alice.powerLevels(roomId);
    assert.equal((levels['users'] as JsonObject)[alice.userId], 100, 'Synapse made the creator 100');
    assert.equal(await ask(alice, roomId, '!whoami'), `${alice.userId}, your power level here is 100.`);
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);
    assert.equal(await ask(bob, roomId, '!whoami'), `${bob.userId}, your power level here is ${levels['users_default'] ?? 0}.`);
  });

  it('refuses !op to a user below 50 and runs it once Synapse has them at 50', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const bob = await ctx.synapse.createUser('bob');
    const carol = await ctx.synapse.createUser('carol');
    const roomId = await bot.roomWithBot(alice, { power_level_content_override: { users: { [alice.userId]: 100, [bot.botUserId]: 100 } } });
    await alice.client.invite(roomId, bob.userId);
    await bob.client.join(roomId);

    assert.equal(await ask(bob, roomId, `!op ${carol.userId} 50`), '!op needs power level 50 in this room; you have 0.');
    assert.equal(((await alice.powerLevels(roomId))['users'] as JsonObject)[carol.userId], undefined, 'nothing changed on Synapse');

    const levels = await alice.powerLevels(roomId);
    await alice.client.setState(roomId, 'm.room.power_levels', '', { ...levels, users: { ...(levels['users'] as JsonObject), [bob.userId]: 50 } });
    assert.equal(await ask(bob, roomId, `!op ${carol.userId} 50`), `${carol.userId} now has power level 50.`);
    const after = await alice.powerLevels(roomId);
    assert.equal((after['users'] as JsonObject)[carol.userId], 50, 'Synapse holds the new level');
    assert.equal((after['users'] as JsonObject)[bob.userId], 50, 'the levels set before were kept');
    // Synapse's rule for a power-levels change: the sender must outrank the target's old level too.
    assert.match(await ask(bob, roomId, `!op ${carol.userId} 100`), /cannot change the level of .*, who is at 50: only users below you can be changed/);
    assert.match(await ask(bob, roomId, `!op ${carol.userId} 0`), /cannot change the level of .*, who is at 50/);
    assert.equal(((await alice.powerLevels(roomId))['users'] as JsonObject)[carol.userId], 50, 'carol kept her level on Synapse');
  });

  it('says why when the bot itself lacks the power Synapse would require', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const bob = await ctx.synapse.createUser('bob');
    // Synapse's defaults: the creator at 100, the bot at 0.
    const roomId = await bot.roomWithBot(alice);
    const before = await alice.powerLevels(roomId);
    const answer = await ask(alice, roomId, `!makeadmin ${bob.userId}`);
    assert.match(answer, /^I cannot do that: none of the bridge's users can raise/);
    assert.match(answer, new RegExp(`${bot.botUserId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} has 0`));
    assert.deepEqual(await alice.powerLevels(roomId), before, 'nothing was sent');
  });
});
