import assert from 'node:assert/strict';
import type { RoomEvent } from '../../src/events/types.js';
import { Sections } from '../../src/store/index.js';
import { waitUntil, type TestUser } from '../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from '../bot/harness.js';
import { LoginPluginProbe, loginPlugin } from './login-plugin.js';

const KEY = 'a-test-key-that-is-long-enough-0123456789';

describe('logins through the bot (test homeserver)', function () {
  this.timeout(30_000);
  let probe: LoginPluginProbe;
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;

  beforeEach(async () => {
    probe = new LoginPluginProbe();
    h = await BotHarness.start(loginPlugin(probe), { logins: { encryptionKey: KEY }, invites: { servers: ['localhost'] } });
    alice = await h.user('alice');
    bob = await h.user('bob');
  });
  afterEach(async () => h.stop());

  async function managementRoom(user: TestUser): Promise<string> {
    const roomId = await h.bridge.bot.managementRoom(user.userId);
    await user.client.join(roomId);
    await h.waitForMembership(roomId, user.userId, 'join');
    await h.settle();
    return roomId;
  }

  /** The bot's next notice after `afterIndex` in the room. */
  async function botSays(roomId: string, pattern: RegExp): Promise<RoomEvent> {
    return h.hs.waitForEvent(roomId, (e) => e.sender === BOT && pattern.test(bodyOf(e)), 5_000);
  }

  async function logIn(user: TestUser, roomId: string, username: string, password: string): Promise<void> {
    await h.send(user, roomId, 'login password');
    await botSays(roomId, /Send your username/);
    await h.send(user, roomId, username);
    await botSays(roomId, /Send your password/);
    await h.send(user, roomId, password);
  }

  it('asks each field, redacts the password, stores the login encrypted and connects it', async () => {
    const roomId = await managementRoom(alice);
    await logIn(alice, roomId, 'alice1', 'hunter2-secret');
    const done = await botSays(roomId, /Logged in as alice1 on Testnet/);
    assert.ok(done);
    // The password's message is redacted (no body left); the username's is not.
    await waitUntil(() => !h.hs.events(roomId).some((e) => e.sender === alice.userId && bodyOf(e) === 'hunter2-secret'), 5_000, 'the redaction');
    assert.ok(h.hs.events(roomId).some((e) => e.sender === alice.userId && bodyOf(e) === 'alice1'));
    // The plugin got the credentials to connect with.
    assert.equal(probe.connected.length, 1);
    assert.equal(probe.connected[0]!.credentials['password'], 'hunter2-secret');
    // At rest: no password in the clear.
    const raw: string[] = [];
    for await (const [, value] of h.bridge.store.section<unknown>(Sections.logins).iterator()) raw.push(JSON.stringify(value));
    assert.ok(raw.some((r) => r.includes('alice1')));
    assert.ok(!raw.some((r) => r.includes('hunter2-secret')));
    // `logins` lists it with the state the plugin reported.
    const list = await h.ask(alice, roomId, 'logins');
    assert.match(bodyOf(list), /alice1 on Testnet — connected/);
  });

  it('lists the flows when login is sent without one, and refuses login outside a direct chat', async () => {
    const roomId = await managementRoom(alice);
    const listing = await h.ask(alice, roomId, 'login');
    assert.match(bodyOf(listing), /- password: Password/);
    assert.match(bodyOf(listing), /- code: Code/);
    const shared = await h.roomWithBot(alice);
    const refused = await h.ask(alice, shared, '!login password');
    assert.match(bodyOf(refused), /in a direct chat/);
  });

  it('asks again when an answer does not match its pattern', async () => {
    const roomId = await managementRoom(alice);
    await logIn(alice, roomId, 'Not Valid', 'pw');
    await botSays(roomId, /Username \(username\) is not valid: "Not Valid"\. Let us try again\. Send your username/);
    await h.send(alice, roomId, 'alice2');
    await botSays(roomId, /Send your password/);
    await h.send(alice, roomId, 'pw2');
    await botSays(roomId, /Logged in as alice2/);
  });

  it('stops on cancel, and the plugin is told', async () => {
    const roomId = await managementRoom(alice);
    await h.send(alice, roomId, 'login password');
    await botSays(roomId, /Send your username/);
    await h.send(alice, roomId, 'cancel');
    await botSays(roomId, /Login cancelled/);
    assert.deepEqual(probe.cancelled, [alice.userId]);
    // Now a message is a command again.
    const answer = await h.ask(alice, roomId, 'logins');
    assert.match(bodyOf(answer), /You have no logins/);
  });

  it('shows a code and completes when the remote side says so', async () => {
    const roomId = await managementRoom(alice);
    await h.send(alice, roomId, 'login code');
    await botSays(roomId, /Your code: ABC-123/);
    await waitUntil(() => probe.approveCode !== undefined, 5_000, 'the plugin to wait');
    probe.approveCode!();
    await botSays(roomId, /Logged in as by code/);
    assert.equal(probe.connected[0]!.credentials['token'], 'tok-secret');
  });

  it('tells the user in their management room when the credentials are refused', async () => {
    const roomId = await managementRoom(alice);
    await logIn(alice, roomId, 'alice3', 'wrong');
    const told = await botSays(roomId, /needs you: its credentials were refused \(the password was refused\)/);
    assert.match(bodyOf(told), /logout [a-z0-9]+/);
  });

  it('logs out: the plugin is asked and the login is gone', async () => {
    const roomId = await managementRoom(alice);
    await logIn(alice, roomId, 'alice4', 'pw');
    await botSays(roomId, /Logged in as alice4/);
    const answer = await h.ask(alice, roomId, 'logout alice4');
    assert.match(bodyOf(answer), /Logged out of alice4 on Testnet/);
    assert.equal(probe.loggedOut[0]!.remoteId, 'alice4');
    assert.deepEqual(h.bridge.logins!.list(alice.userId), []);
  });

  it('restores every stored login at start with its credentials', async () => {
    const roomId = await managementRoom(alice);
    await logIn(alice, roomId, 'alice5', 'pw5');
    await botSays(roomId, /Logged in as alice5/);
    const bobRoom = await managementRoom(bob);
    await logIn(bob, bobRoom, 'bob1', 'pwb');
    await botSays(bobRoom, /Logged in as bob1/);
    probe.connected.length = 0;
    await h.restart();
    assert.deepEqual(probe.connected.map((l) => [l.userId, l.remoteId, l.credentials['password']]).sort(), [
      [alice.userId, 'alice5', 'pw5'], [bob.userId, 'bob1', 'pwb'],
    ]);
    assert.equal(h.bridge.logins!.list(bob.userId)[0]!.status.state, 'connected');
  });
});
