import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import Koa from 'koa';
import { listen, type RunningServer } from '../../src/appservice/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { MediaLinks, mediaProxyRoutes, type RelayedMedia } from '../../src/media/index.js';
import { tempDir } from '../helpers/temp.js';

const MiB = 1024 * 1024;

describe('media proxy: slots are not held by readers that stop reading', function () {
  this.timeout(20_000);
  let server: RunningServer;
  let cleanup: () => Promise<void>;
  let opened = 0;
  const links = new MediaLinks('as-token', 'http://bridge.test');

  before(async () => {
    const dir = await tempDir('bridgekit-proxy-limits-');
    cleanup = dir.cleanup;
    const path = join(dir.path, 'big');
    await writeFile(path, Buffer.alloc(32 * MiB, 3));
    const media: RelayedMedia = { path, size: 32 * MiB, contentType: 'video/mp4' };
    const app = new Koa();
    // A cut-off answer is a closed stream to Koa (the bridge's app logs these at debug).
    app.on('error', () => undefined);
    for (const mw of mediaProxyRoutes({
      links, maxBytes: 64 * MiB, maxConcurrent: 1, idleMs: 200, logger: silentLogger(),
      relay: { open: async () => { opened++; return { media, stream: createReadStream(path) }; } },
    })) app.use(mw);
    server = await listen(app, '127.0.0.1', 0);
  });
  after(async () => {
    await server.close();
    await cleanup();
  });

  const pathOf = (mxc: string) => { const u = new URL(links.url(mxc)!); return `${u.pathname}${u.search}`; };

  it('cuts off a reader that takes nothing, and gives its slot back', async () => {
    // A client that asks for 32 MiB and never reads a byte (its socket is never read from).
    const stalled = connect(server.port, '127.0.0.1');
    stalled.write(`GET ${pathOf('mxc://hs.test/Big')} HTTP/1.1\r\nHost: bridge.test\r\n\r\n`);
    try {
      await new Promise((ok) => setTimeout(ok, 100));
      const busy = await fetch(`${server.url}${pathOf('mxc://hs.test/Other')}`);
      assert.equal(busy.status, 429, 'the only slot is taken');
      assert.equal((await busy.json() as { errcode: string }).errcode, 'M_LIMIT_EXCEEDED');
    } catch (err) {
      stalled.destroy();
      throw err;
    }
    // Within two idle periods the stalled reader is cut off and its slot is free again.
    const started = Date.now();
    let served: Response;
    for (;;) {
      served = await fetch(`${server.url}${pathOf('mxc://hs.test/Other')}`);
      if (served.status === 200 || Date.now() - started > 3_000) break;
      await served.arrayBuffer();
      await new Promise((ok) => setTimeout(ok, 50));
    }
    stalled.destroy();
    assert.equal(served.status, 200, 'the slot was given back');
    assert.ok(Date.now() - started < 1_500, `cut off after ${Date.now() - started} ms`);
    let bytes = 0;
    for await (const chunk of served.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
    assert.equal(bytes, 32 * MiB, 'a reader that reads gets it all');
    assert.equal(opened, 2);
  });
});
