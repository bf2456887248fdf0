import assert from 'node:assert/strict';
import type { TestUser } from '../../../src/testing/index.js';
import { waitUntil } from '../../../src/testing/index.js';
import { ngircdAvailable } from '../../helpers/ngircd.js';
import { BOT, BOT_NICK, IrcHarness, bodyOf } from './harness.js';
import type { IrcPerson } from './irc-person.js';

describe('IRC bridge: logins and relay mode (real ngircd, test homeserver)', function () {
  this.timeout(60_000);
  let h: IrcHarness;
  let alice: TestUser;
  let bob: TestUser;
  let carol: IrcPerson;
  let lobby: string;

  before(async () => {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
    h = await IrcHarness.start({ mode: 'login' }, {}, { '*': 'user', '@alice:localhost': 'admin' });
    alice = await h.user('alice');
    bob = await h.user('bob');
    carol = await h.person('carol');
    await carol.join('#lobby');
    lobby = await h.joinPortal(alice, '#lobby');
    lobby = await h.joinPortal(bob, '#lobby');
  });
  after(async () => h?.stop());

  async function managementRoom(user: TestUser): Promise<string> {
    const roomId = await h.bridge.bot.managementRoom(user.userId);
    await user.client.join(roomId);
    await h.waitForMembership(roomId, user.userId, 'join');
    return roomId;
  }

  const botSays = (roomId: string, pattern: RegExp) => h.event(roomId, (e) => e.sender === BOT && pattern.test(bodyOf(e)));

  it('does not carry a message without login or relay, and tells the sender once', async () => {
    await h.text(alice, lobby, 'not for IRC');
    const told = await botSays(lobby, /your message was not bridged/);
    assert.match(bodyOf(told), /^@alice:localhost: /);
    // Alice has no connection of her own in login mode: nobody but carol and the bot joined
    // (the bot's JOIN may reach carol after the notice: waited for, then the list is complete
    // as far as anything alice sent could have made it).
    await carol.waitFor((l) => l.command === 'JOIN' && l.nick === BOT_NICK, 'the bot joining #lobby');
    await carol.sync();
    assert.deepEqual(carol.lines.filter((l) => l.command === 'JOIN' && l.nick !== 'carol').map((l) => l.nick), [BOT_NICK]);
  });

  it('relays through the bot as <name> text once relay is on, and the first message never went', async () => {
    await h.text(alice, lobby, '!relay on');
    await botSays(lobby, /Relay mode is on/);
    const from = carol.mark();
    await h.text(alice, lobby, 'relayed hello');
    const line = await carol.waitFor((l) => l.command === 'PRIVMSG' && l.nick === BOT_NICK && l.params[1] === '<alice> relayed hello', 'the relayed line', { from });
    assert.ok(line);
    assert.equal(carol.lines.some((l) => l.params[1]?.includes('not for IRC')), false);
  });

  it('logs bob in with his own nick through the bot; he then speaks as that nick, and his login is connected', async () => {
    const room = await managementRoom(bob);
    const from = carol.mark();
    await h.text(bob, room, 'login');
    await botSays(room, /Send your nick/);
    await h.text(bob, room, 'bobsnick');
    await botSays(room, /Send your password \(or - for none\)/);
    await h.text(bob, room, '-');
    await botSays(room, /Logged in as bobsnick on 127\.0\.0\.1/);
    await carol.waitFor((l) => l.command === 'JOIN' && l.nick === 'bobsnick' && l.params[0] === '#lobby', 'bobsnick to join #lobby', { from });
    await waitUntil(() => h.bridge.logins!.list(bob.userId)[0]?.status.state === 'connected', 10_000, 'the login to be connected');
    await h.text(bob, lobby, 'in my own name');
    await carol.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'bobsnick' && l.params[1] === 'in my own name', 'bob\'s own line', { from });
    // Not relayed: the bot did not say it.
    assert.equal(carol.lines.some((l) => l.nick === BOT_NICK && l.params[1]?.includes('in my own name')), false);
  });

  it('restores the login after a restart: bobsnick comes back into the channel', async () => {
    const from = carol.mark();
    await h.restartBridge();
    await carol.waitFor((l) => l.command === 'JOIN' && l.nick === 'bobsnick' && l.params[0] === '#lobby', 'bobsnick to rejoin', { from, timeoutMs: 20_000 });
    await waitUntil(() => h.bridge.logins!.list(bob.userId)[0]?.status.state === 'connected', 10_000, 'the login to be connected again');
  });

  it('reports a lost connection as a transient disconnect, and connected once it is back', async () => {
    const service = h.bridge.logins!;
    const state = () => service.list(bob.userId)[0]?.status.state;
    await h.gate.shutdown(); // the bridge's sockets cut, new ones refused
    await waitUntil(() => state() === 'transient_disconnect', 10_000, 'the disconnect');
    assert.equal(service.list(bob.userId)[0]!.status.message, 'the IRC connection was lost; reconnecting');
    await h.gate.open();
    await waitUntil(() => state() === 'connected', 15_000, 'the reconnection');
  });

  it('logs out: bobsnick quits, and bob is relayed again', async () => {
    const room = await managementRoom(bob);
    const from = carol.mark();
    const login = h.bridge.logins!.list(bob.userId)[0]!;
    await h.text(bob, room, `logout ${login.id}`);
    await botSays(room, /Logged out of bobsnick/);
    await carol.waitFor((l) => l.command === 'QUIT' && l.nick === 'bobsnick', 'bobsnick to quit', { from });
    await h.text(bob, lobby, 'relayed again');
    await carol.waitFor((l) => l.command === 'PRIVMSG' && l.nick === BOT_NICK && l.params[1] === '<bob> relayed again', 'bob relayed', { from });
  });

  it('a password for a server without SASL: the login is marked bad credentials and bob is told', async () => {
    const room = await managementRoom(bob);
    const service = h.bridge.logins!;
    const started = await service.start(bob.userId, 'nick');
    const done = await service.submit(bob.userId, started.processId, { nick: 'bobsafe', password: 'sekrit' });
    assert.equal(done.step.kind, 'complete');
    await waitUntil(() => service.list(bob.userId)[0]?.status.state === 'bad_credentials', 10_000, 'the login to be refused');
    assert.equal(service.list(bob.userId)[0]!.status.message, 'the IRC server does not offer SASL');
    await botSays(room, /Your login bobsafe on 127\.0\.0\.1 \([a-z0-9]+\) needs you: its credentials were refused \(the IRC server does not offer SASL\)/);
  });

  it('refuses a second login with another nick', async () => {
    const service = h.bridge.logins!;
    const started = await service.start(bob.userId, 'nick');
    await assert.rejects(service.submit(bob.userId, started.processId, { nick: 'otherbob' }), /logged in as bobsafe on 127\.0\.0\.1 already/);
  });
});
