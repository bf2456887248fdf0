import assert from 'node:assert/strict';
import { clusterSettings } from '../../src/cluster/index.js';
import { ConfigError, validateConfig, type BridgeConfig } from '../../src/config/index.js';

function config(cluster: Record<string, unknown>, encryption: Record<string, unknown>): BridgeConfig {
  return validateConfig({
    homeserver: { url: 'http://127.0.0.1:1', domain: 'localhost' },
    appservice: { id: 'test', url: null, bind: '127.0.0.1', port: 0, registration: 'registration.yaml', bot: 'bot', prefix: '_test_' },
    store: { url: 'postgres://bridge@127.0.0.1:5432/bridge' }, cluster, encryption,
    bridge: { plugin: 'echo' }, logging: { level: 'silent' },
  }, 'test', '/tmp');
}

describe('config: cluster mode with encryption', () => {
  it('is accepted, and the placement is leader whatever the plugin says', () => {
    const both = config({ enabled: true }, { enabled: true });
    assert.equal(clusterSettings(both, 'spread').placement, 'leader');
    assert.equal(clusterSettings(config({ enabled: true, placement: 'leader' }, { enabled: true }), undefined).placement, 'leader');
    // Without encryption the plugin's word (or the config's) stands.
    assert.equal(clusterSettings(config({ enabled: true }, {}), 'spread').placement, 'spread');
  });

  it('refuses placement spread written in the config, naming the key and why', () => {
    assert.throws(() => config({ enabled: true, placement: 'spread' }, { enabled: true }), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /cluster\.placement: must be leader \(or left out\) with encryption\.enabled: the bot has one crypto device, which only the leader may hold/);
      return true;
    });
  });
});
