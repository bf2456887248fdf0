import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { HOOK_PATH, post } from '../../bridges/webhook/helpers.js';
import { E2eBridge, bodyOf, e2e, type E2eContext } from '../harness/index.js';

/**
 * Synapse's message rate limit, turned down for one ghost of the `ratelimited` appservice
 * (its registration says `rate_limited: true`; the admin API sets the user's limit, no
 * restart). Synapse 1.94 answers 429 with `retry_after_ms` in the body (a `Retry-After`
 * header only with the experimental msc4041): the bridge waits that long, and each
 * message arrives once, in order.
 */
describe('rate limits on Synapse', function () {
  let ctx: E2eContext;
  let hooks: E2eBridge;

  before(async () => {
    ctx = await e2e();
    hooks = await E2eBridge.start(ctx.synapse, ctx.appservice('ratelimited'), createWebhookPlugin());
  });
  after(async () => hooks?.stop());

  it('a ghost over its limit: the bridge waits as Synapse asks, every message arrives once, in order', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const roomId = await hooks.roomWithBot(alice, { name: 'rate limited' });
    const create = await alice.say(roomId, '!webhook create fast');
    const path = HOOK_PATH.exec(bodyOf(await alice.waitForReply(roomId, create, hooks.botUserId)))?.[0];
    assert.ok(path);
    const url = `${hooks.bridge.url}${path}`;

    assert.equal((await post(url, { text: 'warm up', username: 'Speedy' })).status, 200);
    const ghost = (await alice.waitForEvent(roomId, (e) => bodyOf(e) === 'warm up', 'the first ghost message')).sender;
    // One message a second, no burst beyond one (the admin API takes whole numbers only).
    await ctx.synapse.overrideRateLimit(ghost, 1, 1);
    try {
      const from = hooks.logs.length;
      const started = Date.now();
      for (const text of ['one', 'two', 'three', 'four']) {
        const answer = await post(url, { text, username: 'Speedy' });
        assert.equal(answer.status, 200, JSON.stringify(answer.json));
      }
      const took = Date.now() - started;

      const texts = (await alice.messages(roomId)).filter((e) => e.sender === ghost).map(bodyOf);
      assert.deepEqual(texts, ['warm up', 'one', 'two', 'three', 'four'], 'each once, in order');
      const limited = hooks.logs.slice(from).filter((l) => l['component'] === 'homeserver' && l['status'] === 429);
      assert.ok(limited.length >= 1, 'Synapse refused at least one send with 429');
      assert.equal(limited[0]?.['errcode'], 'M_LIMIT_EXCEEDED');
      // The wait is Synapse's retry_after_ms (it sends no Retry-After header), and the retry
      // of the same send (same path, same txnId) came no earlier.
      const wait = hooks.logs.slice(from).find((l) => l.msg === 'homeserver request failed, retrying' && l['path'] === limited[0]?.['path']);
      const delayMs = Number(wait?.['delayMs']);
      assert.ok(delayMs > 0 && delayMs <= 1_000, `waited as asked (${delayMs} ms)`);
      const retried = hooks.logs.slice(from).find((l) => l['path'] === limited[0]?.['path'] && l['status'] === 200);
      assert.ok(Number(retried?.['time']) - Number(limited[0]?.['time']) >= delayMs, 'the retry came after the wait');
      assert.ok(took >= 2_000, `the bridge waited as asked (${took} ms for four messages at one a second)`);
    } finally {
      await ctx.synapse.clearRateLimitOverride(ghost);
    }
  });
});
