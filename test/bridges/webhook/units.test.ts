import assert from 'node:assert/strict';
import type { BotCommand, CommandInvocation, KeyValue, PluginContext } from 'matrix-bridgekit';
import { webhookCommand } from '../../../bridges/webhook/commands.js';
import { webhookConfigSchema } from '../../../bridges/webhook/config.js';
import { Hooks } from '../../../bridges/webhook/hooks.js';
import { createWebhookPlugin } from '../../../bridges/webhook/index.js';
import { parseInboundBody } from '../../../bridges/webhook/inbound-body.js';
import { backoffMs, parseRetryAfter, type Attempt } from '../../../bridges/webhook/outbound-http.js';
import { enqueue, keys, type OutboundPayload } from '../../../bridges/webhook/outbound-store.js';
import { DeliveryWorker } from '../../../bridges/webhook/outbound-worker.js';
import { silentLogger } from '../../../src/log/logger.js';
import { validatePluginConfig } from '../../../src/plugin/loader.js';
import { waitUntil } from '../../../src/testing/index.js';

/** A KeyValue in memory, entries in key order like the store's. */
class MemoryKv implements KeyValue {
  readonly map = new Map<string, unknown>();
  async get<V>(key: string): Promise<V | undefined> { return this.map.get(key) as V | undefined; }
  async put<V>(key: string, value: V): Promise<void> { this.map.set(key, structuredClone(value)); }
  async del(key: string): Promise<void> { this.map.delete(key); }
  async *entries<V>(prefix = ''): AsyncGenerator<[string, V]> {
    for (const key of [...this.map.keys()].filter((k) => k.startsWith(prefix)).sort()) yield [key, this.map.get(key) as V];
  }
}

const payload = (id: string): OutboundPayload => ({ id, room_id: '!r:hs', sender: '@a:hs', body: id, msgtype: 'm.text', origin_server_ts: 1 });
const OUT = { allowPrivateTargets: true, maxAttempts: 3, timeoutMs: 1000, retryBaseMs: 10, retryMaxMs: 50, pollMs: 20, concurrency: 2, rememberDeliveredMs: 60_000 };

