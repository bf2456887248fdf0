import assert from 'node:assert/strict';
import { transactionIdOf } from '../../src/appservice/routes/transactions.js';
import { startEndpoint, HS_TOKEN, type Endpoint } from '../helpers/endpoint.js';

interface Route { method: string; path: string; body?: unknown }

const V1 = '/_matrix/app/v1';
const ROUTES: Route[] = [
  { method: 'PUT', path: `${V1}/transactions/1`, body: { events: [] } },
  { method: 'GET', path: `${V1}/users/%40_x_bob%3Alocalhost` },
  { method: 'GET', path: `${V1}/rooms/%23_x_room%3Alocalhost` },
  { method: 'GET', path: `${V1}/thirdparty/protocol/irc` },
  { method: 'GET', path: `${V1}/thirdparty/user/irc` },
  { method: 'GET', path: `${V1}/thirdparty/location/irc` },
  { method: 'GET', path: `${V1}/thirdparty/user?userid=x` },
  { method: 'GET', path: `${V1}/thirdparty/location?alias=x` },
  { method: 'POST', path: `${V1}/ping`, body: {} },
  { method: 'PUT', path: '/transactions/1', body: { events: [] } },
  { method: 'GET', path: '/users/%40_x_bob%3Alocalhost' },
  { method: 'GET', path: '/rooms/%23_x_room%3Alocalhost' },
];

async function call(endpoint: Endpoint, route: Route, auth: { header?: string; query?: string }, rawBody?: string) {
  const url = new URL(endpoint.url + route.path);
  if (auth.query !== undefined) url.searchParams.set('access_token', auth.query);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (auth.header !== undefined) headers['authorization'] = `Bearer ${auth.header}`;
  const body = rawBody ?? (route.body === undefined ? undefined : JSON.stringify(route.body));
  const res = await fetch(url, { method: route.method, headers, body });
  return { status: res.status, body: (await res.json()) as { errcode?: string; error?: string } };
}

