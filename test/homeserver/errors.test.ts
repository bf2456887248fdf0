import { strict as assert } from 'node:assert';
import { MatrixError, ResponseFormatError } from '../../src/homeserver/index.js';
import { FakeHomeserver, matrixError, ok } from './fake-homeserver.js';
import { apiFor } from './setup.js';

describe('homeserver client: errors', () => {
  let fake: FakeHomeserver;
  afterEach(async () => fake.close());

  it('turns the standard error response into a MatrixError with its fields', async () => {
    fake = await FakeHomeserver.start(() => matrixError(400, 'M_INCOMPATIBLE_ROOM_VERSION', { room_version: '42' }));
    const api = apiFor(fake);
    const err = await api.membership.join('!r:example.org').catch((e: unknown) => e);
    assert.ok(err instanceof MatrixError);
    assert.equal(err.status, 400);
    assert.equal(err.errcode, 'M_INCOMPATIBLE_ROOM_VERSION');
    assert.equal(err.error, 'M_INCOMPATIBLE_ROOM_VERSION from the fake');
    assert.equal(err.body['room_version'], '42');
    assert.equal(err.method, 'POST');
    assert.equal(err.path, '/_matrix/client/v3/join/!r%3Aexample.org');
    assert.ok(!err.message.includes('user_id'), 'the message names the path without query');
  });

  it('reads a non-JSON error body as M_UNKNOWN with the status', async () => {
    fake = await FakeHomeserver.start(() => ({ status: 404, body: '<html>Not Found</html>' }));
    const api = apiFor(fake);
    const err = await api.account.whoami().catch((e: unknown) => e);
    assert.ok(err instanceof MatrixError);
    assert.equal(err.errcode, 'M_UNKNOWN');
    assert.ok(err.isNotFound);
    assert.match(err.error, /Not Found/);
  });

  it('reports malformed JSON in a success response clearly, without retrying', async () => {
    fake = await FakeHomeserver.start(() => ({ status: 200, body: '{"event_id": "$trunc' }));
    const api = apiFor(fake);
    const err = await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof ResponseFormatError, String(err));
    assert.match(err.message, /PUT \/_matrix\/client\/v3\/rooms\/.*answered 200 with an invalid body: not JSON/);
    assert.equal(fake.received.length, 1);
  });

  it('reports a success body of the wrong shape clearly', async () => {
    fake = await FakeHomeserver.start(() => ok({ event_id: 42 }));
    const api = apiFor(fake);
    const err = await api.events.send('!r:example.org', 'm.room.message', { body: 'x' }).catch((e: unknown) => e);
    assert.ok(err instanceof ResponseFormatError, String(err));
    assert.match(err.message, /response\.event_id/);
  });

  it('classifies errcodes with helpers', () => {
    const make = (status: number, errcode: string) => new MatrixError('GET', '/x', status, errcode, 'e', undefined, {});
    assert.ok(make(403, 'M_FORBIDDEN').isForbidden);
    assert.ok(make(403, 'M_UNKNOWN').isForbidden);
    assert.ok(!make(400, 'M_UNKNOWN').isForbidden);
    assert.ok(make(429, 'M_UNKNOWN').isRateLimited);
    assert.ok(make(400, 'M_LIMIT_EXCEEDED').isRateLimited);
    assert.ok(make(401, 'M_UNKNOWN_TOKEN').isUnknownToken);
    assert.ok(make(400, 'M_USER_IN_USE').isUserInUse);
    assert.ok(make(400, 'M_EXCLUSIVE').isExclusive);
    assert.ok(make(503, 'M_UNKNOWN').isServerError);
  });
});
