import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { TestBridge, TestUser } from '../../src/testing/index.js';
import { capturingBridge, PUBLIC, type CapturingBridge } from './helpers.js';

const MiB = 1024 * 1024;

/** Reads a response to its end, keeping only the count (as a browser saving to disk would). */
async function drain(res: Response): Promise<number> {
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
  return bytes;
}

const relayFolders = async () => (await readdir(tmpdir())).filter((name) => name.startsWith('bridgekit-media-')).length;

describe('media links: one homeserver download per media, streamed, with a cap on requests', function () {
  this.timeout(60_000);
  let b: CapturingBridge;
  let t: TestBridge;
  let alice: TestUser;
  const local = (link: string | undefined) => b.local(link);
  const ctx = () => b.ctx;
  const downloadsOf = (mxc: string) => t.hs.requests.filter((r) => r.method === 'GET' && r.path.includes(`/media/download/${mxc.slice('mxc://'.length)}`)).length;

  before(async () => {
    b = await capturingBridge({ config: { bridge: { publicUrl: PUBLIC, mediaMaxBytes: 40 * MiB, mediaMaxConcurrent: 12 } } });
    t = b.t;
    alice = await t.user('alice');
  });
  after(async () => t.stop());

  it('serves 12 concurrent requests for one 25 MiB media with 1 homeserver download and bounded memory', async () => {
    const size = 25 * MiB;
    const mxc = await alice.client.upload(Buffer.alloc(size, 0x5a), 'video/mp4', 'big.mp4');
    const link = local(ctx().media.url(mxc, 'big.mp4'));
    const base = process.memoryUsage().rss;
    let peak = base;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 10);
    try {
      const answers = await Promise.all(Array.from({ length: 12 }, async () => {
        const res = await fetch(link);
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('content-length'), String(size));
        return drain(res);
      }));
      assert.deepEqual(answers, Array(12).fill(size), 'every reader got all of it');
    } finally {
      clearInterval(sampler);
    }
    assert.equal(downloadsOf(mxc), 1, 'one download from the homeserver for all twelve');
    const grown = peak - base;
    // Buffering it per request took ~470 MB here; streamed from one file it stays well below that.
    assert.ok(grown < 160 * MiB, `memory grew by ${Math.round(grown / MiB)} MiB`);
    // Soon after, it is still kept: no new download.
    assert.equal(await drain(await fetch(link)), size);
    assert.equal(downloadsOf(mxc), 1, 'kept for the next reader');
  });

  it('answers 429 M_LIMIT_EXCEEDED past bridge.mediaMaxConcurrent, and serves again once requests finish', async () => {
    const mxcs = await Promise.all(Array.from({ length: 13 }, (_, i) => alice.client.upload(`file ${i}`, 'text/plain')));
    // The homeserver is slow: every request holds its slot for a while.
    t.hs.delayNext({ path: '/_matrix/client/v1/media/download/', delayMs: 600, count: 12 });
    const answers = await Promise.all(mxcs.map(async (mxc, i) => {
      await new Promise((ok) => setTimeout(ok, i === 12 ? 200 : 0));
      const res = await fetch(local(ctx().media.url(mxc)));
      return { status: res.status, body: await res.text(), retryAfter: res.headers.get('retry-after') };
    }));
    assert.deepEqual(answers.slice(0, 12).map((a) => a.status), Array(12).fill(200));
    const last = answers[12]!;
    assert.equal(last.status, 429);
    assert.equal(JSON.parse(last.body).errcode, 'M_LIMIT_EXCEEDED');
    assert.equal(typeof JSON.parse(last.body).retry_after_ms, 'number');
    assert.equal(last.retryAfter, '1');
    const again = await fetch(local(ctx().media.url(mxcs[12]!)));
    assert.equal(again.status, 200, 'slots are given back');
    assert.equal(await again.text(), 'file 12');
  });

  it('cuts off a reader that stops reading when the bridge stops, and removes its files', async () => {
    const before = await relayFolders();
    const started = await capturingBridge({ config: { bridge: { publicUrl: PUBLIC, mediaMaxBytes: 40 * MiB } } });
    const other = started.t;
    const bob = await other.user('bob');
    const mxc = await bob.client.upload(Buffer.alloc(8 * MiB, 1), 'application/octet-stream');
    const res = await fetch(started.local(started.ctx.media.url(mxc)));
    assert.equal(res.status, 200);
    assert.equal(await relayFolders(), before + 1, 'the download went to a temporary folder');
    // The body is never read: stop must not wait for it.
    const stopping = Date.now();
    await other.stop();
    assert.ok(Date.now() - stopping < 5_000, 'stopped promptly');
    assert.equal(await relayFolders(), before, 'the temporary folder is gone');
    await res.body?.cancel().catch(() => undefined);
  });
});
