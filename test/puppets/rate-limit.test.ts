import { strict as assert } from 'node:assert';
import { ALICE_PUPPET, Harness, startWithJoinedRoom } from './harness.js';

const SEND = '/send/';

describe('puppets: rate limits', () => {
  let h: Harness;
  let roomId: string;
  beforeEach(async () => {
    ({ h, roomId } = await startWithJoinedRoom());
  });
  afterEach(() => h.close());

  it('waits as long as Retry-After says, then sends once', async () => {
    h.hs.rateLimitNext({ path: SEND, retryAfterMs: 1_000, header: true, body: false });
    const mark = h.mark();
    const started = Date.now();
    const eventId = await h.puppets.get(ALICE_PUPPET).sendText(roomId, 'after the header');
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
    assert.deepEqual(h.requestsSince(mark, SEND).map((r) => r.status), [429, 200]);
    assert.equal(h.hs.events(roomId).filter((e) => e.event_id === eventId).length, 1);
  });

  it('waits as long as retry_after_ms says, then sends once', async () => {
    h.hs.rateLimitNext({ path: SEND, retryAfterMs: 400, header: false, body: true, count: 2 });
    const mark = h.mark();
    const started = Date.now();
    await h.puppets.get(ALICE_PUPPET).sendText(roomId, 'after the body', { idempotencyKey: 'k' });
    const waited = Date.now() - started;
    assert.ok(waited >= 780, `waited ${waited} ms`);
    assert.deepEqual(h.requestsSince(mark, SEND).map((r) => r.status), [429, 429, 200]);
    assert.equal(h.hs.events(roomId).filter((e) => e.content['body'] === 'after the body').length, 1);
  });

  it('retries rate-limited joins and state changes too', async () => {
    h.hs.rateLimitNext({ path: '/join/', retryAfterMs: 100, header: false });
    h.hs.rateLimitNext({ path: '/state/m.room.topic', retryAfterMs: 100, header: false });
    await h.puppets.get('@test_carl:localhost').ensureJoined(roomId);
    await h.puppets.bot.setState(roomId, 'm.room.topic', '', { topic: 'patience' });
    assert.equal(h.hs.memberships(roomId)['@test_carl:localhost'], 'join');
    assert.equal(h.hs.stateEvent(roomId, 'm.room.topic')?.content['topic'], 'patience');
  });
});
