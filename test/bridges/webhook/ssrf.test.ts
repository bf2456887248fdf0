import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import type { RoomEvent } from '../../../src/events/types.js';
import { OutboundFetchError } from '../../../src/net/index.js';
import { BotHarness } from '../../bot/harness.js';
import { capturingBridge } from '../../media/helpers.js';
import { createHook, post } from './helpers.js';

/** A server on the bridge's own host holding something only the host should see. */
async function secretServer(body: string) {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/redirect') res.writeHead(302, { location: '/secret' }).end();
    else res.writeHead(200, { 'content-type': 'image/png' }).end(body);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

describe('webhook bridge: avatar_url cannot reach the bridge\'s own network (SSRF)', function () {
  this.timeout(30_000);
  let h: BotHarness;
  before(async () => { h = await BotHarness.start(createWebhookPlugin()); });
  after(async () => h.stop());

  it('posts the message but fetches nothing from 127.0.0.1, directly or through a redirect, and uploads nothing', async () => {
    const SECRET = `instance-credentials-${Math.random().toString(36).slice(2)}`;
    const secret = await secretServer(SECRET);
    try {
      const alice = await h.user('alice');
      const roomId = await h.roomWithBot(alice);
      const { url } = await createHook(h, alice, roomId, 'probe');
      const uploads = () => h.hs.requests.filter((r) => r.path.startsWith('/_matrix/media/v3/upload')).length;
      const before = uploads();
      for (const [text, avatar] of [['direct', `${secret.url}/secret`], ['redirected', `${secret.url}/redirect`], ['mapped', `${secret.url.replace('127.0.0.1', '[::ffff:127.0.0.1]')}/secret`]] as const) {
        assert.equal((await post(url, { text, username: `probe-${text}`, avatar_url: avatar })).status, 200, 'the message itself is fine');
        const event: RoomEvent = await h.hs.waitForEvent(roomId, (e) => e.type === 'm.room.message' && e.content['body'] === text);
        const member = h.hs.stateEvent(roomId, 'm.room.member', event.sender);
        assert.equal(member?.content['displayname'], `probe-${text}`);
        assert.equal(member?.content['avatar_url'], undefined, `${text}: no avatar from a private address`);
      }
      assert.equal(secret.hits(), 0, 'the secret server was never contacted');
      assert.equal(uploads(), before, 'nothing went into the media repository');
    } finally {
      await secret.close();
    }
  });
});

describe('plugins: ctx.media.fetchRemote is the guarded fetcher, with the operator\'s outbound config', () => {
  it('refuses a loopback URL (and a redirect to one) by default, and fetches it with outbound.allowPrivateTargets', async () => {
    const secret = await secretServer('plugin-secret');
    const guarded = await capturingBridge();
    const open = await capturingBridge({ config: { outbound: { allowPrivateTargets: true } } });
    try {
      for (const path of ['/secret', '/redirect']) {
        await assert.rejects(guarded.ctx.media.fetchRemote(`${secret.url}${path}`), (err: unknown) => err instanceof OutboundFetchError && err.reason === 'private');
      }
      assert.equal(secret.hits(), 0, 'refused before connecting');
      const fetched = await open.ctx.media.fetchRemote(`${secret.url}/redirect`);
      assert.equal(fetched.data.toString(), 'plugin-secret', 'the operator opted in');
    } finally {
      await guarded.t.stop();
      await open.t.stop();
      await secret.close();
    }
  });
});
