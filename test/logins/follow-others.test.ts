import assert from 'node:assert/strict';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import type { LoginSupport, LoginWithCredentials, UserLogin } from '../../src/logins/contract.js';
import { CredentialsKey } from '../../src/logins/credentials-key.js';
import { LoginManager } from '../../src/logins/login-manager.js';
import { LoginStore } from '../../src/logins/login-store.js';
import { Permissions } from '../../src/permissions/index.js';
import type { PluginContext } from '../../src/plugin/contract.js';
import { Sections, Store } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp.js';
import { LoginPluginProbe, loginPlugin } from './login-plugin.js';

// Cluster mode (issue #21): two processes share one store. "Process A" runs the login flows;
// "process B" learns of A's changes through followOthers (the bridge calls it every pollSeconds).

const KEY = CredentialsKey.fromSecret('a-test-key-that-is-long-enough-0123456789');
const ALICE = '@alice:example.org';

/** Process B's side of the plugin: records what it is asked to do. */
class Standby implements LoginSupport {
  readonly flows = [];
  readonly connected: LoginWithCredentials[] = [];
  readonly disconnected: UserLogin[] = [];
  readonly loggedOut: UserLogin[] = [];
  begin(): never { throw new Error('no flows in process B'); }
  async connect(login: LoginWithCredentials): Promise<void> { this.connected.push(login); }
  async logout(login: UserLogin): Promise<void> { this.loggedOut.push(login); }
  async disconnect(login: UserLogin): Promise<void> { this.disconnected.push(login); }
}

describe('logins: several processes on one store (followOthers)', () => {
  it('a login added, changed and removed in one process is taken up by another: connected, its state seen, let go', async () => {
    const dir = await tempDir('bridgekit-logins-follow-');
    const store = await Store.open(dir.path);
    try {
      const permissions = new Permissions({ 'example.org': 'user', '*': 'relay' });
      const common = { permissions, tellUser: async () => undefined, commandPrefix: '!', stepTimeoutMs: 60_000 };
      const probe = new LoginPluginProbe();
      const a = new LoginManager({ ...common, support: loginPlugin(probe).logins!, store: await LoginStore.open(store.section(Sections.logins), KEY), logger: silentLogger() });
      probe.ctx = { logins: a } as unknown as PluginContext;
      const standby = new Standby();
      const logs: string[] = [];
      const b = new LoginManager({
        ...common, support: standby, store: await LoginStore.open(store.section(Sections.logins), KEY),
        logger: createLogger({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
      });

      const started = await a.start(ALICE, 'password');
      await a.submit(ALICE, started.processId, { username: 'alice', password: 'p4ss-w0rd-xyz' });
      const [login] = a.list(ALICE);
      assert.ok(login);
      assert.deepEqual(b.list(ALICE), [], 'B has not read the store since');

      await b.followOthers();
      assert.deepEqual(b.list(ALICE).map((l) => l.id), [login.id]);
      assert.deepEqual(standby.connected.map((l) => [l.id, l.credentials['password']]), [[login.id, 'p4ss-w0rd-xyz']], 'B connects it too (its lease runs it once)');
      assert.equal(b.get(login.id)?.status.state, 'connected');

      await a.report(login.id, 'transient_disconnect', 'netsplit');
      await b.followOthers();
      assert.equal(b.get(login.id)?.status.state, 'transient_disconnect');
      assert.equal(standby.connected.length, 1, 'a changed login is not connected again');

      await b.followOthers();
      assert.equal(standby.connected.length, 1, 'nothing changed: nothing done');

      await a.logout(ALICE, login.id);
      await b.followOthers();
      assert.deepEqual(b.list(ALICE), []);
      assert.deepEqual(standby.disconnected.map((l) => l.id), [login.id]);
      assert.deepEqual(standby.loggedOut, [], 'the remote logout ran once, in A');
      assert.ok(logs.some((line) => line.includes('login removed by another process')));
      assert.ok(!logs.join('\n').includes('p4ss-w0rd-xyz'), 'no credentials in the log');
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });

  it('a write of B is not taken for a change of A: B reads nothing back', async () => {
    const dir = await tempDir('bridgekit-logins-follow-');
    const store = await Store.open(dir.path);
    try {
      const loginStore = await LoginStore.open(store.section(Sections.logins), KEY);
      const saved = await loginStore.save(ALICE, 'password', { remoteId: 'alice', remoteName: 'alice', credentials: { password: 'x' } });
      await loginStore.setStatus(saved.id, { state: 'connected', since: 1 });
      assert.deepEqual(await loginStore.refresh(), { added: [], removed: [], changed: [] });
      const other = await LoginStore.open(store.section(Sections.logins), KEY);
      await other.delete(saved.id);
      const changes = await loginStore.refresh();
      assert.deepEqual(changes.removed.map((l) => l.id), [saved.id]);
      assert.equal(loginStore.get(saved.id), undefined);
    } finally {
      await store.close();
      await dir.cleanup();
    }
  });
});
