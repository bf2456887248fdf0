import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { validateConfig, ConfigError } from '../../src/config/index.js';
import {
  buildRegistration, checkAgreesWithConfig, loadRegistration, Namespaces, validateRegistration, writeRegistration,
} from '../../src/registration/index.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureRegistration } from '../helpers/endpoint.js';

const config = validateConfig({
  homeserver: { url: 'http://127.0.0.1:8008', domain: 'example.org' },
  appservice: { id: 'echo', url: 'http://127.0.0.1:9000', port: 9000, registration: 'r.yaml', bot: 'echobot', prefix: '_echo_' },
  store: { path: 'data' },
  bridge: { plugin: 'echo' },
}, 'config.yaml', '/tmp');

describe('registration', () => {
  it('is generated from the config with fresh 64-hex tokens and exclusive namespaces', () => {
    const a = buildRegistration(config);
    const b = buildRegistration(config);
    assert.match(a.as_token, /^[0-9a-f]{64}$/);
    assert.match(a.hs_token, /^[0-9a-f]{64}$/);
    assert.notEqual(a.as_token, a.hs_token);
    assert.notEqual(a.as_token, b.as_token);
    assert.equal(a.id, 'echo');
    assert.equal(a.url, 'http://127.0.0.1:9000');
    assert.equal(a.sender_localpart, 'echobot');
    assert.equal(a.rate_limited, false);
    assert.equal(a.receive_ephemeral, true);
    assert.equal(a['de.sorunome.msc2409.push_ephemeral'], true);
    assert.deepEqual(a.namespaces.users, [{ regex: '@_echo_.*:example\\.org', exclusive: true }]);
    assert.deepEqual(a.namespaces.aliases, [{ regex: '#_echo_.*:example\\.org', exclusive: true }]);
    const ns = new Namespaces(a, 'example.org');
    assert.ok(ns.isVirtualUser('@_echo_bob:example.org'));
    assert.ok(!ns.isVirtualUser('@_echo_bob:exampleXorg'), 'the dot in the domain is escaped');
    assert.ok(ns.isControlledUser('@echobot:example.org'));
    assert.ok(ns.isOwnAlias('#_echo_room:example.org'));
  });

  it('is written once; a second write needs force', async () => {
    const dir = await tempDir();
    try {
      const path = join(dir.path, 'registration.yaml');
      await writeRegistration(path, buildRegistration(config), false);
      const first = parse(await readFile(path, 'utf8')) as { as_token: string };
      await assert.rejects(writeRegistration(path, buildRegistration(config), false), { code: 'EEXIST' });
      await writeRegistration(path, buildRegistration(config), true);
      const second = parse(await readFile(path, 'utf8')) as { as_token: string };
      assert.notEqual(first.as_token, second.as_token);
      const loaded = await loadRegistration(path, config);
      assert.equal(loaded.as_token, second.as_token);
    } finally {
      await dir.cleanup();
    }
  });

  it('loads the real Synapse test registration', () => {
    assert.equal(fixtureRegistration().sender_localpart, 'testbot');
  });

  const broken: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no as_token', { as_token: undefined }, /^as_token: is required/],
    ['no url key', { url: undefined }, /^url: is required/],
    ['namespaces missing', { namespaces: undefined }, /^namespaces: is required/],
    ['regex that does not compile', { namespaces: { users: [{ regex: '@(unclosed', exclusive: true }] } }, /^namespaces\.users\.0\.regex: is not a valid regular expression$/],
    ['exclusive missing', { namespaces: { users: [{ regex: '@x.*' }] } }, /^namespaces\.users\.0\.exclusive: must be true or false$/],
  ];
  for (const [name, change, pattern] of broken) {
    it(`rejects a registration with ${name}, naming the field`, () => {
      const raw = { ...buildRegistration(config), ...change };
      try {
        validateRegistration(raw, 'r.yaml');
        assert.fail('expected an error');
      } catch (e) {
        assert.ok(e instanceof ConfigError);
        assert.ok(e.problems.some((p) => pattern.test(p)), JSON.stringify(e.problems));
      }
    });
  }

  it('accepts url: null (an appservice that receives no transactions)', () => {
    assert.equal(validateRegistration({ ...buildRegistration(config), url: null }, 'r.yaml').url, null);
  });

  it('must agree with the config on id, bot and url', () => {
    const reg = { ...buildRegistration(config), id: 'other', sender_localpart: 'otherbot', url: 'http://elsewhere:1' };
    try {
      checkAgreesWithConfig(reg, config, 'r.yaml');
      assert.fail('expected an error');
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.problems.length, 3);
      assert.match(e.message, /id: is 'other' but appservice\.id in the config is 'echo'/);
    }
  });
});
