import { strict as assert } from 'node:assert';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HomeserverClient } from '../../src/homeserver/client.js';
import { RequestTimeoutError } from '../../src/homeserver/index.js';
import { AS_TOKEN, BOT } from './setup.js';

/** A server that counts the connections made to it; `answer` writes each response. */
async function countingServer(answer: (res: ServerResponse) => void): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  server.on('connection', () => { connections += 1; });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => connections,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('homeserver client: the connection under the requests', () => {
  it('keeps its connections alive across requests instead of opening one per request', async () => {
    const server = await countingServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"ok":true}');
    });
    try {
      const client = new HomeserverClient({ baseUrl: server.url, asToken: AS_TOKEN, botUserId: BOT });
      for (let i = 0; i < 20; i++) assert.deepEqual(await client.request('GET', '/_matrix/client/v3/account/whoami'), { ok: true });
      // undici's pool may open a second connection before it has marked the first idle.
      assert.ok(server.connections() <= 2, `${server.connections()} connections for 20 requests`);
    } finally {
      await server.close();
    }
  });

  it('times out a response whose body stops halfway, not only one that sends no headers', async () => {
    const server = await countingServer((res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"chunk": [');
    });
    try {
      const client = new HomeserverClient({
        baseUrl: server.url, asToken: AS_TOKEN, botUserId: BOT,
        retry: { maxAttempts: 1, timeoutMs: 150 },
      });
      const err = await client.request('GET', '/_matrix/client/v3/rooms/!r:example.org/state').catch((e: unknown) => e);
      assert.ok(err instanceof RequestTimeoutError, String(err));
    } finally {
      await server.close();
    }
  });
});
