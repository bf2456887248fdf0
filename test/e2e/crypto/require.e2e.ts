import assert from 'node:assert/strict';
import echo from '../../../bridges/echo/index.js';
import { E2eBridge, bodyOf, e2e, sleep, type E2eContext } from '../harness/index.js';
import { EncryptingClient } from './js-sdk-client.js';

describe('encryption: require (no plaintext passed on)', function () {
  let ctx: E2eContext;
  let bot: E2eBridge;
  let alice: EncryptingClient | undefined;

  before(async () => {
    ctx = await e2e();
    bot = await E2eBridge.start(ctx.synapse, ctx.appservice('encrypted'), echo, { config: { encryption: { enabled: true, require: true } } });
  });
  after(async () => {
    alice?.stop();
    await bot?.stop();
  });

  it('answers in an encrypted room; in a plaintext room tells the room once and passes nothing on', async () => {
    alice = await EncryptingClient.newUser(ctx.synapse, 'alice');
    const sealed = await alice.createEncryptedRoom('required, encrypted');
    await alice.inviteAndWaitForJoin(sealed, bot.botUserId);
    await alice.say(sealed, '!echo fine');
    await alice.waitForDecrypted(sealed, bot.botUserId, (b) => b === 'fine', 'the answer in the encrypted room');

    const plainUser = await ctx.synapse.createUser('carol');
    const plain = await plainUser.client.createRoom({ name: 'required, plaintext' });
    await plainUser.client.invite(plain, bot.botUserId);
    await plainUser.waitForMembership(plain, bot.botUserId, 'join');
    await plainUser.say(plain, '!echo not passed on');
    await plainUser.say(plain, '!echo nor this');
    const notice = await plainUser.waitForEvent(plain, (e) => e.sender === bot.botUserId && /only passes on encrypted messages/.test(bodyOf(e)), 'the notice');
    assert.equal(notice.content['msgtype'], 'm.notice');
    await sleep(1_500);
    const fromBot = (await plainUser.timeline(plain)).filter((e) => e.sender === bot.botUserId && e.type === 'm.room.message');
    assert.equal(fromBot.length, 1, 'one notice, no answers');
  });
});