describe('webhook bridge: parts', () => {
  it('validates the inbound body, naming each wrong field', () => {
    assert.deepEqual(parseInboundBody({ text: 'hi', extra: 1 }), { ok: true, body: { text: 'hi' } });
    const bad = parseInboundBody({ html: 3, username: '', id: '' });
    assert.equal(bad.ok, false);
    if (!bad.ok) {
      assert.match(bad.error, /'text' is required/);
      assert.match(bad.error, /'html' must be a string/);
      assert.match(bad.error, /'username' must not be empty/);
      assert.match(bad.error, /'id' must not be empty/);
    }
    assert.deepEqual(parseInboundBody('text'), { ok: false, error: 'the body must be a JSON object' });
  });

  it('reads Retry-After as seconds or a date, and backs off exponentially up to the cap', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(null), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter('999999'), 3600_000, 'capped at an hour');
    for (let i = 0; i < 20; i++) {
      const third = backoffMs(3, 100, 10_000);
      assert.ok(third >= 320 && third <= 480, `attempt 3: ${third}`);
      assert.ok(backoffMs(30, 100, 10_000) <= 12_000);
    }
  });

  it('does not queue a message its target already received', async () => {
    const kv = new MemoryKv();
    assert.equal(await enqueue(kv, '!r:hs', 'http://t/x', payload('$1')), true);
    await kv.put(keys.delivered('http://t/x', '$2'), Date.now());
    assert.equal(await enqueue(kv, '!r:hs', 'http://t/x', payload('$2')), false);
    assert.equal(await enqueue(kv, '!r:hs', 'http://other/x', payload('$2')), true, 'another target is another delivery');
    assert.deepEqual([...kv.map.keys()].filter((k) => k.startsWith(keys.queueAll)), [keys.queue('!r:hs', 1), keys.queue('!r:hs', 2)]);
  });

  it('delivers each room in order, holds a room behind its retry, skips what was delivered', async () => {
    const kv = new MemoryKv();
    await kv.put(keys.target('!a:hs'), { url: 'http://t/a', setBy: '@x:hs', setAt: 0 });
    await kv.put(keys.target('!b:hs'), { url: 'http://t/b', setBy: '@x:hs', setAt: 0 });
    for (const id of ['$a1', '$a2']) await enqueue(kv, '!a:hs', 'http://t/a', payload(id));
    await enqueue(kv, '!b:hs', 'http://t/b', payload('$b1'));
    // Delivered before a crash, its queue entry not yet removed: not sent again.
    await enqueue(kv, '!b:hs', 'http://t/b', payload('$b2'));
    await kv.put(keys.delivered('http://t/b', '$b2'), Date.now());

    const sent: string[] = [];
    let failFirst = true;
    const worker = new DeliveryWorker(kv, OUT, silentLogger(), async (_url, p): Promise<Attempt> => {
      sent.push(p.id);
      if (p.id === '$a1' && failFirst) {
        failFirst = false;
        return { kind: 'retry', reason: 'HTTP 502' };
      }
      return { kind: 'delivered', status: 204 };
    });
    worker.start();
    try {
      await waitUntil(() => [...kv.map.keys()].every((k) => !k.startsWith(keys.queueAll)), 3_000, 'the queues to empty');
    } finally {
      await worker.stop();
    }
    assert.deepEqual(sent.filter((id) => id.startsWith('$a')), ['$a1', '$a1', '$a2'], 'a2 waited for a1\'s retry');
    assert.deepEqual(sent.filter((id) => id.startsWith('$b')), ['$b1']);
    assert.deepEqual(await kv.get(keys.stats('!a:hs')), { delivered: 2, rejected: 0, gaveUp: 0 });
  });

  it('makes a retried create command a new hook, answered in a new message', async () => {
    const kv = new MemoryKv();
    const hooks = new Hooks(kv);
    const sends: Array<{ body: string; key: string | undefined }> = [];
    const bot = {
      sendHtml: async (_room: string, text: { body: string }, options?: { idempotencyKey?: string }) => {
        sends.push({ body: text.body, key: options?.idempotencyKey });
        return `$answer${sends.length}`;
      },
    } as unknown as PluginContext['bot'];
    const mappings = { roomForChannel: async () => '!r:hs', linkChannel: async () => undefined } as unknown as PluginContext['mappings'];
    const command: BotCommand = webhookCommand(() => ({ hooks, kv, status: { report: () => undefined, forget: () => undefined }, bot, mappings, baseUrl: 'https://bridge.example/bridge/webhook', allowPrivateTargets: false }));
    const invocation = {
      args: ['create', 'ci'], roomId: '!r:hs', sender: '@a:hs', message: { eventId: '$cmd' }, usage: 'Usage: !webhook …',
      reply: async () => undefined,
    } as unknown as CommandInvocation;
    await command.run(invocation);
    await command.run(invocation); // the same command again, as after a crash before its acknowledgement
    const secrets = sends.map((s) => /hooks\/([A-Za-z0-9_-]{43})/.exec(s.body)?.[1] ?? '');
    assert.equal(sends.length, 2);
    assert.notEqual(sends[0]?.key, sends[1]?.key);
    assert.match(sends[1]?.body ?? '', /replaces the URL of any earlier answer/);
    assert.equal(await hooks.find(secrets[0] ?? ''), undefined, 'the first URL, whose secret is lost, is dead');
    assert.equal((await hooks.find(secrets[1] ?? ''))?.name, 'ci');
    assert.equal((await hooks.list('!r:hs')).length, 1);
  });

  it('validates its config section, naming the key', async () => {
    const plugin = createWebhookPlugin();
    const defaults = await validatePluginConfig(plugin, {});
    assert.equal(defaults.outbound.maxAttempts, 8);
    assert.equal(defaults.inbound.maxBodyBytes, 65536);
    await assert.rejects(validatePluginConfig(plugin, { outbound: { maxAttempts: 0 } }), /bridge\.config\.outbound\.maxAttempts: must be positive/);
    assert.equal(webhookConfigSchema.safeParse({ inbound: 'big' }).success, false);
  });
});

describe('webhook bridge: outbound target guard', () => {
  it('refuses loopback, private, link-local and mapped addresses unless allowed', async () => {
    const { refusedTarget } = await import('../../../src/net/index.js');
    for (const url of ['http://127.0.0.1:8008/x', 'http://localhost/x', 'http://10.1.2.3/', 'http://192.168.0.9/', 'http://169.254.169.254/latest',
      'http://[::1]/', 'http://[fd00::1]/', 'http://[::ffff:10.0.0.1]/', 'http://0.0.0.0/']) {
      assert.match(String(await refusedTarget(url, false)), /private or local address/, url);
      assert.equal(await refusedTarget(url, true), undefined, `${url} allowed by config`);
    }
    assert.equal(await refusedTarget('http://93.184.216.34/hook', false), undefined, 'a public address may be used');
    assert.match(String(await refusedTarget('http://no-such-host.invalid/', false)), /does not resolve/);
  });
});

