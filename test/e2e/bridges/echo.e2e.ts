import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import { E2eBridge, bodyOf, e2e, type E2eContext, type E2eUser } from '../harness/index.js';

describe('echo bot on Synapse', function () {
  let ctx: E2eContext;
  let bot: E2eBridge;
  let alice: E2eUser;

  before(async () => {
    ctx = await e2e();
    bot = await E2eBridge.start(ctx.synapse, ctx.appservice('echo'), echo);
    alice = await ctx.synapse.createUser('alice');
  });
  after(async () => bot?.stop());

  it('joins when invited and answers !echo', async () => {
    const roomId = await alice.client.createRoom({ name: 'echo e2e' });
    await alice.client.invite(roomId, bot.botUserId);
    await alice.waitForMembership(roomId, bot.botUserId, 'join');
    const command = await alice.say(roomId, '!echo hi');
    const answer = await alice.waitForReply(roomId, command, bot.botUserId);
    assert.equal(bodyOf(answer), 'hi');
  });
});
