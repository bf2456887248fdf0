import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../src/log/logger.js';
import { BridgeLogins } from '../../src/logins/bridge-logins.js';
import { CredentialsKey } from '../../src/logins/credentials-key.js';
import { LoginError } from '../../src/logins/errors.js';
import { LoginManager } from '../../src/logins/login-manager.js';
import { LoginKeyError, LoginStore } from '../../src/logins/login-store.js';
import { Permissions } from '../../src/permissions/index.js';
import { Sections, Store } from '../../src/store/index.js';
import { waitUntil } from '../../src/testing/index.js';
import { LoginPluginProbe, loginPlugin } from './login-plugin.js';
import type { PluginContext } from '../../src/plugin/contract.js';

const KEY = 'a-test-key-that-is-long-enough-0123456789';
const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';

async function rejectsWith(promise: Promise<unknown>, errcode: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof LoginError, String(err));
    assert.equal(err.errcode, errcode);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe('login service and store', () => {
  let dir: string;
  let store: Store;
  let logs: string[];
  let probe: LoginPluginProbe;
  let told: Array<[string, string]>;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bk-logins-'));
    store = await Store.open(join(dir, 'store'));
    logs = [];
    told = [];
    probe = new LoginPluginProbe();
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function manager(key: CredentialsKey | 'none' = CredentialsKey.fromSecret(KEY), stepTimeoutMs = 60_000): Promise<LoginManager> {
    const loginStore = await LoginStore.open(store.section(Sections.logins), key === 'none' ? undefined : key);
    const plugin = loginPlugin(probe);
    const m = new LoginManager({
      support: plugin.logins!, store: loginStore, permissions: new Permissions({ 'example.org': 'user', '*': 'relay' }),
      tellUser: async (userId, text) => { told.push([userId, text]); }, commandPrefix: '!', stepTimeoutMs,
      logger: createLogger({ level: 'trace' }, { write: (line: string) => void logs.push(line) }),
    });
    probe.ctx = { logins: m } as unknown as PluginContext;
    return m;
  }

  describe('the service', () => {
    it('runs a flow to a stored, connected login, and never logs the password', async () => {
      const m = await manager();
      const started = await m.start(ALICE, 'password');
      assert.equal(started.step.kind, 'input');
      const done = await m.submit(ALICE, started.processId, { username: 'alice', password: 'p4ss-w0rd-xyz' });
      assert.equal(done.step.kind, 'complete');
      const [login] = m.list(ALICE);
      assert.equal(login!.remoteName, 'alice on Testnet');
      assert.equal(login!.status.state, 'connected');
      assert.ok(!('credentials' in login!));
      assert.ok(logs.length > 0);
      assert.ok(!logs.some((line) => line.includes('p4ss-w0rd-xyz')));
      // The process is over.
      await rejectsWith(m.submit(ALICE, started.processId, { username: 'alice', password: 'x' }), 'M_NOT_FOUND');
    });

    it('censors a login\'s credentials when a plugin logs the login', async () => {
      const m = await manager();
      const s = await m.start(ALICE, 'password');
      await m.submit(ALICE, s.processId, { username: 'alice', password: 'x' });
      const login = probe.connected[0]!;
      const lines: string[] = [];
      const log = createLogger({ level: 'info' }, { write: (line: string) => void lines.push(line) });
      log.info({ login: { ...login, credentials: { sessionCookie: 'cookie-secret-123' } } }, 'connecting');
      assert.equal(lines.length, 1);
      assert.doesNotMatch(lines[0]!, /cookie-secret-123/);
      assert.match(lines[0]!, /"credentials":"\[redacted\]"/);
    });

    it('refuses users without the user permission, unknown flows and others\' processes', async () => {
      const m = await manager();
      await rejectsWith(m.start('@eve:elsewhere.net', 'password'), 'M_FORBIDDEN');
      await rejectsWith(m.start(ALICE, 'carrier-pigeon'), 'M_NOT_FOUND');
      const started = await m.start(ALICE, 'password');
      await rejectsWith(m.submit(BOB, started.processId, { username: 'bob', password: 'x' }), 'M_NOT_FOUND');
      await rejectsWith(m.logout(BOB, 'nope'), 'M_NOT_FOUND');
    });

    it('checks the fields: missing, not matching, and takes no input on a display step', async () => {
      const m = await manager();
      const started = await m.start(ALICE, 'password');
      await rejectsWith(m.submit(ALICE, started.processId, { username: 'alice' }), 'M_INVALID_PARAM', /Password \(password\) is missing/);
      await rejectsWith(m.submit(ALICE, started.processId, { username: 'Alice!', password: 'x' }), 'M_INVALID_PARAM', /not valid/);
      // The step stays: a right answer still works.
      assert.equal((await m.submit(ALICE, started.processId, { username: 'alice', password: 'x' })).step.kind, 'complete');
      const code = await m.start(ALICE, 'code');
      await rejectsWith(m.submit(ALICE, code.processId, {}), 'M_INVALID_PARAM', /takes no input/);
    });

    it('passes the plugin\'s own refusal on, and turns its failure into M_UNKNOWN ending the process', async () => {
      const m = await manager();
      const a = await m.start(ALICE, 'password');
      await rejectsWith(m.submit(ALICE, a.processId, { username: 'refused', password: 'x' }), 'M_FORBIDDEN', /may not log in here/);
      const b = await m.start(ALICE, 'password');
      await rejectsWith(m.submit(ALICE, b.processId, { username: 'crash', password: 'x' }), 'M_UNKNOWN', /the remote network is down/);
      await rejectsWith(m.submit(ALICE, b.processId, { username: 'alice', password: 'x' }), 'M_NOT_FOUND');
      assert.deepEqual(probe.cancelled, [ALICE]);
    });

    it('limits the processes under way per user', async () => {
      const m = await manager();
      for (let i = 0; i < 3; i++) await m.start(ALICE, 'password');
      await rejectsWith(m.start(ALICE, 'password'), 'M_LIMIT_EXCEEDED');
      await m.start(BOB, 'password');
    });

    it('cancels a process that waits too long for its next step', async () => {
      const m = await manager(undefined, 50);
      const started = await m.start(ALICE, 'password');
      await waitUntil(() => probe.cancelled.length === 1, 5_000, 'the timeout');
      await rejectsWith(m.submit(ALICE, started.processId, { username: 'alice', password: 'x' }), 'M_NOT_FOUND');
    });

    it('replaces a login to the same remote account, keeping its id; several accounts are several logins', async () => {
      const m = await manager();
      for (const username of ['alice', 'alice', 'alt']) {
        const s = await m.start(ALICE, 'password');
        await m.submit(ALICE, s.processId, { username, password: `pw-${username}` });
      }
      assert.deepEqual(m.list(ALICE).map((l) => l.remoteId).sort(), ['alice', 'alt']);
    });

    it('tells the user once per change when a login needs them', async () => {
      const m = await manager();
      const s = await m.start(ALICE, 'password');
      const done = await m.submit(ALICE, s.processId, { username: 'alice', password: 'x' });
      assert.equal(done.step.kind, 'complete');
      const id = m.list(ALICE)[0]!.id;
      await m.report(id, 'logged_out', 'session ended');
      await m.report(id, 'logged_out', 'session ended');
      await m.report(id, 'transient_disconnect');
      assert.equal(told.length, 1);
      assert.equal(told[0]![0], ALICE);
      assert.match(told[0]![1], /needs you: it was logged out \(session ended\)/);
      assert.deepEqual(m.stateCounts(), { connecting: 0, connected: 0, transient_disconnect: 1, bad_credentials: 0, logged_out: 0, unknown_error: 0 });
    });

    it('without a key, refuses to start a login', async () => {
      const m = await manager('none');
      await rejectsWith(m.start(ALICE, 'password'), 'M_FORBIDDEN', /logins\.encryptionKey/);
    });
  });

  describe('the key', () => {
    async function storeOneLogin(): Promise<void> {
      const m = await manager();
      const s = await m.start(ALICE, 'password');
      await m.submit(ALICE, s.processId, { username: 'alice', password: 'x' });
    }

    it('refuses to open stored logins without a key, or with another key', async () => {
      await storeOneLogin();
      await assert.rejects(LoginStore.open(store.section(Sections.logins), undefined), (err: unknown) =>
        err instanceof LoginKeyError && /1 login\(s\) are stored but no key/.test(err.message));
      await assert.rejects(LoginStore.open(store.section(Sections.logins), CredentialsKey.fromSecret('another-key-that-is-long-enough-987654321')), (err: unknown) =>
        err instanceof LoginKeyError && /not the one the stored logins were encrypted with/.test(err.message));
      const again = await LoginStore.open(store.section(Sections.logins), CredentialsKey.fromSecret(KEY));
      assert.equal(again.withCredentials(again.all()[0]!.id)!.credentials['password'], 'x');
    });

    it('reads the key from a file, and the bridge\'s login part refuses to open with a wrong one', async () => {
      await storeOneLogin();
      const file = join(dir, 'key');
      await writeFile(file, `${KEY}\n`);
      const options = {
        support: loginPlugin(probe).logins!, store, permissions: new Permissions(), bot: { sendNotice: async () => '', redact: async () => '' },
        commandPrefix: '!', tellUser: async () => undefined, isPortal: async () => false, logger: createLogger({ level: 'silent' }),
      };
      await BridgeLogins.open({ ...options, config: { encryptionKeyFile: file, stepTimeoutSeconds: 60 } });
      await writeFile(file, 'a-different-key-that-is-long-enough-000000');
      await assert.rejects(BridgeLogins.open({ ...options, config: { encryptionKeyFile: file, stepTimeoutSeconds: 60 } }), LoginKeyError);
      await assert.rejects(BridgeLogins.open({ ...options, config: { encryptionKeyFile: join(dir, 'missing'), stepTimeoutSeconds: 60 } }), /cannot read logins\.encryptionKeyFile .*ENOENT/);
    });

    it('binds a stored login\'s credentials to its user and remote account: a record edited to another user does not open', async () => {
      await storeOneLogin();
      const section = store.section(Sections.logins);
      const [key, record] = (await section.iterator({ gte: 'login!', lt: 'login!\uffff' }).all())[0]! as [string, Record<string, unknown>];
      await section.put(key, { ...record, userId: BOB });
      const opened = await LoginStore.open(section, CredentialsKey.fromSecret(KEY));
      const id = opened.forUser(BOB)[0]!.id;
      assert.throws(() => opened.withCredentials(id), LoginKeyError);
      await section.put(key, { ...record, remoteId: 'bob' });
      const again = await LoginStore.open(section, CredentialsKey.fromSecret(KEY));
      assert.throws(() => again.withCredentials(id), LoginKeyError);
      await section.put(key, record);
      const restored = await LoginStore.open(section, CredentialsKey.fromSecret(KEY));
      assert.equal(restored.withCredentials(id)!.credentials['password'], 'x');
    });

    it('binds each sealed record to its login id', () => {
      const key = CredentialsKey.fromSecret(KEY);
      const sealed = key.seal('{"password":"x"}', 'login-a');
      assert.equal(key.open(sealed, 'login-a'), '{"password":"x"}');
      assert.throws(() => key.open(sealed, 'login-b'));
    });
  });
});
