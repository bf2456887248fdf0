import assert from 'node:assert/strict';
import { join } from 'node:path';
import { CredentialsKey } from '../../src/logins/credentials-key.js';
import { LoginStore } from '../../src/logins/login-store.js';
import { Sections, Store } from '../../src/store/index.js';
import { TestBridge } from '../../src/testing/index.js';
import { bridgekit, OpsHarness } from '../metrics/harness.js';
import { LoginPluginProbe, loginPlugin } from './login-plugin.js';

const KEY = 'a-test-key-that-is-long-enough-0123456789';

describe('login status: metrics and inspect', function () {
  this.timeout(30_000);

  it('counts logins per state in /metrics', async () => {
    const probe = new LoginPluginProbe();
    const t = await TestBridge.start(loginPlugin(probe), {
      config: { metrics: { enabled: true, port: 0 }, logins: { encryptionKey: KEY } },
    });
    try {
      const service = t.bridge.logins!;
      for (const [user, password] of [['@alice:localhost', 'pw'], ['@bob:localhost', 'wrong'], ['@carol:localhost', 'pw']] as const) {
        const started = await service.start(user, 'password');
        await service.submit(user, started.processId, { username: user.slice(1, 4), password });
      }
      await probe.ctx!.logins.report(service.list('@carol:localhost')[0]!.id, 'transient_disconnect', 'server restarting');
      const text = await (await fetch(`${t.bridge.metricsUrl!}/metrics`)).text();
      assert.match(text, /^bridgekit_logins\{state="connected"\} 1$/m);
      assert.match(text, /^bridgekit_logins\{state="bad_credentials"\} 1$/m);
      assert.match(text, /^bridgekit_logins\{state="transient_disconnect"\} 1$/m);
      assert.match(text, /^bridgekit_logins\{state="logged_out"\} 0$/m);
    } finally {
      await t.stop();
    }
  });

  it('bridgekit inspect logins lists each login\'s last state, never its credentials', async () => {
    const h = await OpsHarness.start();
    try {
      const store = await Store.open(join(h.dir.path, 'data'));
      const logins = await LoginStore.open(store.section(Sections.logins), CredentialsKey.fromSecret(KEY));
      const a = await logins.save('@alice:localhost', 'password', { remoteId: 'alice', remoteName: 'alice on Testnet', credentials: { password: 'sekrit-pw' } });
      await logins.setStatus(a.id, { state: 'bad_credentials', message: 'the password was refused', since: Date.UTC(2026, 0, 2) });
      await logins.save('@bob:localhost', 'token', { remoteId: 'bob', remoteName: 'bob on Testnet', credentials: { token: 'sekrit-token' } });
      await store.close();

      const all = await bridgekit(['inspect', 'logins', '-c', h.configPath], h.dir.path);
      assert.equal(all.code, 0, all.stderr);
      assert.match(all.stdout, /^2 login\(s\): 1 bad_credentials, 1 connecting$/m);
      assert.match(all.stdout, new RegExp(`^@alice:localhost  ${a.id}  alice on Testnet \\[alice\\] via password: bad_credentials \\(the password was refused\\) since 2026-01-02T00:00:00.000Z$`, 'm'));
      assert.doesNotMatch(all.stdout, /sekrit/);
      const one = await bridgekit(['inspect', 'logins', '-c', h.configPath, '@bob:localhost'], h.dir.path);
      assert.match(one.stdout, /^1 login\(s\): 1 connecting$/m);
      assert.doesNotMatch(one.stdout, /alice/);
    } finally {
      await h.stop();
    }
  });
});
