import { strict as assert } from 'node:assert';
import { TestHomeserver, TestClientError } from '../../src/testing/index.js';
import { raw, testRegistration } from './helpers.js';

const REGISTER = '/_matrix/client/v3/register';

describe('testing/TestHomeserver: registration and masquerading', () => {
  let hs: TestHomeserver;
  const registration = testRegistration(null);
  const asToken = registration.as_token;

  beforeEach(async () => {
    hs = await TestHomeserver.start({ appservice: registration });
  });
  afterEach(() => hs.stop());

  it('registers a user inside the appservice namespace, with and without login', async () => {
    const inhibited = await raw(`${hs.url}${REGISTER}`, 'POST', asToken, { type: 'm.login.application_service', username: 'test_alice', inhibit_login: true });
    assert.equal(inhibited.status, 200);
    assert.deepEqual(inhibited.body, { user_id: '@test_alice:localhost', home_server: 'localhost' });

    const loggedIn = await raw(`${hs.url}${REGISTER}`, 'POST', asToken, { type: 'm.login.application_service', username: 'test_bob' });
    assert.equal(loggedIn.status, 200);
    assert.equal(typeof loggedIn.body['access_token'], 'string');
    assert.equal(typeof loggedIn.body['device_id'], 'string');
  });

  it('answers M_USER_IN_USE for a taken user ID', async () => {
    const body = { type: 'm.login.application_service', username: 'test_alice', inhibit_login: true };
    assert.equal((await raw(`${hs.url}${REGISTER}`, 'POST', asToken, body)).status, 200);
    const again = await raw(`${hs.url}${REGISTER}`, 'POST', asToken, body);
    assert.equal(again.status, 400);
    assert.equal(again.body['errcode'], 'M_USER_IN_USE');
  });

  it('refuses appservice registration outside its namespaces with M_EXCLUSIVE', async () => {
    const outside = await raw(`${hs.url}${REGISTER}`, 'POST', asToken, { type: 'm.login.application_service', username: 'mallory' });
    assert.equal(outside.status, 400);
    assert.equal(outside.body['errcode'], 'M_EXCLUSIVE');
  });

  it('refuses normal registration inside the exclusive namespace, allows it outside', async () => {
    const dummy = { auth: { type: 'm.login.dummy' } };
    const inside = await raw(`${hs.url}${REGISTER}`, 'POST', undefined, { ...dummy, username: 'test_eve' });
    assert.equal(inside.body['errcode'], 'M_EXCLUSIVE');
    const uia = await raw(`${hs.url}${REGISTER}`, 'POST', undefined, { username: 'carol' });
    assert.equal(uia.status, 401);
    assert.ok(Array.isArray(uia.body['flows']));
    const outside = await raw(`${hs.url}${REGISTER}`, 'POST', undefined, { ...dummy, username: 'carol' });
    assert.equal(outside.status, 200);
    assert.equal(outside.body['user_id'], '@carol:localhost');
    await assert.rejects(hs.registerUser('test_zed'), /M_EXCLUSIVE/);
  });

  it('masquerades with ?user_id= inside the namespace and refuses it outside', async () => {
    const bot = hs.appserviceClient();
    assert.equal(await bot.whoami(), '@testbot:localhost');
    await raw(`${hs.url}${REGISTER}`, 'POST', asToken, { type: 'm.login.application_service', username: 'test_alice', inhibit_login: true });
    assert.equal(await bot.as('@test_alice:localhost').whoami(), '@test_alice:localhost');

    const alice = await hs.registerUser('alice');
    for (const target of ['@alice:localhost', '@test_unregistered:localhost']) {
      const error = await bot.as(target).whoami().then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof TestClientError);
      assert.equal(error.status, 403);
      assert.equal(error.errcode, 'M_FORBIDDEN');
    }
    // A normal user's user_id parameter means nothing.
    assert.equal(await alice.client.as('@bob:localhost').whoami(), '@alice:localhost');
  });

  it('answers M_MISSING_TOKEN and M_UNKNOWN_TOKEN with 401', async () => {
    const missing = await raw(`${hs.url}/_matrix/client/v3/account/whoami`, 'GET');
    assert.equal(missing.status, 401);
    assert.equal(missing.body['errcode'], 'M_MISSING_TOKEN');
    const unknown = await raw(`${hs.url}/_matrix/client/v3/account/whoami`, 'GET', 'nope');
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body['errcode'], 'M_UNKNOWN_TOKEN');
  });

  it('serves /versions and answers M_UNRECOGNIZED for unknown endpoints', async () => {
    const versions = await raw(`${hs.url}/_matrix/client/versions`, 'GET');
    assert.ok((versions.body['versions'] as string[]).includes('v1.7'));
    const unknown = await raw(`${hs.url}/_matrix/client/v3/nothing/here`, 'GET');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body['errcode'], 'M_UNRECOGNIZED');
  });
});
