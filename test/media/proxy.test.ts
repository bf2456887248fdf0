import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { HomeserverClient, MediaTooLargeError } from '../../src/homeserver/index.js';
import { MediaApi } from '../../src/homeserver/api/media.js';
import { MediaLinks } from '../../src/media/index.js';
import type { PluginContext } from '../../src/plugin/contract.js';
import { TestBridge, type TestUser } from '../../src/testing/index.js';

import { capturing, PUBLIC } from './helpers.js';

async function get(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

describe('media: signed links the bridge relays (authenticated media)', () => {
  let t: TestBridge;
  let alice: TestUser;
  let ctx: () => PluginContext;
  /** A link as the plugin makes it, pointed at the running bridge instead of its public name. */
  const local = (link: string | undefined) => link!.replace(PUBLIC, t.bridge.url);

  before(async () => {
    const c = capturing();
    ctx = c.ctx;
    // A homeserver that requires authenticated media: its own legacy links do not work.
    t = await TestBridge.start(c.plugin, { config: { bridge: { publicUrl: `${PUBLIC}/`, mediaMaxBytes: 4096 } }, homeserver: { legacyMedia: false } });
    alice = await t.user('alice');
  });
  after(async () => t.stop());

  it('makes a signed link under bridge.publicUrl, and relays the media from the authenticated endpoint', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
    const mxc = await alice.client.upload(png, 'image/png', 'cat.png');
    const link = ctx().media.url(mxc, 'cat.png');
    assert.match(String(link), /^https:\/\/bridge\.example\.org\/_bridgekit\/media\/localhost\/[A-Za-z0-9_-]+\/cat\.png\?exp=\d+&sig=[A-Za-z0-9_-]{22}$/);
    const res = await get(local(link));
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, png);
    assert.equal(res.headers.get('content-type'), 'image/png');
    assert.equal(res.headers.get('content-disposition'), "inline; filename*=UTF-8''cat.png");
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(String(res.headers.get('content-security-policy')), /sandbox/);
    assert.ok(t.hs.requests.some((r) => r.path.startsWith('/_matrix/client/v1/media/download/')), 'downloaded through the authenticated endpoint');
    assert.deepEqual((await ctx().media.download(mxc)).data, png);
    const legacy = await get(`${t.hs.url}/_matrix/media/v3/download/${mxc.slice('mxc://'.length)}`);
    assert.equal(legacy.status, 404, 'the homeserver\'s own unauthenticated link does not work here');
  });

  it('refuses a link it did not sign, says 404 for media the homeserver does not have, and serves active content as a download', async () => {
    const mxc = await alice.client.upload('<script>alert(1)</script>', 'text/html', 'x.html');
    const link = local(ctx().media.url(mxc));
    const forged = link.replace(/sig=.*/, 'sig=AAAAAAAAAAAAAAAAAAAAAA');
    const refused = await get(forged);
    assert.equal(refused.status, 403);
    assert.equal(JSON.parse(refused.body.toString()).errcode, 'M_FORBIDDEN');
    const other = local(ctx().media.url(mxc.replace(/\/[^/]+$/, '/NoSuchMedia')));
    const missing = await get(other);
    assert.equal(missing.status, 404);
    assert.equal(JSON.parse(missing.body.toString()).errcode, 'M_NOT_FOUND');
    const html = await get(link);
    assert.equal(html.status, 200);
    assert.equal(html.headers.get('content-type'), 'application/octet-stream');
    assert.match(String(html.headers.get('content-disposition')), /^attachment/);
  });

  it('relays nothing larger than bridge.mediaMaxBytes', async () => {
    const mxc = await alice.client.upload(Buffer.alloc(5000, 1), 'image/png');
    const res = await get(local(ctx().media.url(mxc)));
    assert.equal(res.status, 502);
    assert.equal(JSON.parse(res.body.toString()).errcode, 'M_TOO_LARGE');
    await assert.rejects(ctx().media.download(mxc), MediaTooLargeError);
  });

  it('makes no links, and serves no proxy, without a public URL', async () => {
    const c = capturing();
    const plain = await TestBridge.start(c.plugin);
    try {
      const mxc = await alice.client.upload('x', 'text/plain');
      assert.equal(c.ctx().media.url(mxc), undefined);
      const signed = new MediaLinks(plain.registration.as_token, plain.bridge.url).url(mxc)!;
      assert.equal((await get(signed)).status, 404);
    } finally {
      await plain.stop();
    }
  });
});

describe('media: download from a homeserver without authenticated media', () => {
  it('falls back to the legacy endpoint when the authenticated one is unrecognised', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      if (req.url?.startsWith('/_matrix/client/v1/media/')) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'Unrecognized request' }));
      } else {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-disposition': 'inline; filename="old.txt"' }).end('legacy bytes');
      }
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      const { port } = server.address() as { port: number };
      const media = new MediaApi(new HomeserverClient({ baseUrl: `http://127.0.0.1:${port}`, asToken: 'secret', botUserId: '@bot:old.example' }));
      const got = await media.download('mxc://old.example/abc123');
      assert.equal(got.data.toString(), 'legacy bytes');
      assert.equal(got.filename, 'old.txt');
      assert.deepEqual(seen.map((u) => u.split('?')[0]), ['/_matrix/client/v1/media/download/old.example/abc123', '/_matrix/media/v3/download/old.example/abc123']);
      await assert.rejects(media.download('https://not.mxc/x'), RangeError);
    } finally {
      server.close();
    }
  });
});
