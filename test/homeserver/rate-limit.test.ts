import { strict as assert } from 'node:assert';
import { MatrixError } from '../../src/homeserver/index.js';
import { FakeHomeserver, inOrder, matrixError, ok } from './fake-homeserver.js';
import { apiFor, FAST_RETRY } from './setup.js';

describe('homeserver client: rate limiting (429)', () => {
  let fake: FakeHomeserver;
  afterEach(async () => fake.close());

  it('waits for the Retry-After header (seconds), then succeeds', async () => {
    fake = await FakeHomeserver.start(inOrder(
      matrixError(429, 'M_LIMIT_EXCEEDED', { retry_after_ms: 10 }, { 'retry-after': '1' }),
      ok({ event_id: '$sent' }),
    ));
    const api = apiFor(fake);
    const eventId = await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }, { idempotencyKey: 'remote-1' });
    assert.equal(eventId, '$sent');
    assert.equal(fake.received.length, 2);
    const waited = fake.received[1]!.at - fake.received[0]!.at;
    // The header (1 s) wins over the body's 10 ms.
    assert.ok(waited >= 950 && waited < 2_000, `waited ${waited} ms`);
    // The retry is the same request: same txnId path.
    assert.equal(fake.received[1]!.path, fake.received[0]!.path);
  });

  it('waits for retry_after_ms when there is no header', async () => {
    fake = await FakeHomeserver.start(inOrder(matrixError(429, 'M_LIMIT_EXCEEDED', { retry_after_ms: 300 }), ok({ room_id: '!r:example.org' })));
    const api = apiFor(fake);
    await api.membership.join('!r:example.org');
    const waited = fake.received[1]!.at - fake.received[0]!.at;
    assert.ok(waited >= 280 && waited < 1_000, `waited ${waited} ms`);
  });

  it('retries a 429 even on a request that is not idempotent: the server did nothing', async () => {
    fake = await FakeHomeserver.start(inOrder(matrixError(429, 'M_LIMIT_EXCEEDED', { retry_after_ms: 20 }), ok({ room_id: '!new:example.org' })));
    const api = apiFor(fake);
    assert.equal(await api.rooms.createRoom({ preset: 'private_chat' }), '!new:example.org');
    assert.equal(fake.received.length, 2);
  });

  it('falls back on exponential backoff when the 429 says nothing', async () => {
    fake = await FakeHomeserver.start(inOrder({ status: 429, body: 'slow down' }, ok({ event_id: '$e' })));
    const api = apiFor(fake);
    await api.events.send('!r:example.org', 'm.room.message', { body: 'x' });
    assert.equal(fake.received.length, 2);
  });

  it('gives up after the bounded number of tries with M_LIMIT_EXCEEDED', async () => {
    fake = await FakeHomeserver.start(() => matrixError(429, 'M_LIMIT_EXCEEDED', { retry_after_ms: 5 }));
    const api = apiFor(fake);
    const err = await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof MatrixError);
    assert.equal(err.errcode, 'M_LIMIT_EXCEEDED');
    assert.equal(err.status, 429);
    assert.ok(err.isRateLimited);
    assert.equal(err.retryAfterMs, 5);
    assert.equal(fake.received.length, FAST_RETRY.maxAttempts);
  });

  it('hands a wait longer than the budget back to the caller at once', async () => {
    fake = await FakeHomeserver.start(() => matrixError(429, 'M_LIMIT_EXCEEDED', {}, { 'retry-after': '3600' }));
    const api = apiFor(fake);
    const started = Date.now();
    const err = await api.membership.join('!r:example.org').catch((e: unknown) => e);
    assert.ok(err instanceof MatrixError && err.isRateLimited);
    assert.equal(err.retryAfterMs, 3_600_000);
    assert.equal(fake.received.length, 1);
    assert.ok(Date.now() - started < 1_000);
  });
});
