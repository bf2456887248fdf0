import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { createWebhookPlugin } from '../../bridges/webhook/index.js';
import { createLogger } from '../../src/log/logger.js';
import { MediaLinks } from '../../src/media/index.js';
import { BotHarness } from '../bot/harness.js';
import { createHook } from '../bridges/webhook/helpers.js';

/**
 * Everything a stranger can reach on the bridge's listener without a token: webhook hooks,
 * plugin routes, media links. Random methods, paths, headers and bodies (huge, truncated,
 * not UTF-8, deeply nested JSON): every answer must be well formed, `{errcode, error}` on
 * 4xx/5xx, never a 5xx for bad input; the bridge stays up; no secret reaches a log line.
 */

interface Answer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

const PUBLIC = 'https://bridge.example.org';

function send(base: string, method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method, headers: { ...headers, ...(body ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    // The bridge may answer (413) and close before a huge body is sent: that is an answer, not a failure.
    req.on('error', (err: NodeJS.ErrnoException) => (err.code === 'EPIPE' || err.code === 'ECONNRESET' ? resolve({ status: -1, contentType: '', body: Buffer.alloc(0) }) : reject(err)));
    req.end(body);
  });
}

/** Sends `head` and part of a body, then closes: the body never arrives whole. */
function truncated(port: number, head: string, partial: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      socket.end(partial);
    });
    socket.on('error', () => resolve());
    socket.on('close', () => resolve());
    socket.resume();
  });
}

function assertWellFormed(answer: Answer, method: string, what: string): void {
  if (answer.status === -1) return; // closed while we were still sending a huge body
  assert.ok(answer.status >= 200 && answer.status < 600, `${what}: status ${answer.status}`);
  assert.ok(answer.status < 500, `${what}: ${answer.status} ${answer.body.toString().slice(0, 200)}`);
  if (answer.status >= 400 && method !== 'HEAD') {
    assert.match(answer.contentType, /^application\/json/, `${what}: JSON error body`);
    const parsed = JSON.parse(answer.body.toString('utf8')) as { errcode?: unknown; error?: unknown };
    assert.match(String(parsed.errcode), /^M_[A-Z_]+$/, `${what}: errcode`);
    assert.equal(typeof parsed.error, 'string', `${what}: error`);
  }
}

