import { strict as assert } from 'node:assert';
import type { TestBridge } from '../../src/testing/index.js';
import { call, newAsked, openIdToken, provisioningPlugin, SECRET, startBridge } from './helpers.js';

const userinfoCalls = (t: TestBridge) => t.hs.requests.filter((r) => r.path.startsWith('/_matrix/federation/v1/openid/userinfo')).length;

describe('provisioning API: authentication and permissions', () => {
  let t: TestBridge;

  describe('on a bridge with a shared secret and a permissions map', () => {
    before(async () => {
      t = await startBridge(provisioningPlugin(newAsked()));
    });
    after(() => t.stop());

    it('answers 401 M_MISSING_TOKEN without an Authorization header, or with one that is not Bearer', async () => {
      const none = await call(t.bridge.url, 'GET', '/status');
      assert.deepEqual([none.status, none.body['errcode']], [401, 'M_MISSING_TOKEN']);
      assert.equal(typeof none.body['error'], 'string');
      const basic = await call(t.bridge.url, 'GET', '/status', { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
      assert.deepEqual([basic.status, basic.body['errcode']], [401, 'M_MISSING_TOKEN']);
    });

    it('answers 401 M_UNKNOWN_TOKEN for a wrong token: not the secret, an unknown OpenID token, an access token', async () => {
      const alice = await t.user('alice');
      for (const token of ['not-the-secret', 'openid:NoSuchTokenAtAllHere', `openid:${alice.accessToken}`, `${SECRET}x`]) {
        const answer = await call(t.bridge.url, 'GET', '/status', { token, userId: alice.userId });
        assert.deepEqual([answer.status, answer.body['errcode']], [401, 'M_UNKNOWN_TOKEN'], token);
      }
    });

    it('accepts an OpenID token from the homeserver, with or without user_id, and asks the homeserver once while cached', async () => {
      const alice = await t.user('alice');
      const token = await openIdToken(alice);
      const before = userinfoCalls(t);
      const first = await call(t.bridge.url, 'GET', '/status', { token });
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.equal((first.body['bridge'] as Record<string, unknown>)['plugin'], 'provtest');
      const second = await call(t.bridge.url, 'GET', '/status', { token, userId: alice.userId });
      assert.equal(second.status, 200);
      assert.equal(userinfoCalls(t) - before, 1);
    });

    it('refuses another user\'s OpenID token used with one\'s own user_id (401 M_UNKNOWN_TOKEN)', async () => {
      const alice = await t.user('alice');
      const bob = await t.user('bob');
      const answer = await call(t.bridge.url, 'GET', '/status', { token: await openIdToken(bob), userId: alice.userId });
      assert.deepEqual([answer.status, answer.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);
    });

    it('accepts the shared secret with user_id, and asks for user_id without one (400 M_MISSING_PARAM)', async () => {
      const ok = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: '@someone:localhost' });
      assert.equal(ok.status, 200);
      const missing = await call(t.bridge.url, 'GET', '/status', { token: SECRET });
      assert.deepEqual([missing.status, missing.body['errcode']], [400, 'M_MISSING_PARAM']);
      const bad = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: 'not-a-user' });
      assert.deepEqual([bad.status, bad.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);
    });

    it('answers 403 M_FORBIDDEN for a user the permissions config does not let use the bridge (none, relay only, another server)', async () => {
      const mallory = await t.user('mallory');
      const byOpenId = await call(t.bridge.url, 'GET', '/status', { token: await openIdToken(mallory) });
      assert.deepEqual([byOpenId.status, byOpenId.body['errcode']], [403, 'M_FORBIDDEN']);
      const rita = await t.user('rita');
      const relayOnly = await call(t.bridge.url, 'GET', '/status', { token: await openIdToken(rita) });
      assert.deepEqual([relayOnly.status, relayOnly.body['errcode']], [403, 'M_FORBIDDEN']);
      const elsewhere = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: '@eve:elsewhere.example' });
      assert.deepEqual([elsewhere.status, elsewhere.body['errcode']], [403, 'M_FORBIDDEN']);
    });

    it('refuses OpenID tokens of other servers unless federatedOpenId is on, without asking anyone', async () => {
      const before = t.hs.requests.length;
      const answer = await call(t.bridge.url, 'GET', '/status', { token: 'openid:SomeTokenFromElsewhere', userId: '@eve:elsewhere.example' });
      assert.deepEqual([answer.status, answer.body['errcode']], [403, 'M_FORBIDDEN']);
      assert.equal(t.hs.requests.length, before);
    });

    it('lets only bridge administrators see every login', async () => {
      const admin = await call(t.bridge.url, 'GET', '/status?all=true', { token: SECRET, userId: '@admin:localhost' });
      assert.equal(admin.status, 200);
      const user = await call(t.bridge.url, 'GET', '/status?all=true', { token: SECRET, userId: '@alice:localhost' });
      assert.deepEqual([user.status, user.body['errcode']], [403, 'M_FORBIDDEN']);
    });

    it('serves the OpenAPI document without auth, and answers unknown paths and methods with M_UNRECOGNIZED', async () => {
      const doc = await call(t.bridge.url, 'GET', '/openapi.json');
      assert.equal(doc.status, 200);
      assert.equal(doc.body['openapi'], '3.1.0');
      const unknown = await call(t.bridge.url, 'GET', '/nothing/here', { token: SECRET, userId: '@alice:localhost' });
      assert.deepEqual([unknown.status, unknown.body['errcode']], [404, 'M_UNRECOGNIZED']);
      const method = await call(t.bridge.url, 'DELETE', '/status', { token: SECRET, userId: '@alice:localhost' });
      assert.deepEqual([method.status, method.body['errcode']], [405, 'M_UNRECOGNIZED']);
    });

    it('allows the configured browser origins (CORS), on answers and errors alike, and no others', async () => {
      const preflight = await fetch(`${t.bridge.url}/_matrix/provision/v1/status`, {
        method: 'OPTIONS', headers: { origin: 'https://app.example.org', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://app.example.org');
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
      const refused = await call(t.bridge.url, 'GET', '/status', { headers: { origin: 'https://app.example.org' } });
      assert.equal(refused.status, 401);
      assert.equal(refused.headers.get('access-control-allow-origin'), 'https://app.example.org');
      const other = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: '@alice:localhost', headers: { origin: 'https://evil.example' } });
      assert.equal(other.status, 200);
      assert.equal(other.headers.get('access-control-allow-origin'), null);
    });
  });

  describe('expiry', () => {
    afterEach(() => t.stop());

    it('refuses an OpenID token once it expired on the homeserver and the bridge\'s cache of it ran out (401 M_UNKNOWN_TOKEN)', async () => {
      t = await startBridge(provisioningPlugin(newAsked()), { provisioning: { enabled: true, openIdCacheSeconds: 1 } }, { openIdTokenLifetimeMs: 1_000 });
      const alice = await t.user('alice');
      const token = await openIdToken(alice);
      assert.equal((await call(t.bridge.url, 'GET', '/status', { token })).status, 200);
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      const expired = await call(t.bridge.url, 'GET', '/status', { token });
      assert.deepEqual([expired.status, expired.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);
    });

    it('without a shared secret configured, no bearer token passes as one', async () => {
      t = await startBridge(provisioningPlugin(newAsked()), { provisioning: { enabled: true } });
      const answer = await call(t.bridge.url, 'GET', '/status', { token: SECRET, userId: '@alice:localhost' });
      assert.deepEqual([answer.status, answer.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);
    });
  });

  it('is not there at all unless enabled', async () => {
    t = await startBridge(provisioningPlugin(newAsked()), { provisioning: { enabled: false } });
    try {
      const answer = await call(t.bridge.url, 'GET', '/openapi.json');
      assert.deepEqual([answer.status, answer.body['errcode']], [404, 'M_UNRECOGNIZED']);
    } finally {
      await t.stop();
    }
  });
});
