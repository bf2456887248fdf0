import assert from 'node:assert/strict';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { TestBridge, type TestUser } from '../../../src/testing/index.js';
import { call, SECRET } from '../../provisioning/helpers.js';
import { HOOK_PATH, post } from './helpers.js';

const enc = encodeURIComponent;

describe('webhook bridge: bridge and unbridge through the provisioning API', function () {
  this.timeout(30_000);
  let t: TestBridge;
  let alice: TestUser;
  let bob: TestUser;
  const as = (user: TestUser) => ({ token: SECRET, userId: user.userId });

  before(async () => {
    t = await TestBridge.start(createWebhookPlugin(), { config: { provisioning: { enabled: true, sharedSecret: SECRET } } });
    alice = await t.user('alice');
    bob = await t.user('bob');
  });
  after(() => t.stop());

  it('bridging makes a hook whose URL posts into the room; unbridging revokes it (404)', async () => {
    const roomId = await alice.client.createRoom({ invite: [t.botUserId] });
    const bridged = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(alice), body: { channel: 'deploys' } });
    assert.equal(bridged.status, 200, JSON.stringify(bridged.body));
    assert.equal(bridged.body['channel_id'], 'deploys');
    const path = HOOK_PATH.exec(String(bridged.body['url']))?.[0];
    assert.ok(path, `a hook URL in ${JSON.stringify(bridged.body)}`);

    const posted = await post(`${t.bridge.url}${path}`, { text: 'release 1.2 is out' });
    assert.equal(posted.status, 200, JSON.stringify(posted.json));
    await t.hs.waitForEvent(roomId, (e) => e.content['body'] === 'release 1.2 is out');

    const taken = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(alice), body: { channel: 'deploys' } });
    assert.deepEqual([taken.status, taken.body['errcode']], [409, 'M_BAD_STATE']);
    const badName = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(alice), body: { channel: 'no spaces' } });
    assert.deepEqual([badName.status, badName.body['errcode']], [400, 'M_INVALID_PARAM']);

    const unbridged = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge?channel=deploys`, as(alice));
    assert.equal(unbridged.status, 200, JSON.stringify(unbridged.body));
    const dead = await post(`${t.bridge.url}${path}`, { text: 'after revoke' });
    assert.equal(dead.status, 404);
    const again = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge?channel=deploys`, as(alice));
    assert.deepEqual([again.status, again.body['errcode']], [404, 'M_NOT_FOUND']);
  });

  it('unbridging without a channel revokes every hook of the room; a member without power may do neither', async () => {
    const roomId = await alice.client.createRoom({ preset: 'public_chat', invite: [t.botUserId] });
    await bob.client.join(roomId);
    const urls: string[] = [];
    for (const channel of ['one', 'two']) {
      const answer = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(alice), body: { channel } });
      urls.push(String(answer.body['url']));
    }
    await t.settled();
    const refused = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge`, as(bob));
    assert.deepEqual([refused.status, refused.body['errcode']], [403, 'M_FORBIDDEN']);
    const refusedBridge = await call(t.bridge.url, 'POST', `/rooms/${enc(roomId)}/bridge`, { ...as(bob), body: { channel: 'three' } });
    assert.deepEqual([refusedBridge.status, refusedBridge.body['errcode']], [403, 'M_FORBIDDEN']);
    const all = await call(t.bridge.url, 'DELETE', `/rooms/${enc(roomId)}/bridge`, as(alice));
    assert.equal(all.status, 200);
    for (const url of urls) assert.equal((await post(`${t.bridge.url}${HOOK_PATH.exec(url)?.[0]}`, { text: 'x' })).status, 404);
  });
});