const nested = (depth: number) => Buffer.from(`${'['.repeat(depth)}${']'.repeat(depth)}`);
const nestedObject = (depth: number) => Buffer.from(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`);

describe('fuzz: HTTP surfaces a stranger can reach', function () {
  this.timeout(180_000);
  let h: BotHarness;
  const logs: string[] = [];
  let secret = '';
  let mediaLink = '';
  /** A link the bridge made: served (200) unless the fuzz bends it. */
  let signedLink = '';

  before(async () => {
    const logger = createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(line) });
    h = await BotHarness.start(createWebhookPlugin(), {
      logger, publicUrl: PUBLIC, pluginConfig: { inbound: { maxBodyBytes: 64 * 1024, burst: 1000, perMinute: 60_000 } },
    });
    const alice = await h.user('alice');
    const roomId = await h.roomWithBot(alice);
    secret = (await createHook(h, alice, roomId, 'fuzz')).secret;
    const mxc = await alice.client.upload('fuzz me', 'text/plain', 'f.txt');
    mediaLink = new URL(mxc.replace('mxc://', `${PUBLIC}/_bridgekit/media/`)).pathname;
    const signed = new URL(new MediaLinks(h.registration.as_token, PUBLIC).url(mxc, 'f.txt')!);
    signedLink = `${signed.pathname}${signed.search}`;
  });
  after(async () => h.stop());

  const segment = fc.oneof(
    fc.string({ maxLength: 40 }).map(encodeURIComponent),
    fc.constantFrom('%ZZ', '%C0%AF', '%00', '%2e%2e', '..', '%FF%FE', '%E2%80%AE', 'a'.repeat(5000), '%25', ''),
    fc.stringMatching(/^[A-Za-z0-9_-]{1,43}$/),
  );
  const query = fc.oneof(
    fc.constant(''),
    fc.tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 30 })).map(([exp, sig]) => `?exp=${encodeURIComponent(exp)}&sig=${encodeURIComponent(sig)}`),
    fc.constantFrom('?exp=99999999999&sig=AAAAAAAAAAAAAAAAAAAAAA', '?exp=1&sig=', '?sig=a&sig=b&exp=1&exp=2', '?%ZZ=%ZZ'),
  );
  const path = (ctx: () => { secret: string; media: string; signed: string }) => fc.oneof(
    fc.tuple(fc.constantFrom('hook', 'hook-random'), query).map(([kind]) => `/bridge/webhook/hooks/${kind === 'hook' ? ctx().secret : 'x'.repeat(43)}`),
    fc.tuple(segment, query).map(([s, q]) => `/bridge/webhook/hooks/${s}${q}`),
    fc.tuple(fc.array(segment, { maxLength: 4 }), query).map(([s, q]) => `/bridge/webhook/${s.join('/')}${q}`),
    fc.tuple(segment, segment, fc.option(segment), query).map(([a, b, c, q]) => `/_bridgekit/media/${a}/${b}${c === null ? '' : `/${c}`}${q}`),
    fc.tuple(fc.option(segment), query).map(([c, q]) => `${ctx().media}${c === null ? '' : `/${c}`}${q}`),
    fc.tuple(fc.constantFrom('', '&sig=x', '&exp=1', '&x=%ZZ'), fc.boolean()).map(([extra, rename]) => {
      const link = `${ctx().signed}${extra}`;
      return rename ? link.replace('/f.txt?', '/f.html?') : link;
    }),
    fc.tuple(fc.array(segment, { maxLength: 3 }), query).map(([s, q]) => `/_bridgekit/${s.join('/')}${q}`),
    // The homeserver's endpoint, reached without its token.
    fc.tuple(fc.constantFrom('/_matrix/app/v1/transactions', '/_matrix/app/v1/users', '/_matrix/app/v1/rooms', '/_matrix/app/v1/thirdparty/protocol',
      '/_matrix/app/v1/ping', '/transactions', '/users'), segment, query).map(([p, s, q]) => `${p}/${s}${q}`),
  );
  const body = fc.oneof(
    fc.constant(undefined),
    fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.record({
      text: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      html: fc.option(fc.string()),
      username: fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.constant('\u0000\r\n'))),
      avatar_url: fc.option(fc.constantFrom('mxc://localhost/x', 'http://127.0.0.1:1/a.png', 'http://[::1]/', 'javascript:alert(1)', 'mxc://', '')),
      msgtype: fc.option(fc.string({ maxLength: 20 })),
      id: fc.option(fc.string({ maxLength: 250 })),
    }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
    fc.uint8Array({ maxLength: 2048 }).map((b) => Buffer.from(b)),
    fc.constantFrom(
      Buffer.from([0xff, 0xfe, 0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x7d]), // not UTF-8
      Buffer.from('{"text": "\ud800"}'), Buffer.from('{"text":'), Buffer.from('{"text":"x"'), Buffer.from('\u0000'),
      nested(10_000), nested(100_000), nestedObject(20_000),
      Buffer.alloc(2 * 1024 * 1024, 0x61), // above every body limit
    ),
  );
  const headers = fc.record({
    'content-type': fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', '', '*/*;;;'),
    'idempotency-key': fc.option(fc.oneof(fc.string({ maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s)), fc.constant('k'))),
    'x-random': fc.option(fc.string({ maxLength: 100 }).filter((s) => /^[\x20-\x7e]*$/.test(s))),
    accept: fc.option(fc.constantFrom('text/html', '*/*', 'application/json')),
    authorization: fc.option(fc.constantFrom('Bearer wrong', 'Bearer ', 'Basic eDp5', `Bearer ${'t'.repeat(10_000)}`)),
  }, { requiredKeys: ['content-type'] }).map((r) => Object.fromEntries(Object.entries(r).filter((e): e is [string, string] => typeof e[1] === 'string')));
  const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'PROPFIND');

  it('answers random requests with well-formed responses, never a 5xx, and logs no secret', async () => {
    const ctx = () => ({ secret, media: mediaLink, signed: signedLink });
    const seen = new Map<number, number>();
    await fc.assert(fc.asyncProperty(method, path(ctx), headers, body, async (m, p, hd, b) => {
      const sendBody = m === 'GET' || m === 'HEAD' ? undefined : b;
      const answer = await send(h.bridge.url, m, p, hd, sendBody);
      assertWellFormed(answer, m, `${m} ${p.slice(0, 120)} (${sendBody?.length ?? 0} bytes)`);
      seen.set(answer.status, (seen.get(answer.status) ?? 0) + 1);
    }), {
      numRuns: 400, seed: Number(process.env['FUZZ_SEED'] ?? Date.now() % 2 ** 31),
      // Always among the runs: the homeserver's endpoint reached with no token at all (401),
      // which random headers reach only now and then.
      examples: [['PUT', '/_matrix/app/v1/transactions/fuzz', { 'content-type': 'application/json' }, Buffer.from('{"events":[]}')]],
    });
    // The runs reached past the front door: messages posted, bodies refused, links refused.
    for (const status of [200, 400, 401, 403, 404, 405]) assert.ok(seen.has(status), `some answer was ${status} (saw ${[...seen.keys()].join(', ')})`);
    assertNoSecretLogged();
  });

  it('survives bodies that never arrive whole, and keeps answering', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(`/bridge/webhook/hooks/${secret}`, `/bridge/webhook/hooks/${'y'.repeat(43)}`, `${mediaLink}?exp=1&sig=x`),
      fc.integer({ min: 1, max: 100_000 }), fc.uint8Array({ maxLength: 512 }), async (p, declared, partial) => {
        const head = `POST ${p} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${declared + partial.length}\r\n\r\n`;
        await truncated(h.bridge.port, head, Buffer.from(partial));
      }), { numRuns: 40 });
    const after = await send(h.bridge.url, 'POST', `/bridge/webhook/hooks/${secret}`, { 'content-type': 'application/json' }, Buffer.from('{"text":"still here"}'));
    assert.equal(after.status, 200, 'the bridge is still up and serving');
    assertNoSecretLogged();
  });

  function assertNoSecretLogged(): void {
    assert.ok(logs.length > 0, 'the bridge logged at trace');
    for (const [what, needle] of [['hook secret', secret], ['media signature', new URL(signedLink, PUBLIC).searchParams.get('sig')!]] as const) {
      assert.ok(needle.length >= 20, what);
      const leaked = logs.filter((line) => line.includes(needle));
      assert.deepEqual(leaked.map((l) => l.slice(0, 300)), [], `the ${what} never reaches a log line`);
    }
  }
});
