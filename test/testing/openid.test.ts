import { strict as assert } from 'node:assert';
import { TestHomeserver, type TestUser } from '../../src/testing/index.js';
import { raw } from './helpers.js';

const userinfo = (hs: TestHomeserver, token?: string) =>
  raw(`${hs.url}/_matrix/federation/v1/openid/userinfo${token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`}`, 'GET');

describe('testing/TestHomeserver: OpenID tokens (Synapse 1.94 IdTokenServlet and OpenIdUserInfo)', () => {
  let hs: TestHomeserver;
  let alice: TestUser;

  afterEach(() => hs.stop());

  describe('with the default lifetime', () => {
    beforeEach(async () => {
      hs = await TestHomeserver.start();
      alice = await hs.registerUser('alice');
    });

    it('issues a one-hour token that userinfo exchanges for the user id', async () => {
      const token = await alice.client.requestOpenIdToken(alice.userId);
      assert.equal(token.token_type, 'Bearer');
      assert.equal(token.matrix_server_name, 'localhost');
      assert.equal(token.expires_in, 3600);
      assert.match(token.access_token, /^[A-Za-z]{24}$/);
      const info = await userinfo(hs, token.access_token);
      assert.equal(info.status, 200);
      assert.deepEqual(info.body, { sub: alice.userId });
    });

    it('refuses tokens for another user, and bodies that are not a JSON object', async () => {
      const bob = await hs.registerUser('bob');
      const other = await raw(`${hs.url}/_matrix/client/v3/user/${encodeURIComponent(bob.userId)}/openid/request_token`, 'POST', alice.accessToken, {});
      assert.deepEqual([other.status, other.body['errcode'], other.body['error']], [403, 'M_FORBIDDEN', 'Cannot request tokens for other users.']);
      const path = `${hs.url}/_matrix/client/v3/user/${encodeURIComponent(alice.userId)}/openid/request_token`;
      const empty = await raw(path, 'POST', alice.accessToken);
      assert.deepEqual([empty.status, empty.body['errcode']], [400, 'M_NOT_JSON']);
      const list = await raw(path, 'POST', alice.accessToken, []);
      assert.deepEqual([list.status, list.body['errcode']], [400, 'M_BAD_JSON']);
      const none = await raw(path, 'POST', undefined, {});
      assert.deepEqual([none.status, none.body['errcode']], [401, 'M_MISSING_TOKEN']);
    });

    it('answers userinfo without a token or with an unknown one as Synapse does, and ignores the Authorization header', async () => {
      const missing = await userinfo(hs);
      assert.deepEqual([missing.status, missing.body], [401, { errcode: 'M_MISSING_TOKEN', error: 'Access Token required' }]);
      const unknown = await userinfo(hs, 'nosuchtoken');
      assert.deepEqual([unknown.status, unknown.body], [401, { errcode: 'M_UNKNOWN_TOKEN', error: 'Access Token unknown or expired' }]);
      // An access token is not an OpenID token.
      const accessToken = await userinfo(hs, alice.accessToken);
      assert.equal(accessToken.status, 401);
      const token = await alice.client.requestOpenIdToken(alice.userId);
      const header = await raw(`${hs.url}/_matrix/federation/v1/openid/userinfo`, 'GET', token.access_token);
      assert.deepEqual([header.status, header.body['errcode']], [401, 'M_MISSING_TOKEN']);
    });

    it('lets the appservice request a token for a user it masquerades as', async () => {
      hs = await restartWithAppservice(hs);
      const ghost = '@_t_ghost:localhost';
      await hs.appserviceClient().request('POST', '/_matrix/client/v3/register', { type: 'm.login.application_service', username: '_t_ghost', inhibit_login: true });
      const token = await hs.appserviceClient(ghost).requestOpenIdToken(ghost);
      assert.deepEqual((await userinfo(hs, token.access_token)).body, { sub: ghost });
    });
  });

  it('stops accepting a token once its lifetime is over', async () => {
    hs = await TestHomeserver.start({ openIdTokenLifetimeMs: 1_000 });
    alice = await hs.registerUser('alice');
    const token = await alice.client.requestOpenIdToken(alice.userId);
    assert.equal(token.expires_in, 1);
    assert.equal((await userinfo(hs, token.access_token)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const expired = await userinfo(hs, token.access_token);
    assert.deepEqual([expired.status, expired.body['errcode']], [401, 'M_UNKNOWN_TOKEN']);
  });
});

async function restartWithAppservice(old: TestHomeserver): Promise<TestHomeserver> {
  await old.stop();
  return TestHomeserver.start({
    appservice: {
      id: 't', url: null, as_token: 'as-token-openid', hs_token: 'hs-token-openid', sender_localpart: 'tbot',
      namespaces: { users: [{ exclusive: true, regex: '@_t_.*:localhost' }], aliases: [], rooms: [] },
    },
  });
}
