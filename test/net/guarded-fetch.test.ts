import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { fetchGuarded, OutboundFetchError, type OutboundFetchReason } from '../../src/net/index.js';

interface Loopback {
  readonly port: number;
  readonly url: string;
  /** Connections the server accepted: a refused fetch must leave this at 0. */
  connections: number;
  close(): Promise<void>;
}

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Loopback> {
  const server: Server = createServer(handler);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  const self: Loopback = {
    port, url: `http://127.0.0.1:${port}`, connections: 0,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
  server.on('connection', () => { self.connections++; });
  return self;
}

/** A resolver that maps every name to 127.0.0.1, as a DNS rebinding attacker would. */
const toLoopback: LookupFunction = (_host, options, callback) => {
  const all = [{ address: '127.0.0.1', family: 4 }];
  if (options.all) (callback as unknown as (e: null, a: typeof all) => void)(null, all);
  else callback(null, '127.0.0.1', 4);
};

async function refusal(promise: Promise<unknown>, reason: OutboundFetchReason): Promise<OutboundFetchError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof OutboundFetchError, `an OutboundFetchError, not ${String(err)}`);
    assert.equal(err.reason, reason, err.message);
    return err;
  }
  assert.fail(`expected a refusal (${reason})`);
}

const BASE = { maxBytes: 1024 * 1024, timeoutMs: 5_000 };

describe('net: the guarded fetcher', function () {
  this.timeout(20_000);
  let secret: Loopback;
  before(async () => { secret = await serve((_req, res) => res.end('the secret')); });
  after(async () => secret.close());
  beforeEach(() => { secret.connections = 0; });

  it('refuses private IP literals before connecting, and fetches them only when the operator allows', async () => {
    for (const url of [`${secret.url}/secret`, `http://[::ffff:127.0.0.1]:${secret.port}/`, `http://[64:ff9b::7f00:1]:${secret.port}/`,
      `http://[::7f00:1]:${secret.port}/`, 'http://10.0.0.1/', 'http://169.254.169.254/latest/meta-data/', 'http://[fd00::1]/', 'http://0.0.0.0/']) {
      const err = await refusal(fetchGuarded(url, BASE), 'private');
      assert.match(err.message, /private or local address/);
    }
    assert.equal(secret.connections, 0, 'not one connection was made');
    const allowed = await fetchGuarded(`${secret.url}/secret`, { ...BASE, allowPrivateTargets: true });
    assert.equal(allowed.data.toString(), 'the secret');
    assert.equal(allowed.status, 200);
  });

  it('refuses a name that resolves to a private address on the connection itself (DNS rebinding)', async () => {
    await refusal(fetchGuarded(`http://rebind.example:${secret.port}/secret`, { ...BASE, resolve: toLoopback }), 'private');
    await refusal(fetchGuarded(`http://localhost:${secret.port}/secret`, BASE), 'private');
    assert.equal(secret.connections, 0);
    const trusted = await fetchGuarded(`http://rebind.example:${secret.port}/secret`, { ...BASE, resolve: toLoopback, trustedHosts: [`rebind.example:${secret.port}`] });
    assert.equal(trusted.data.toString(), 'the secret', 'a host the operator trusts is reached');
  });

  it('judges every redirect again: a 302 to a private address is refused', async () => {
    let target = '';
    const redirector = await serve((_req, res) => res.writeHead(302, { location: target }).end());
    // The redirector is trusted by the operator; where it points is not.
    const options = { ...BASE, trustedHosts: [`127.0.0.1:${redirector.port}`], resolve: toLoopback };
    try {
      for (target of [`${secret.url}/secret`, `http://[::ffff:7f00:1]:${secret.port}/`, `http://internal.example:${secret.port}/secret`, 'http://192.168.1.1/admin']) {
        await refusal(fetchGuarded(`${redirector.url}/avatar.png`, options), 'private');
      }
      assert.equal(secret.connections, 0, 'the redirect never reached the secret');
      target = 'file:///etc/passwd';
      await refusal(fetchGuarded(`${redirector.url}/a`, options), 'url');
      target = 'http://[::1';
      await refusal(fetchGuarded(`${redirector.url}/a`, options), 'redirect');
      target = `${redirector.url}/again`;
      const err = await refusal(fetchGuarded(`${redirector.url}/a`, { ...options, maxRedirects: 2 }), 'redirect');
      assert.match(err.message, /too many redirects/);
      target = `${secret.url}/secret`;
      const followed = await fetchGuarded(`${redirector.url}/a`, { ...BASE, allowPrivateTargets: true });
      assert.equal(followed.data.toString(), 'the secret', 'redirects are followed where allowed');
      assert.equal(followed.url, `${secret.url}/secret`);
      await refusal(fetchGuarded(`${redirector.url}/a`, { ...BASE, allowPrivateTargets: true, maxRedirects: 0 }), 'redirect');
    } finally {
      await redirector.close();
    }
  });

  it('stops a 200 MiB chunked answer as soon as it passes the cap (bytes sent stay near the cap)', async () => {
    const total = 200 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 7);
    let sent = 0;
    let closed!: () => void;
    const gone = new Promise<void>((ok) => { closed = ok; });
    const flood = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' }); // chunked: no Content-Length to refuse early
      const pump = () => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', closed);
      pump();
    });
    try {
      const before = process.memoryUsage();
      const err = await refusal(fetchGuarded(`${flood.url}/huge.png`, { ...BASE, maxBytes: 2 * 1024 * 1024, allowPrivateTargets: true }), 'too-large');
      assert.match(err.message, /larger than 2097152 bytes/);
      await gone;
      // What the server got out before the connection closed: the cap plus what socket buffers hold.
      assert.ok(sent < 2 * 1024 * 1024 + 16 * 1024 * 1024, `only ${sent} bytes were sent of ${total}`);
      const grown = process.memoryUsage().rss - before.rss;
      assert.ok(grown < 64 * 1024 * 1024, `memory grew by ${grown} bytes`);
    } finally {
      await flood.close();
    }
  });

  it('refuses a declared Content-Length above the cap without reading, a non-2xx answer, and a stalled server (timeout)', async () => {
    const server = await serve((req, res) => {
      if (req.url === '/declared') res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) }).write('x');
      else if (req.url === '/missing') res.writeHead(404).end('no');
      // /stall: never answers
    });
    try {
      const options = { ...BASE, allowPrivateTargets: true };
      await refusal(fetchGuarded(`${server.url}/declared`, options), 'too-large');
      const missing = await refusal(fetchGuarded(`${server.url}/missing`, options), 'status');
      assert.equal(missing.status, 404);
      const started = Date.now();
      await refusal(fetchGuarded(`${server.url}/stall`, { ...options, timeoutMs: 300 }), 'timeout');
      assert.ok(Date.now() - started < 3_000, 'the deadline held');
      await refusal(fetchGuarded('ftp://example.org/x', options), 'url');
      await refusal(fetchGuarded(`http://user:pw@127.0.0.1:${server.port}/`, options), 'url');
      await refusal(fetchGuarded('not a url', options), 'url');
    } finally {
      await server.close();
    }
  });
});
