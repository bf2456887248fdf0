import { strict as assert } from 'node:assert';
import { HomeserverApi, MatrixError, NetworkError, RequestTimeoutError, isOutcomeUnknown } from '../../src/homeserver/index.js';
import { freePort } from '../helpers/net.js';
import { FakeHomeserver, inOrder, matrixError, ok } from './fake-homeserver.js';
import { apiFor, AS_TOKEN, BOT, FAST_RETRY } from './setup.js';

describe('homeserver client: what is retried and what is not', () => {
  let fake: FakeHomeserver;
  afterEach(async () => fake?.close());

  it('retries a 500 on an idempotent PUT, with the same txnId', async () => {
    fake = await FakeHomeserver.start(inOrder(matrixError(500, 'M_UNKNOWN'), { status: 502, body: '<html>bad gateway</html>' }, ok({ event_id: '$e' })));
    const api = apiFor(fake);
    assert.equal(await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }), '$e');
    assert.equal(fake.received.length, 3);
    assert.equal(new Set(fake.received.map((r) => r.path)).size, 1, 'every attempt reuses the txnId');
  });

  it('does not retry a 500 on a non-idempotent POST (invite, createRoom)', async () => {
    fake = await FakeHomeserver.start(() => matrixError(500, 'M_UNKNOWN'));
    const api = apiFor(fake);
    await assert.rejects(api.membership.invite('!r:example.org', '@someone:example.org'), (err: unknown) => err instanceof MatrixError && err.status === 500);
    assert.equal(fake.received.length, 1);
    await assert.rejects(api.rooms.createRoom({}), MatrixError);
    assert.equal(fake.received.length, 2);
  });

  it('retries a 500 on join, which is effectively idempotent', async () => {
    fake = await FakeHomeserver.start(inOrder(matrixError(500, 'M_UNKNOWN'), ok({ room_id: '!r:example.org' })));
    const api = apiFor(fake);
    assert.equal(await api.membership.join('#alias:example.org', { via: ['example.org'] }), '!r:example.org');
    assert.equal(fake.received.length, 2);
    assert.deepEqual(fake.received[0]!.query.getAll('via'), ['example.org']);
  });

  it('does not retry client errors (403)', async () => {
    fake = await FakeHomeserver.start(() => matrixError(403, 'M_FORBIDDEN'));
    const api = apiFor(fake);
    const err = await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof MatrixError && err.isForbidden);
    assert.equal(fake.received.length, 1);
  });

  it('retries when the connection is refused (nothing was sent), even a POST, and reports it', async () => {
    fake = await FakeHomeserver.start(() => ok());
    const port = await freePort();
    const statuses: unknown[] = [];
    const api = new HomeserverApi({
      baseUrl: `http://127.0.0.1:${port}`, asToken: AS_TOKEN, botUserId: BOT, appserviceId: 'x', retry: FAST_RETRY,
      onResponse: (info) => statuses.push(info.status),
    });
    const err = await api.membership.invite('!r:example.org', '@u:example.org').catch((e: unknown) => e);
    assert.deepEqual(statuses, Array(FAST_RETRY.maxAttempts).fill('network'));
    assert.ok(err instanceof NetworkError, String(err));
    assert.equal(err.code, 'ECONNREFUSED');
    assert.equal(err.delivered, false);
    assert.equal(isOutcomeUnknown(err), false);
  });

  it('does not retry a POST whose connection broke mid-request (outcome unknown)', async () => {
    fake = await FakeHomeserver.start(() => ({ destroy: true }));
    const api = apiFor(fake);
    const err = await api.membership.kick('!r:example.org', '@u:example.org').catch((e: unknown) => e);
    assert.ok(err instanceof NetworkError, String(err));
    assert.equal(err.delivered, 'unknown');
    assert.ok(isOutcomeUnknown(err));
    assert.equal(fake.received.length, 1);
  });

  it('retries a GET whose connection broke', async () => {
    fake = await FakeHomeserver.start(inOrder({ destroy: true }, ok({ joined_rooms: ['!a:example.org'] })));
    const api = apiFor(fake);
    assert.deepEqual(await api.membership.joinedRooms(), ['!a:example.org']);
    assert.equal(fake.received.length, 2);
  });

  it('times out a POST once with RequestTimeoutError, told apart from a refusal', async () => {
    fake = await FakeHomeserver.start(() => ({ hang: true }));
    const api = apiFor(fake);
    const started = Date.now();
    const err = await api.membership.invite('!r:example.org', '@u:example.org', { timeoutMs: 200 }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestTimeoutError, String(err));
    assert.equal(err.timeoutMs, 200);
    assert.equal(err.outcome, 'unknown');
    assert.ok(!(err instanceof MatrixError));
    assert.ok(isOutcomeUnknown(err));
    assert.equal(fake.received.length, 1);
    assert.ok(Date.now() - started < 1_500);
  });

  it('retries an idempotent request that timed out, then reports the timeout', async () => {
    fake = await FakeHomeserver.start(() => ({ hang: true }));
    const api = apiFor(fake);
    const err = await api.membership.join('!r:example.org', { timeoutMs: 100 }).catch((e: unknown) => e);
    assert.ok(err instanceof RequestTimeoutError, String(err));
    assert.equal(fake.received.length, FAST_RETRY.maxAttempts);
  });

  it('stops at once when the caller aborts', async () => {
    fake = await FakeHomeserver.start(() => ({ hang: true }));
    const api = apiFor(fake);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    await assert.rejects(api.rooms.getState('!r:example.org', { signal: controller.signal }), /shutting down/);
    assert.equal(fake.received.length, 1);
  });
});
