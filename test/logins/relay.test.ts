import assert from 'node:assert/strict';
import { waitUntil, type TestUser } from '../../src/testing/index.js';
import { BOT, BotHarness, bodyOf } from '../bot/harness.js';
import { LoginPluginProbe, loginPlugin } from './login-plugin.js';

const KEY = 'a-test-key-that-is-long-enough-0123456789';

describe('relay mode and the sender\'s logins (test homeserver)', function () {
  this.timeout(30_000);
  let probe: LoginPluginProbe;
  let h: BotHarness;
  let alice: TestUser;
  let bob: TestUser;
  let carol: TestUser;

  async function start(options: Parameters<typeof loginPlugin>[1] = {}, permissions?: Record<string, 'none' | 'relay' | 'user' | 'admin'>): Promise<void> {
    probe = new LoginPluginProbe();
    h = await BotHarness.start(loginPlugin(probe, options), {
      logins: { encryptionKey: KEY }, invites: { servers: ['localhost'] }, ...(permissions ? { permissions } : {}),
    });
    alice = await h.user('alice');
    bob = await h.user('bob');
    carol = await h.user('carol');
  }
  afterEach(async () => h.stop());

  /** A room alice (100) made, bob and carol in it (0), linked to a remote channel. */
  async function portal(): Promise<string> {
    const roomId = await h.roomWithBot(alice);
    for (const user of [bob, carol]) {
      await alice.client.invite(roomId, user.userId);
      await user.client.join(roomId);
    }
    await probe.ctx!.mappings.linkChannel('chan-1', roomId);
    await h.settle();
    return roomId;
  }

  async function logIn(user: TestUser, remoteId: string): Promise<void> {
    const service = h.bridge.logins!;
    const started = await service.start(user.userId, 'password');
    const done = await service.submit(user.userId, started.processId, { username: remoteId, password: 'pw' });
    assert.equal(done.step.kind, 'complete');
  }

  it('does not bridge a message without login or relay, and says so once', async () => {
    await start();
    const roomId = await portal();
    await h.send(bob, roomId, 'first');
    await h.send(bob, roomId, 'second');
    await h.settle();
    assert.deepEqual(probe.seen, []);
    const told = h.hs.events(roomId).filter((e) => e.sender === BOT && /your message was not bridged/.test(bodyOf(e)));
    assert.equal(told.length, 1);
    assert.match(bodyOf(told[0]!), /^@bob:localhost: .*log in: send !login to me in a direct chat/);
  });

  it('passes the sender\'s logins to the handler', async () => {
    await start();
    const roomId = await portal();
    await logIn(bob, 'bobremote');
    await h.send(bob, roomId, 'through my login');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'the message');
    assert.deepEqual(probe.seen[0], { sender: bob.userId, body: 'through my login', logins: ['bobremote'] });
  });

  it('relays with the sender\'s name once a moderator turns relay on, and stops when it is off', async () => {
    await start();
    const roomId = await portal();
    const refused = await h.ask(bob, roomId, '!relay on');
    assert.match(bodyOf(refused), /needs power level 50 in this room; you have 0/);
    const on = await h.ask(alice, roomId, '!relay on');
    assert.match(bodyOf(on), /Relay mode is on/);
    await carol.client.setDisplayName('Carol C');
    await h.settle();
    await h.send(carol, roomId, 'hello all');
    await h.sendEmote(carol, roomId, 'waves');
    await waitUntil(() => probe.seen.length === 2, 5_000, 'the relayed messages');
    assert.equal(probe.seen[0]!.relayed, '<Carol C> hello all');
    assert.equal(probe.seen[1]!.relayed, '* Carol C waves');
    assert.deepEqual(probe.seen[0]!.logins, []);
    const status = await h.ask(bob, roomId, '!relay status');
    assert.match(bodyOf(status), /on here \(turned on by @alice:localhost\)/);
    await h.ask(alice, roomId, '!relay off');
    await h.send(carol, roomId, 'not any more');
    await h.settle();
    assert.equal(probe.seen.length, 2);
  });

  it('keeps the relay setting across a restart', async () => {
    await start();
    const roomId = await portal();
    await h.ask(alice, roomId, '!relay on');
    await h.restart();
    await h.send(carol, roomId, 'after restart');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'the relayed message');
    assert.equal(probe.seen[0]!.relayed, '<carol> after restart');
  });

  it('uses the plugin\'s relay format', async () => {
    await start({ relayFormat: true });
    const roomId = await portal();
    await h.ask(alice, roomId, '!relay on');
    await h.send(carol, roomId, 'custom');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'the relayed message');
    assert.equal(probe.seen[0]!.relayed, '[carol] custom');
  });

  it('relays only people with the relay permission', async () => {
    await start({}, { '*': 'user', '@carol:localhost': 'none' });
    const roomId = await portal();
    await h.ask(alice, roomId, '!relay on');
    await h.send(carol, roomId, 'from a none');
    await h.send(bob, roomId, 'from a user');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'bob\'s message');
    await h.settle();
    assert.deepEqual(probe.seen.map((s) => s.sender), [bob.userId]);
  });

  it('refuses relay in a room that is not a portal, and passes messages there on as before', async () => {
    await start();
    const roomId = await h.roomWithBot(alice);
    const answer = await h.ask(alice, roomId, '!relay on');
    assert.match(bodyOf(answer), /this room is not one/);
    await h.send(alice, roomId, 'not in a portal');
    await waitUntil(() => probe.seen.length === 1, 5_000, 'the message');
    await h.settle();
    assert.equal(h.hs.events(roomId).some((e) => /not bridged/.test(bodyOf(e))), false);
  });

  it('passes everyone on when the plugin does not require logins, with their logins', async () => {
    await start({ required: false });
    const roomId = await portal();
    await logIn(bob, 'bobremote');
    await h.send(carol, roomId, 'no login');
    await h.send(bob, roomId, 'a login');
    await waitUntil(() => probe.seen.length === 2, 5_000, 'both messages');
    assert.deepEqual(probe.seen.map((s) => [s.sender, s.logins, s.relayed]), [[carol.userId, [], undefined], [bob.userId, ['bobremote'], undefined]]);
  });
});
