import { strict as assert } from 'node:assert';
import { Store } from '../../src/store/store.js';
import { deriveTxnId } from '../../src/homeserver/index.js';
import { tempDir } from '../helpers/temp.js';
import { FakeHomeserver, inOrder, matrixError, ok } from './fake-homeserver.js';
import { apiFor } from './setup.js';

const ROOM = '!room:example.org';
const ALICE = '@irc_alice:example.org';

describe('homeserver client: idempotent sends', () => {
  let fake: FakeHomeserver;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeEach(async () => { dir = await tempDir('bridgekit-hs-'); });
  afterEach(async () => { await fake.close(); await dir.cleanup(); });

  const txnOf = (path: string) => decodeURIComponent(path.split('/').at(-1)!);

  it('derives one txnId from (user, room, type, key), across a restart, and does not resend after success', async () => {
    // First life: the request reaches the homeserver, but the answer is lost (the process dies).
    fake = await FakeHomeserver.start(inOrder({ destroy: true }, ok({ event_id: '$first' })));
    let store = await Store.open(dir.path);
    const first = apiFor(fake, { store, retry: { maxAttempts: 1 } });
    await assert.rejects(first.events.send(ROOM, 'm.room.message', { body: 'hi' }, { asUser: ALICE, idempotencyKey: 'remote-42' }));
    await store.close();

    // Second life: a new client, a reopened store; the retry carries the same txnId.
    store = await Store.open(dir.path);
    const second = apiFor(fake, { store });
    const eventId = await second.events.send(ROOM, 'm.room.message', { body: 'hi' }, { asUser: ALICE, idempotencyKey: 'remote-42' });
    assert.equal(eventId, '$first');
    assert.equal(fake.received.length, 2);
    const txnId = txnOf(fake.received[0]!.path);
    assert.equal(txnOf(fake.received[1]!.path), txnId);
    assert.equal(txnId, deriveTxnId({ asUser: ALICE, roomId: ROOM, eventType: 'm.room.message', idempotencyKey: 'remote-42' }));
    assert.match(txnId, /^bk[A-Za-z0-9_-]{32}$/);
    await store.close();

    // Third life: the send is recorded, so a repeat is answered without a request.
    store = await Store.open(dir.path);
    const third = apiFor(fake, { store });
    assert.equal(await third.events.send(ROOM, 'm.room.message', { body: 'hi' }, { asUser: ALICE, idempotencyKey: 'remote-42' }), '$first');
    assert.equal(fake.received.length, 2);
    await store.close();
  });

  it('gives different users, rooms, types and keys different txnIds', () => {
    const base = { asUser: ALICE, roomId: ROOM, eventType: 'm.room.message', idempotencyKey: 'k' };
    const ids = new Set([
      deriveTxnId(base),
      deriveTxnId({ ...base, asUser: '@irc_bob:example.org' }),
      deriveTxnId({ ...base, roomId: '!other:example.org' }),
      deriveTxnId({ ...base, eventType: 'm.reaction' }),
      deriveTxnId({ ...base, idempotencyKey: 'k2' }),
    ]);
    assert.equal(ids.size, 5);
  });

  it('without a key, uses a fresh txnId per call and the same one for that call\'s retries', async () => {
    fake = await FakeHomeserver.start(inOrder(matrixError(503, 'M_UNKNOWN'), ok({ event_id: '$a' }), ok({ event_id: '$b' })));
    const api = apiFor(fake);
    await api.events.send(ROOM, 'm.room.message', { body: 'one' });
    await api.events.send(ROOM, 'm.room.message', { body: 'two' });
    const [a, b, c] = fake.received.map((r) => txnOf(r.path));
    assert.equal(a, b);
    assert.notEqual(b, c);
  });

  it('shares one request between concurrent sends with the same key', async () => {
    fake = await FakeHomeserver.start(async () => { await new Promise((r) => setTimeout(r, 50)); return ok({ event_id: '$once' }); });
    const store = await Store.open(dir.path);
    const api = apiFor(fake, { store });
    const sends = [1, 2, 3].map(() => api.events.send(ROOM, 'm.room.message', { body: 'x' }, { idempotencyKey: 'same' }));
    assert.deepEqual(await Promise.all(sends), ['$once', '$once', '$once']);
    assert.equal(fake.received.length, 1);
    await store.close();
  });

  it('redacts an event once per event by default', async () => {
    fake = await FakeHomeserver.start(() => ok({ event_id: '$redaction' }));
    const store = await Store.open(dir.path);
    const api = apiFor(fake, { store });
    await api.events.redact(ROOM, '$target', { reason: 'deleted remotely' });
    await api.events.redact(ROOM, '$target');
    assert.equal(fake.received.length, 1);
    assert.match(fake.received[0]!.path, /^\/_matrix\/client\/v3\/rooms\/!room%3Aexample.org\/redact\/%24target\/bk/);
    assert.deepEqual(fake.json(0), { reason: 'deleted remotely' });
    await store.close();
  });
});
