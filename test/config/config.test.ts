import assert from 'node:assert/strict';
import { validateConfig, ConfigError } from '../../src/config/index.js';

const valid = {
  homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
  appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: 9000, registration: 'registration.yaml', bot: 'echobot', prefix: '_echo_' },
  store: { path: './data' },
  bridge: { plugin: 'echo' },
};

function problems(raw: unknown): string[] {
  try {
    validateConfig(raw, 'config.yaml', '/etc/bridge');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return [...e.problems];
  }
  assert.fail('expected a ConfigError');
}

const withKey = (path: string[], value: unknown) => {
  const copy = structuredClone(valid) as Record<string, Record<string, unknown>>;
  copy[path[0]!]![path[1]!] = value;
  return copy;
};

describe('config: validation', () => {
  it('accepts the documented shape, fills defaults and resolves paths against the config folder', () => {
    const config = validateConfig(valid, 'config.yaml', '/etc/bridge');
    assert.equal(config.appservice.bind, '127.0.0.1');
    assert.equal(config.store.path, '/etc/bridge/data');
    assert.equal(config.appservice.registration, '/etc/bridge/registration.yaml');
    assert.equal(config.inbox.maxAttempts, 6);
    assert.equal(config.logging.level, 'info');
  });

  const cases: Array<[string, unknown, RegExp]> = [
    ['homeserver.url not a URL', withKey(['homeserver', 'url'], 'localhost:8008'), /^homeserver\.url: must be an http\(s\) URL$/],
    ['homeserver.url ftp', withKey(['homeserver', 'url'], 'ftp://x'), /^homeserver\.url: must be an http\(s\) URL$/],
    ['appservice.port out of range', withKey(['appservice', 'port'], 70000), /^appservice\.port: /],
    ['appservice.port a string', withKey(['appservice', 'port'], '9000'), /^appservice\.port: must be a number$/],
    ['appservice.bot with capitals', withKey(['appservice', 'bot'], 'EchoBot'), /^appservice\.bot: must be a valid Matrix localpart/],
    ['store missing', { ...valid, store: undefined }, /^store: must be a mapping$/],
    ['logging.level unknown', { ...valid, logging: { level: 'loud' } }, /^logging\.level: must be one of/],
    ['store.cacheBytes negative', withKey(['store', 'cacheBytes'], -1), /^store\.cacheBytes: must be positive$/],
    ['store.writeBufferBytes fractional', withKey(['store', 'writeBufferBytes'], 1.5), /^store\.writeBufferBytes: must be an integer$/],
    ['store with both path and url', withKey(['store', 'url'], 'postgres://u@127.0.0.1/db'), /^store: must have either path \(a Level folder\) or url \(PostgreSQL\), not both or neither$/],
    ['store with neither path nor url', { ...valid, store: { sync: true } }, /^store: must have either path/],
    ['store.url not postgres', { ...valid, store: { url: 'mysql://u@127.0.0.1/db' } }, /^store\.url: must be a postgres:\/\/ URL$/],
    ['store.schema not an SQL name', { ...valid, store: { url: 'postgres://u@127.0.0.1/db', schema: 'Robert"; DROP' } }, /^store\.schema: must be a lowercase SQL name/],
    ['inbox.maxAttempts zero', { ...valid, inbox: { maxAttempts: 0 } }, /^inbox\.maxAttempts: must be positive$/],
  ];
  for (const [name, raw, pattern] of cases) {
    it(`names the key: ${name}`, () => {
      const found = problems(raw);
      assert.ok(found.some((p) => pattern.test(p)), `${JSON.stringify(found)} should match ${pattern}`);
    });
  }

  it('reports every problem at once', () => {
    const found = problems({ homeserver: { url: 'x' } });
    assert.ok(found.length >= 4, JSON.stringify(found));
    assert.ok(found.some((p) => p.startsWith('homeserver.domain:')));
    assert.ok(found.some((p) => p.startsWith('appservice:')));
  });
});

describe('config: unknown keys', () => {
  it('names a misspelt key instead of ignoring it', () => {
    try {
      validateConfig({ ...valid, inbox: { maxAtempts: 3 } }, 'config.yaml', '/etc/bridge');
      assert.fail('expected a ConfigError');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.ok(e.problems.includes('inbox: unknown key(s) maxAtempts'), JSON.stringify(e.problems));
    }
  });
});
