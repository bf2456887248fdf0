/**
 * The round-robin balancer the cluster tests put in front of their bridge processes
 * (test/helpers/balancer.ts), and the test homeserver behind it: a transaction the
 * balancer answers 502 (its backend gone) is retried with the same txnId and body, as
 * Synapse retries, until a backend answers.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TestHomeserver } from '../../src/testing/index.js';
import { Balancer } from '../helpers/balancer.js';
import { fixtureRegistration } from '../helpers/endpoint.js';
import { closeServer, readBody } from '../helpers/net.js';

interface Backend { url: string; server: http.Server; seen: Array<{ path: string; body: string }> }

/** A backend that answers 200 with its name and the size of the body it read. */
async function backend(name: string, port = 0): Promise<Backend> {
  const seen: Backend['seen'] = [];
  const server = http.createServer(async (req, res) => {
    const body = (await readBody(req)).toString();
    seen.push({ path: req.url ?? '', body });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name, bytes: Buffer.byteLength(body) }));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

async function put(url: string, body: string): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('cluster test balancer', function () {
  let balancer: Balancer;
  const backends: Backend[] = [];
  beforeEach(async () => {
    balancer = await Balancer.start({ downMs: 60_000 });
  });
  afterEach(async () => {
    await balancer.stop();
    for (const b of backends.splice(0)) if (b.server.listening) await closeServer(b.server);
  });

  it('sends requests to its backends in turn, bodies whole both ways', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    backends.push(a, b);
    balancer.add(a.url);
    balancer.add(b.url);
    const big = JSON.stringify({ events: [], filler: 'x'.repeat(300_000) });
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await put(`${balancer.url}/_matrix/app/v1/transactions/${i}`, big));
    assert.deepEqual(answers.map((r) => [r.status, r.json['name'], r.json['bytes']]), [
      [200, 'a', big.length], [200, 'b', big.length], [200, 'a', big.length], [200, 'b', big.length]]);
    assert.deepEqual(a.seen.map((s) => s.path), ['/_matrix/app/v1/transactions/0', '/_matrix/app/v1/transactions/2']);
  });

  it('answers 502 with a Matrix error when a backend is gone, then leaves that backend out', async () => {
    const [a, b] = [await backend('a'), await backend('b')];
    backends.push(a, b);
    balancer.add(a.url);
    balancer.add(b.url);
    await closeServer(a.server);
    const first = await put(`${balancer.url}/x`, '{}');
    assert.equal(first.status, 502);
    assert.equal(first.json['errcode'], 'M_UNKNOWN');
    assert.match(String(first.json['error']), /^bad gateway: backend http:\/\/127\.0\.0\.1:\d+ failed: ECONNREFUSED$/);
    const next = [await put(`${balancer.url}/x`, '{}'), await put(`${balancer.url}/x`, '{}')];
    assert.deepEqual(next.map((r) => r.json['name']), ['b', 'b'], 'the failed backend is out of the rotation');
    assert.equal(balancer.stats.badGateway, 1);
  });

  it('stops sending to a removed backend, and answers 502 when it has none', async () => {
    const a = await backend('a');
    backends.push(a);
    balancer.add(a.url);
    assert.equal((await put(`${balancer.url}/x`, '{}')).status, 200);
    balancer.remove(a.url);
    const none = await put(`${balancer.url}/x`, '{}');
    assert.equal(none.status, 502);
    assert.equal(none.json['error'], 'bad gateway: no backend is up');
    assert.equal(a.seen.length, 1);
  });

  it('the test homeserver retries a transaction answered 502 with the same txnId and body until a backend answers', async () => {
    const registration = { ...fixtureRegistration(), url: balancer.url };
    const hs = await TestHomeserver.start({ appservice: registration, retryBaseMs: 20, retryMaxMs: 100 });
    try {
      const alice = await hs.registerUser('alice');
      const bot = `@${registration.sender_localpart}:localhost`;
      const roomId = await alice.client.createRoom({ invite: [bot] });
      await hs.appserviceClient().join(roomId);
      const up = await backend('a');
      backends.push(up);
      balancer.add(up.url);
      await hs.waitForPushIdle();
      // Down: no backend. Messages sent meanwhile wait behind the failing transaction.
      balancer.remove(up.url);
      const from = hs.transactionsSent.length;
      await alice.client.sendText(roomId, 'while the bridge is down');
      await hs.waitForTransaction((t) => t.attempt >= 3);
      balancer.add(up.url);
      await hs.waitForPushIdle();
      const failed = hs.transactionsSent.slice(from).filter((t) => t.outcome.kind === 'answered' && t.outcome.status === 502);
      assert.ok(failed.length >= 2);
      const txnId = failed[0]!.txnId;
      assert.ok(failed.every((t) => t.txnId === txnId), 'every retry under the same txnId');
      const delivered = up.seen.filter((s) => s.path.split('?')[0] === `/_matrix/app/v1/transactions/${txnId}`);
      assert.equal(delivered.length, 1);
      // The same events every time (only `age` is counted again at each attempt, as Synapse does).
      const withoutAge = (body: unknown) => JSON.stringify(body, (k, v: unknown) => (k === 'age' ? undefined : v));
      for (const attempt of failed) assert.equal(withoutAge(attempt.body), withoutAge(JSON.parse(delivered[0]!.body)), 'the same body as the failed attempts');
      const bodies = (JSON.parse(delivered[0]!.body) as { events: Array<{ content: { body?: string } }> }).events.map((e) => e.content.body);
      assert.deepEqual(bodies, ['while the bridge is down']);
    } finally {
      await hs.stop();
    }
  });
});
