import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/log/logger.js';
import { watchHomeserver, type HomeserverWatch } from '../../src/runtime/homeserver-watch.js';
import { closeServer, freePort, waitFor } from '../helpers/net.js';

/** A logger whose lines land in `lines`, parsed. */
function capturingLogger() {
  const lines: Array<{ level: number; msg: string; downForSeconds?: number }> = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info' }, destination) };
}

function versionsServer(port: number): Promise<Server> {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ versions: ['v1.11'] }));
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

describe('runtime/homeserver-watch: the log says when the homeserver does not answer', () => {
  let watch: HomeserverWatch | undefined;
  let server: Server | undefined;
  afterEach(async () => {
    watch?.stop();
    if (server) await closeServer(server);
    server = undefined;
  });

  it('warns at start, again while unreachable, and says when it answers again', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const { lines, logger } = capturingLogger();
    watch = watchHomeserver({ url, logger, intervalMs: 100, timeoutMs: 1_000 });
    await watch.started;
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [[40,
      `homeserver ${url} is unreachable (connection refused (ECONNREFUSED)): the bridge is up but cannot deliver anything; check homeserver.url and that the homeserver runs`]]);
    await waitFor(() => lines.length >= 3, 5_000, 'repeated warnings');
    assert.match(lines[1]!.msg, new RegExp(`^homeserver ${url} still unreachable after \\d+ s \\(connection refused \\(ECONNREFUSED\\)\\)$`));
    server = await versionsServer(port);
    const back = await waitFor(() => lines.find((l) => l.level === 30), 5_000, 'the line saying it is back');
    assert.match(back.msg, new RegExp(`^homeserver ${url} answers again \\(unreachable for \\d+ s\\); delivery resumes$`));
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(lines.length, count, 'nothing more while it answers');
  });

  it('says nothing when the homeserver answers from the start', async () => {
    const port = await freePort();
    server = await versionsServer(port);
    const { lines, logger } = capturingLogger();
    watch = watchHomeserver({ url: `http://127.0.0.1:${port}`, logger, intervalMs: 50 });
    await watch.started;
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(lines, []);
  });
});