describe('appservice: auth and errors, route by route', () => {
  let endpoint: Endpoint;
  before(async () => {
    endpoint = await startEndpoint({
      queryHandlers: {
        queryUser: async () => true,
        queryAlias: async () => true,
        thirdPartyProtocol: async () => ({ user_fields: ['nick'], location_fields: ['channel'], icon: 'mxc://x/y', field_types: {}, instances: [] }),
        thirdPartyUsers: async (protocol) => [{ userid: '@_x_bob:localhost', protocol: protocol ?? 'irc', fields: {} }],
        thirdPartyLocations: async (protocol) => [{ alias: '#_x_room:localhost', protocol: protocol ?? 'irc', fields: {} }],
      },
      registration: {
        id: 'x', url: null, as_token: 'as', hs_token: HS_TOKEN, sender_localpart: 'bot',
        namespaces: { users: [{ regex: '@_x_.*:localhost', exclusive: true }], aliases: [{ regex: '#_x_.*:localhost', exclusive: true }] },
      },
      maxBodyBytes: 4096,
    });
  });
  after(async () => { await endpoint.close(); });

  it('covers the transaction route (both dialects), not only the router routes', () => {
    const transactions = ROUTES.filter((r) => r.method === 'PUT' && transactionIdOf(r.path) !== undefined).map((r) => r.path);
    assert.deepEqual(transactions, [`${V1}/transactions/1`, '/transactions/1']);
  });

  for (const route of ROUTES) {
    describe(`${route.method} ${route.path}`, () => {
      it('accepts the hs_token in the Authorization header', async () => {
        const res = await call(endpoint, route, { header: HS_TOKEN });
        assert.equal(res.status, 200, JSON.stringify(res.body));
      });
      it('accepts the legacy access_token query parameter', async () => {
        assert.equal((await call(endpoint, route, { query: HS_TOKEN })).status, 200);
      });
      it('accepts header and query when they agree', async () => {
        assert.equal((await call(endpoint, route, { header: HS_TOKEN, query: HS_TOKEN })).status, 200);
      });
      it('401 M_UNAUTHORIZED without a token', async () => {
        const res = await call(endpoint, route, {});
        assert.equal(res.status, 401);
        assert.equal(res.body.errcode, 'M_UNAUTHORIZED');
        assert.equal(typeof res.body.error, 'string');
      });
      it('403 M_FORBIDDEN with a wrong token (header or query)', async () => {
        for (const auth of [{ header: 'wrong' }, { query: 'wrong' }, { header: `${HS_TOKEN}x` }]) {
          const res = await call(endpoint, route, auth);
          assert.equal(res.status, 403);
          assert.equal(res.body.errcode, 'M_FORBIDDEN');
        }
      });
      it('403 M_FORBIDDEN when header and query disagree', async () => {
        const res = await call(endpoint, route, { header: HS_TOKEN, query: 'other' });
        assert.equal(res.status, 403);
        assert.equal(res.body.errcode, 'M_FORBIDDEN');
      });
      it('405 M_UNRECOGNIZED for a wrong method on the path', async () => {
        const wrong = { ...route, method: route.method === 'GET' ? 'DELETE' : 'GET', body: undefined };
        const res = await call(endpoint, wrong, { header: HS_TOKEN });
        assert.equal(res.status, 405);
        assert.equal(res.body.errcode, 'M_UNRECOGNIZED');
      });
    });
  }

  it('404 M_UNRECOGNIZED for an unknown path', async () => {
    for (const path of ['/', '/_matrix/app/v1/nope', '/_matrix/app/v2/transactions/1', '/_matrix/client/v3/sync']) {
      const res = await call(endpoint, { method: 'GET', path }, { header: HS_TOKEN });
      assert.equal(res.status, 404, path);
      assert.equal(res.body.errcode, 'M_UNRECOGNIZED');
    }
  });

  const txn = ROUTES[0]!;
  it('400 M_NOT_JSON for a body that is not JSON', async () => {
    for (const raw of ['{', 'not json', '']) {
      const res = await call(endpoint, txn, { header: HS_TOKEN }, raw);
      assert.equal(res.status, 400, raw);
      assert.equal(res.body.errcode, 'M_NOT_JSON');
    }
  });

  it('400 M_BAD_JSON naming the field for JSON of the wrong shape', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [[], /body: must be an object/],
      [{}, /events: must be an array/],
      [{ events: [{ type: 'm.room.message' }] }, /events\[0\]\.event_id/],
      [{ events: [{ type: 'm', event_id: '$e', room_id: '!r:x', sender: '@u:x', origin_server_ts: 'now', content: {} }] }, /events\[0\]\.origin_server_ts/],
      [{ events: [], ephemeral: 'x' }, /ephemeral: must be an array/],
      [{ events: [], 'de.sorunome.msc2409.to_device': [{ type: 'x' }] }, /to_device\[0\]\.sender/],
    ];
    for (const [body, pattern] of cases) {
      const res = await call(endpoint, txn, { header: HS_TOKEN }, JSON.stringify(body));
      assert.equal(res.status, 400);
      assert.equal(res.body.errcode, 'M_BAD_JSON');
      assert.match(res.body.error ?? '', pattern);
    }
  });

  it('413 M_TOO_LARGE for a body over the limit, declared or streamed', async () => {
    const big = JSON.stringify({ events: [], pad: 'x'.repeat(5000) });
    const res = await call(endpoint, txn, { header: HS_TOKEN }, big);
    assert.equal(res.status, 413);
    assert.equal(res.body.errcode, 'M_TOO_LARGE');
  });

  it('ping answers {} for {"transaction_id": null} and rejects a non-string id', async () => {
    const ping = ROUTES.find((r) => r.path.endsWith('/ping'))!;
    assert.deepEqual((await call(endpoint, ping, { header: HS_TOKEN }, '{"transaction_id": null}')).body, {});
    const bad = await call(endpoint, ping, { header: HS_TOKEN }, '{"transaction_id": 5}');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.errcode, 'M_BAD_JSON');
  });

  it('answers a query for an id outside the namespace 404 without asking the bridge, and a malformed id 400', async () => {
    const outside = await call(endpoint, { method: 'GET', path: `${V1}/users/%40alice%3Alocalhost` }, { header: HS_TOKEN });
    assert.equal(outside.status, 404);
    const malformed = await call(endpoint, { method: 'GET', path: `${V1}/users/alice` }, { header: HS_TOKEN });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.errcode, 'M_INVALID_PARAM');
  });

  it('400 M_MISSING_PARAM for a protocol-less third-party lookup without its parameter', async () => {
    const res = await call(endpoint, { method: 'GET', path: `${V1}/thirdparty/user` }, { header: HS_TOKEN });
    assert.equal(res.status, 400);
    assert.equal(res.body.errcode, 'M_MISSING_PARAM');
  });
});
