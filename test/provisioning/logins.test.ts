import { strict as assert } from 'node:assert';
import { createLogger } from '../../src/log/logger.js';
import { TestBridge, waitUntil } from '../../src/testing/index.js';
import { LoginPluginProbe, loginPlugin } from '../logins/login-plugin.js';
import { call, openIdToken, SECRET } from './helpers.js';

const KEY = 'a-test-key-that-is-long-enough-0123456789';
const PASSWORD = 'hunter2-very-secret';

describe('provisioning API: logins (flows, steps, cancel, list, delete, status)', () => {
  let t: TestBridge;
  let probe: LoginPluginProbe;
  const logs: string[] = [];
  const alice = { token: SECRET, userId: '@alice:localhost' };
  const bob = { token: SECRET, userId: '@bob:localhost' };

  before(async () => {
    probe = new LoginPluginProbe();
    t = await TestBridge.start(loginPlugin(probe), {
      config: { provisioning: { enabled: true, sharedSecret: SECRET }, logins: { encryptionKey: KEY }, permissions: { localhost: 'user' } },
      logger: createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(line) }),
    });
  });
  after(() => t.stop());

  it('lists the plugin\'s flows', async () => {
    const flows = await call(t.bridge.url, 'GET', '/login/flows', alice);
    assert.equal(flows.status, 200);
    assert.deepEqual(flows.body, { flows: [
      { id: 'password', name: 'Password', description: 'Your Testnet username and password.' },
      { id: 'code', name: 'Code', description: 'A code to type in the Testnet app.' },
    ] });
  });

  it('runs a password login: the input step, a refused field, completion with the login (never its credentials), then it is listed and connected', async () => {
    const started = await call(t.bridge.url, 'POST', '/login/start/password', { ...alice, body: {} });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const processId = started.body['process_id'] as string;
    assert.equal(started.body['flow_id'], 'password');
    const step = started.body['step'] as Record<string, unknown>;
    assert.equal(step['kind'], 'input');
    assert.deepEqual((step['fields'] as Array<Record<string, unknown>>).map((f) => [f['id'], f['type'], f['optional']]), [['username', 'username', false], ['password', 'password', false]]);

    const wrong = await call(t.bridge.url, 'POST', `/login/step/${processId}`, { ...alice, body: { input: { username: 'Not Valid', password: PASSWORD } } });
    assert.deepEqual([wrong.status, wrong.body['errcode']], [400, 'M_INVALID_PARAM']);
    // Another user cannot step someone's process.
    const stolen = await call(t.bridge.url, 'POST', `/login/step/${processId}`, { ...bob, body: { input: { username: 'bob', password: 'x' } } });
    assert.deepEqual([stolen.status, stolen.body['errcode']], [404, 'M_NOT_FOUND']);

    const done = await call(t.bridge.url, 'POST', `/login/step/${processId}`, { ...alice, body: { input: { username: 'alice', password: PASSWORD } } });
    assert.equal(done.status, 200, JSON.stringify(done.body));
    const complete = done.body['step'] as Record<string, unknown>;
    assert.equal(complete['kind'], 'complete');
    const login = complete['login'] as Record<string, unknown>;
    assert.deepEqual([login['user_id'], login['remote_id'], login['remote_name'], login['flow_id']], ['@alice:localhost', 'alice', 'alice on Testnet', 'password']);
    assert.ok(!JSON.stringify(done.body).includes(PASSWORD));

    await waitUntil(() => probe.connected.length > 0, 5_000, 'the login to connect');
    const listed = await waitUntil(async () => {
      const answer = await call(t.bridge.url, 'GET', '/logins', alice);
      const logins = answer.body['logins'] as Array<Record<string, unknown>>;
      return (logins[0]?.['status'] as Record<string, unknown> | undefined)?.['state'] === 'connected' ? logins : undefined;
    }, 5_000, 'the login to be connected');
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!['id'], login['id']);
    const status = await call(t.bridge.url, 'GET', '/status', alice);
    assert.equal(status.body['logins_supported'], true);
    assert.deepEqual((status.body['logins'] as Array<Record<string, unknown>>).map((l) => l['remote_id']), ['alice']);
    assert.deepEqual((await call(t.bridge.url, 'GET', '/logins', bob)).body, { logins: [] });
  });

  it('runs a display step to its end with /login/wait', async () => {
    const started = await call(t.bridge.url, 'POST', '/login/start/code', { ...bob, body: {} });
    assert.deepEqual((started.body['step'] as Record<string, unknown>)['display'], { type: 'code', data: 'ABC-123' });
    const waiting = call(t.bridge.url, 'POST', `/login/wait/${started.body['process_id'] as string}`, { ...bob, body: {} });
    await waitUntil(() => probe.approveCode, 5_000, 'the wait to reach the plugin');
    probe.approveCode!();
    const done = await waiting;
    assert.equal(done.status, 200, JSON.stringify(done.body));
    assert.equal((done.body['step'] as Record<string, unknown>)['kind'], 'complete');
  });

  it('cancels a process: the plugin is told, and the process is gone', async () => {
    const user = { token: await openIdToken(await t.user('carl')), userId: '@carl:localhost' };
    const started = await call(t.bridge.url, 'POST', '/login/start/password', { ...user, body: {} });
    const processId = started.body['process_id'] as string;
    const cancelled = await call(t.bridge.url, 'POST', `/login/cancel/${processId}`, { ...user, body: {} });
    assert.deepEqual([cancelled.status, cancelled.body], [200, {}]);
    assert.ok(probe.cancelled.includes('@carl:localhost'));
    const after = await call(t.bridge.url, 'POST', `/login/step/${processId}`, { ...user, body: { input: { username: 'carl', password: 'x' } } });
    assert.deepEqual([after.status, after.body['errcode']], [404, 'M_NOT_FOUND']);
  });

  it('answers unknown flows 404 and wrong bodies 400 M_BAD_JSON', async () => {
    const unknown = await call(t.bridge.url, 'POST', '/login/start/nope', { ...alice, body: {} });
    assert.deepEqual([unknown.status, unknown.body['errcode']], [404, 'M_NOT_FOUND']);
    for (const body of [{}, { input: { username: 5 } }, { input: 'x' }, { input: {}, more: 1 }]) {
      const answer = await call(t.bridge.url, 'POST', '/login/step/whatever', { ...alice, body });
      assert.deepEqual([answer.status, answer.body['errcode']], [400, 'M_BAD_JSON'], JSON.stringify(body));
    }
  });

  it('deletes a login: the plugin logs it out; another user\'s login or a second delete is 404', async () => {
    const logins = (await call(t.bridge.url, 'GET', '/logins', alice)).body['logins'] as Array<Record<string, unknown>>;
    const id = logins[0]!['id'] as string;
    const stolen = await call(t.bridge.url, 'DELETE', `/logins/${id}`, bob);
    assert.deepEqual([stolen.status, stolen.body['errcode']], [404, 'M_NOT_FOUND']);
    const gone = await call(t.bridge.url, 'DELETE', `/logins/${id}`, alice);
    assert.deepEqual([gone.status, gone.body], [200, {}]);
    assert.deepEqual(probe.loggedOut.map((l) => l.id), [id]);
    const again = await call(t.bridge.url, 'DELETE', `/logins/${id}`, alice);
    assert.deepEqual([again.status, again.body['errcode']], [404, 'M_NOT_FOUND']);
  });

  it('never logs a password, the shared secret or an OpenID token', async () => {
    const token = await openIdToken(await t.user('dora'));
    await call(t.bridge.url, 'GET', '/nothing', { token });
    await call(t.bridge.url, 'GET', '/status', { token: `${token}x` });
    const text = logs.join('\n');
    assert.ok(logs.length > 0);
    for (const secret of [PASSWORD, SECRET, token.slice('openid:'.length)]) assert.ok(!text.includes(secret), 'a secret reached the log');
  });
});
