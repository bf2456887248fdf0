import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { HOOK_PATH, post } from '../../bridges/webhook/helpers.js';
import { call } from '../../provisioning/helpers.js';
import { E2eBridge, bodyOf, e2e, type E2eContext } from '../harness/index.js';

const enc = encodeURIComponent;

/**
 * The provisioning API on Synapse 1.94: a user's OpenID token from Synapse is checked at
 * Synapse's own federation userinfo (served on its client listener), and the webhook
 * bridge's bridge and unbridge work in a real room.
 */
describe('provisioning API on Synapse (webhook bridge)', function () {
  let ctx: E2eContext;
  let hooks: E2eBridge;

  before(async () => {
    ctx = await e2e();
    hooks = await E2eBridge.start(ctx.synapse, ctx.appservice('webhook'), createWebhookPlugin(), {
      config: { provisioning: { enabled: true } },
    });
  });
  after(async () => hooks?.stop());

  it('accepts Synapse\'s OpenID token for its user, refuses one it does not know, and bridges and unbridges a room', async () => {
    const alice = await ctx.synapse.createUser('alice');
    const issued = await alice.client.requestOpenIdToken(alice.userId);
    assert.equal(issued.matrix_server_name, ctx.synapse.serverName);
    const token = `openid:${issued.access_token}`;
    const status = await call(hooks.bridge.url, 'GET', '/status', { token, userId: alice.userId });
    assert.equal(status.status, 200, JSON.stringify(status.body));
    const unknown = await call(hooks.bridge.url, 'GET', '/status', { token: 'openid:NotATokenSynapseIssued' });
    assert.deepEqual([unknown.status, unknown.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);

    const roomId = await alice.client.createRoom({ name: 'provisioned', invite: [hooks.botUserId] });
    const bridged = await call(hooks.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { token, body: { channel: 'deploys' } });
    assert.equal(bridged.status, 200, JSON.stringify(bridged.body));
    const path = HOOK_PATH.exec(String(bridged.body['url']))?.[0];
    assert.ok(path, JSON.stringify(bridged.body));
    const posted = await post(`${hooks.bridge.url}${path}`, { text: 'provisioned hook works' });
    assert.equal(posted.status, 200, JSON.stringify(posted.json));
    await alice.waitForEvent(roomId, (e) => e.type === 'm.room.message' && bodyOf(e) === 'provisioned hook works', 'the hook message');

    const unbridged = await call(hooks.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge?channel=deploys`, { token });
    assert.equal(unbridged.status, 200, JSON.stringify(unbridged.body));
    assert.equal((await post(`${hooks.bridge.url}${path}`, { text: 'after' })).status, 404);
  });
});
