import assert from 'node:assert/strict';
import echo from '../../bridges/echo/index.js';
import { validateConfig } from '../../src/config/index.js';
import { Permissions } from '../../src/permissions/index.js';
import type { TestUser } from '../../src/testing/index.js';
import { BotHarness, bodyOf } from '../bot/harness.js';

describe('permissions', () => {
  describe('levels from the map', () => {
    const permissions = new Permissions({
      '*': 'relay', 'example.org': 'user', '@eve:example.org': 'none', '@boss:other.net': 'admin',
    }, ['@root:example.org']);

    it('takes the most specific key: user ID, then server, then *', () => {
      assert.equal(permissions.levelOf('@alice:example.org'), 'user');
      assert.equal(permissions.levelOf('@eve:example.org'), 'none');
      assert.equal(permissions.levelOf('@boss:other.net'), 'admin');
      assert.equal(permissions.levelOf('@carol:other.net'), 'relay');
    });

    it('makes bot.admins admins whatever the map says', () => {
      assert.equal(permissions.levelOf('@root:example.org'), 'admin');
    });

    it('orders the levels none < relay < user < admin', () => {
      assert.equal(permissions.allows('@carol:other.net', 'relay'), true);
      assert.equal(permissions.allows('@carol:other.net', 'user'), false);
      assert.equal(permissions.allows('@alice:example.org', 'relay'), true);
      assert.equal(permissions.allows('@alice:example.org', 'admin'), false);
      assert.equal(permissions.allows('@eve:example.org', 'relay'), false);
      assert.equal(permissions.allows('@boss:other.net', 'user'), true);
    });

    it('gives none to users no key covers', () => {
      assert.equal(new Permissions({ 'example.org': 'user' }).levelOf('@x:elsewhere.net'), 'none');
    });

    it('a server name with a port is its own key', () => {
      assert.equal(new Permissions({ 'example.org:8448': 'admin' }).levelOf('@a:example.org:8448'), 'admin');
      assert.equal(new Permissions({ 'example.org:8448': 'admin' }).levelOf('@a:example.org'), 'none');
    });
  });

  describe('config', () => {
    const base = {
      homeserver: { url: 'http://127.0.0.1:8008', domain: 'localhost' },
      appservice: { id: 'x', url: null, port: 0, registration: 'r.yaml', bot: 'bot', prefix: '_x_' },
      store: { path: 'data' },
      bridge: { plugin: 'echo' },
    };

    it('defaults to anyone being a user', () => {
      assert.deepEqual(validateConfig(base, 'config.yaml', '/etc/bridge').permissions, { '*': 'user' });
    });

    it('names the key of a level that does not exist', () => {
      assert.throws(() => validateConfig({ ...base, permissions: { '*': 'superuser' } }, 'config.yaml', '/etc/bridge'), /permissions\.\*.*must be one of none, relay, user, admin/s);
    });

    it('refuses a key that is neither a user ID, a server name nor *', () => {
      assert.throws(() => validateConfig({ ...base, permissions: { '@nocolon': 'user' } }, 'config.yaml', '/etc/bridge'), /permissions\.@nocolon/);
    });
  });

  describe('bot commands', function () {
    this.timeout(30_000);
    let h: BotHarness;
    let alice: TestUser;
    let eve: TestUser;
    let boss: TestUser;

    before(async () => {
      h = await BotHarness.start(echo, {
        permissions: { localhost: 'user', '@eve:localhost': 'none', '@boss:localhost': 'admin' },
        invites: { users: ['@alice:localhost', '@boss:localhost', '@eve:localhost'] },
      });
      alice = await h.user('alice');
      eve = await h.user('eve');
      boss = await h.user('boss');
    });
    after(async () => h.stop());

    it('answers a user with none that they may not use the bridge, and runs nothing', async () => {
      const roomId = await h.roomWithBot(alice);
      await eve.client.join(roomId).catch(async () => {
        await alice.client.invite(roomId, eve.userId);
        await eve.client.join(roomId);
      });
      const reply = await h.ask(eve, roomId, '!echo hello');
      assert.equal(bodyOf(reply), 'You are not allowed to use this bridge.');
    });

    it('lets an admin from the map pass a command\'s power check', async () => {
      const roomId = await h.roomWithBot(alice);
      await alice.client.invite(roomId, boss.userId);
      await boss.client.join(roomId);
      await h.waitForMembership(roomId, boss.userId, 'join');
      // makeadmin needs 100; boss is at 0 in alice's room.
      const reply = await h.ask(boss, roomId, `!makeadmin ${boss.userId}`);
      // The runner's own refusal would be "needs power level 100 in this room; you have 0".
      assert.doesNotMatch(bodyOf(reply), /in this room; you have/);
      assert.match(bodyOf(reply), /none of the bridge's users can raise/);
      const denied = await h.ask(alice, roomId, '!whoami');
      assert.doesNotMatch(bodyOf(denied), /not allowed/);
    });
  });
});
