import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { HOOK_PATH, post, Receiver } from '../../bridges/webhook/helpers.js';
import { E2eBridge, bodyOf, e2e, eventually, sleep, type E2eContext, type E2eUser } from '../harness/index.js';

/**
 * The webhook bridge on Synapse 1.94: a hook posts into a real room (as the bot, or as a
 * ghost Synapse registers and joins), and a room's messages go out to a loopback receiver.
 */
describe('webhook bridge on Synapse', function () {
  let ctx: E2eContext;
  let hooks: E2eBridge;

  before(async () => {
    ctx = await e2e();
    hooks = await E2eBridge.start(ctx.synapse, ctx.appservice('webhook'), createWebhookPlugin(), {
      pluginConfig: { outbound: { allowPrivateTargets: true, retryBaseMs: 100, retryMaxMs: 1_000, pollMs: 100, timeoutMs: 5_000 } },
    });
  });
  after(async () => hooks?.stop());

  async function command(user: E2eUser, roomId: string, text: string): Promise<string> {
    const id = await user.say(roomId, text);
    return bodyOf(await user.waitForReply(roomId, id, hooks.botUserId));
  }

  it('an inbound hook posts into the room, as the bot and as a named ghost, once per Idempotency-Key', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const roomId = await hooks.roomWithBot(alice, { name: 'hooks in' });
    const answer = await command(alice, roomId, '!webhook create ci');
    const path = HOOK_PATH.exec(answer)?.[0];
    assert.ok(path, `a hook URL in: ${answer}`);
    const url = `${hooks.bridge.url}${path}`;

    const plain = await post(url, { text: 'build **green**', html: 'build <b>green</b>' }, { 'idempotency-key': 'build-1' });
    assert.equal(plain.status, 200, JSON.stringify(plain.json));
    const again = await post(url, { text: 'build **green**', html: 'build <b>green</b>' }, { 'idempotency-key': 'build-1' });
    assert.equal(again.status, 200);
    const posted = await alice.waitForEvent(roomId, (e) => e.type === 'm.room.message' && bodyOf(e) === 'build **green**', 'the hook message');
    assert.equal(posted.sender, hooks.botUserId);
    assert.equal(posted.content['formatted_body'], 'build <b>green</b>');

    const asGhost = await post(url, { text: 'deployed', username: 'Deploy Bot' });
    assert.equal(asGhost.status, 200, JSON.stringify(asGhost.json));
    const fromGhost = await alice.waitForEvent(roomId, (e) => e.type === 'm.room.message' && bodyOf(e) === 'deployed', 'the ghost message');
    assert.match(fromGhost.sender, /^@e2e_webhook_/);
    assert.equal(await alice.membership(roomId, fromGhost.sender), 'join', 'Synapse has the ghost joined');
    const profile = await alice.client.request<{ displayname?: string }>('GET', `/_matrix/client/v3/profile/${encodeURIComponent(fromGhost.sender)}`);
    assert.equal(profile.displayname, 'Deploy Bot');

    await sleep(500);
    const texts = (await alice.messages(roomId)).filter((e) => e.sender !== alice.userId && e.content['msgtype'] !== 'm.notice').map(bodyOf);
    assert.deepEqual(texts, ['build **green**', 'deployed'], 'the repeated POST posted nothing');
  });

  it('an outbound hook POSTs the room\'s messages, in order, with Synapse\'s event ids', async () => {
    const alice = await ctx.synapse.createUser('alice', { displayName: 'Alice Liddell' });
    const receiver = await Receiver.start();
    try {
      const roomId = await hooks.roomWithBot(alice, { name: 'hooks out' });
      assert.match(await command(alice, roomId, `!webhook out ${receiver.url}`), /^Outbound webhook set/);
      receiver.answer(500);
      const ids = [await alice.say(roomId, 'one', '<b>one</b>'), await alice.say(roomId, 'two'), await alice.say(roomId, 'three')];
      await eventually(() => receiver.requests.filter((r) => r.status === 200).length >= 3, 'three deliveries');
      const delivered = receiver.requests.filter((r) => r.status === 200);
      assert.deepEqual(delivered.map((r) => r.body['id']), ids, 'each once, in order, after a retry of the first');
      assert.equal(receiver.requests.length, 4, 'the 500 was retried once');
      const first = delivered[0]!;
      assert.equal(first.headers['idempotency-key'], ids[0]);
      assert.equal(first.body['room_id'], roomId);
      assert.equal(first.body['sender'], alice.userId);
      assert.equal(first.body['sender_name'], 'Alice Liddell');
      assert.equal(first.body['html'], '<b>one</b>');
      assert.equal(typeof first.body['origin_server_ts'], 'number');
    } finally {
      await receiver.close();
    }
  });
});