describe('webhook bridge: delivery with the connection-time guard', () => {
  const payload = { id: '$evt', room: '!r:localhost', sender: '@a:localhost', kind: 'message', body: 'hi' } as unknown as OutboundPayload;

  async function target(status: number, headers: Record<string, string> = {}) {
    const { createServer } = await import('node:http');
    const hits: string[] = [];
    const server = createServer((req, res) => {
      hits.push(String(req.headers['idempotency-key']));
      req.resume();
      res.writeHead(status, headers).end('ignored');
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const { port } = server.address() as { port: number };
    return { port, hits, close: () => new Promise<void>((ok) => server.close(() => ok())) };
  }

  it('refuses a name that resolves to a private address when it connects, and sends nothing (DNS rebinding)', async () => {
    const { postMessage } = await import('../../../bridges/webhook/outbound-http.js');
    const { guardedLookup } = await import('../../../src/net/index.js');
    const publicOnlyLookup = guardedLookup();
    const t = await target(200);
    try {
      // The name is only looked up for the connection: as if it had resolved to a public address for the check.
      const attempt = await postMessage(`http://localhost:${t.port}/hook`, payload, 2_000, publicOnlyLookup);
      assert.equal(attempt.kind, 'rejected');
      assert.equal(attempt.kind === 'rejected' && attempt.status, 0);
      assert.match(String(attempt.kind === 'rejected' && attempt.reason), /private or local address \(127\.0\.0\.1|::1\)/);
      assert.deepEqual(t.hits, [], 'nothing reached the private target');
      const allowed = await postMessage(`http://localhost:${t.port}/hook`, payload, 2_000);
      assert.deepEqual(allowed, { kind: 'delivered', status: 200 }, 'without the guard (allowPrivateTargets) it goes');
      assert.deepEqual(t.hits, ['$evt'], 'with its idempotency key');
    } finally {
      await t.close();
    }
  });

  it('tells delivered, refused and retry-worthy answers apart, with Retry-After', async () => {
    const { postMessage } = await import('../../../bridges/webhook/outbound-http.js');
    for (const [status, expected] of [[204, 'delivered'], [404, 'rejected'], [302, 'rejected'], [503, 'retry'], [429, 'retry']] as const) {
      const t = await target(status, { 'retry-after': '7' });
      try {
        const attempt = await postMessage(`http://127.0.0.1:${t.port}/`, payload, 2_000);
        assert.equal(attempt.kind, expected, `HTTP ${status}`);
        if (attempt.kind === 'retry') assert.equal(attempt.retryAfterMs, 7_000);
      } finally {
        await t.close();
      }
    }
    const closed = await target(200);
    await closed.close();
    const refused = await postMessage(`http://127.0.0.1:${closed.port}/`, payload, 2_000);
    assert.deepEqual(refused, { kind: 'retry', reason: 'network error: ECONNREFUSED' });
  });
});

describe('webhook bridge: inbound rate limit', () => {
  it('gives each hook its burst, then one message per interval; idle hooks refill', async () => {
    const { hookRateLimit } = await import('../../../bridges/webhook/rate-limit.js');
    let now = 1_000_000;
    const limit = hookRateLimit(2, 1_000, () => now);
    assert.deepEqual([limit('a'), limit('a')], [0, 0]);
    assert.equal(limit('a'), 1_000, 'the third waits a whole interval');
    assert.equal(limit('b'), 0, 'another hook has its own bucket');
    now += 500;
    assert.equal(limit('a'), 500);
    now += 500;
    assert.equal(limit('a'), 0);
    now += 10_000;
    assert.deepEqual([limit('a'), limit('a'), limit('a')], [0, 0, 1_000], 'refilled to the burst, not beyond');
  });
});

describe('webhook bridge: outbound media links', () => {
  it('adds the bridge\'s link to a file when it can make one, and nothing when it cannot', async () => {
    const { payloadOf } = await import('../../../bridges/webhook/outbound.js');
    const message = {
      event: {} as never, roomId: '!r:x', eventId: '$f', sender: '@a:x', ts: 1, msgtype: 'm.file', body: 'notes.txt',
      media: { url: 'mxc://x/abc', filename: 'notes.txt', info: { mimetype: 'text/plain', size: 4 } },
    };
    const room = { member: async () => undefined } as never;
    const linked = await payloadOf(message, room, (mxc, name) => `https://bridge.example.org/m/${mxc.slice(6)}/${name}`);
    assert.deepEqual(linked.media, { url: 'mxc://x/abc', link: 'https://bridge.example.org/m/x/abc/notes.txt', filename: 'notes.txt', mimetype: 'text/plain', size: 4 });
    const plain = await payloadOf(message, room);
    assert.deepEqual(plain.media, { url: 'mxc://x/abc', filename: 'notes.txt', mimetype: 'text/plain', size: 4 });
  });
});
