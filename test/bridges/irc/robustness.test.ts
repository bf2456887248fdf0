import assert from 'node:assert/strict';
import type { TestUser } from '../../../src/testing/index.js';
import { waitUntil } from '../../../src/testing/index.js';
import { BOT, BOT_NICK, bodyOf, ghost, withIrcHarness, IrcHarness } from './harness.js';
import { ngircdAvailable } from '../../helpers/ngircd.js';
import type { IrcPerson } from './irc-person.js';
import { BOT_CONNECTION } from '../../../bridges/irc/plugin.js';

describe('IRC bridge: restarts (real ngircd, test homeserver)', function () {
  this.timeout(30_000);
  let h: IrcHarness;
  let alice: TestUser;
  const person = (nick: string): Promise<IrcPerson> => h.person(nick);

  withIrcHarness((started, user) => { h = started; alice = user; });

  describe('robustness', () => {
    it('survives an IRC server restart mid-conversation: reconnects, rejoins, loses nothing', async () => {
      const hank = await person('hank');
      await hank.join('#restart');
      const roomId = await h.joinPortal(alice, '#restart');
      await hank.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice', 'alice in #restart');
      await h.text(alice, roomId, 'before the restart');
      await hank.waitFor((l) => l.nick === 'alice' && l.params[1] === 'before the restart', 'the first message');
      await hank.say('#restart', 'hank before');
      await h.message(roomId, ghost('hank'), 'hank before');

      // The server goes down; the bridge can only come back once hank is in again (the gate).
      await h.gate.close();
      await h.irc.stop();
      const botState = () => h.bridge.connections().find((c) => c.id === BOT_CONNECTION)?.state;
      await waitUntil(() => botState() === 'transient_disconnect', 10_000, 'the bot\'s connection reported lost');
      await h.text(alice, roomId, 'during the restart 1');
      await h.text(alice, roomId, 'during the restart 2');
      await h.irc.start();
      await hank.reconnect();
      await hank.join('#restart');
      const from = hank.mark();
      await h.gate.open();
      await hank.waitFor((l) => l.command === 'JOIN' && l.nick === BOT_NICK, 'the bot back in #restart', { from, timeoutMs: 15_000 });
      assert.equal(botState(), 'connected');
      await hank.waitFor((l) => l.nick === 'alice' && l.params[1] === 'during the restart 2', 'the messages sent meanwhile', { from, timeoutMs: 20_000 });
      assert.deepEqual(hank.messagesFrom('alice', '#restart', from).map((l) => l.params[1]), ['during the restart 1', 'during the restart 2']);

      await hank.say('#restart', 'hank after');
      await h.message(roomId, ghost('hank'), 'hank after');
      await h.text(alice, roomId, 'after the restart');
      await hank.waitFor((l) => l.nick === 'alice' && l.params[1] === 'after the restart', 'the conversation going on', { from });
      assert.equal(await h.deadLetters(), 0);
      // Every IRC person of the other tests reconnects for whatever follows.
      for (const p of h.people) if (!p.connected) await p.reconnect().catch(() => undefined);
    });

    it('comes back after a bridge restart: the bot and every Matrix user rejoin their channels', async () => {
      const hank = h.people.find((p) => p.nick === 'hank')!;
      const roomId = h.hs.resolveAlias('#_irc_restart:localhost')!;
      const from = hank.mark();
      await h.restartBridge();
      await hank.waitFor((l) => l.command === 'JOIN' && l.nick === BOT_NICK, 'the bot back', { from, timeoutMs: 15_000 });
      await hank.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice', 'alice back', { from, timeoutMs: 15_000 });
      await h.text(alice, roomId, 'after the bridge restart');
      await hank.waitFor((l) => l.nick === 'alice' && l.params[1] === 'after the bridge restart', 'her message', { from });
      await hank.say('#restart', 'welcome back');
      await h.message(roomId, ghost('hank'), 'welcome back');
    });
  });
});

describe('IRC bridge in relay mode (end to end)', function () {
  this.timeout(30_000);
  let h: IrcHarness;
  let alice: TestUser;
  let frank: IrcPerson;
  let roomId: string;

  before(async function () {
    if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
    // A short send timeout and few attempts, so that a message IRC never takes fails fast.
    h = await IrcHarness.start({ mode: 'relay', sendTimeoutMs: 500 }, { maxAttempts: 3 });
    alice = await h.user('alice');
    frank = await h.person('frank');
    await frank.join('#relay');
    roomId = await h.joinPortal(alice, '#relay');
    await h.waitForMembership(roomId, ghost('frank'), 'join');
  });
  after(async () => h?.stop());

  it('sends Matrix messages through the bot as `<name> text`, and IRC messages as ghosts', async () => {
    const from = frank.mark();
    await h.text(alice, roomId, 'hello via the bot');
    await h.text(alice, roomId, 'waves', 'm.emote');
    await frank.waitFor((l) => l.nick === BOT_NICK && l.params[1] === '* alice waves', 'the emote', { from });
    assert.deepEqual(frank.messagesFrom(BOT_NICK, '#relay', from).map((l) => l.params[1]), ['<alice> hello via the bot', '* alice waves']);
    assert.ok(!frank.lines.some((l) => l.command === 'JOIN' && l.nick === 'alice'), 'no connection of her own');
    await frank.say('#relay', 'hi alice');
    await h.message(roomId, ghost('frank'), 'hi alice');
  });

  it('retries a message IRC cannot take and, failing that, says so in the room', async () => {
    // IRC becomes unreachable for the bridge: its connection drops and reconnecting is refused.
    await h.gate.shutdown();
    const started = Date.now();
    await h.text(alice, roomId, 'into the void');
    const notice = await h.event(roomId, (e) => e.sender === BOT && /could not be delivered to IRC/.test(bodyOf(e)), 15_000);
    assert.match(bodyOf(notice), /timed out|not connected/);
    // Only after every attempt (3, each waiting up to 500 ms for IRC), then kept as a dead letter.
    assert.ok(Date.now() - started >= 3 * 500, `gave up after ${Date.now() - started} ms`);
    await waitUntil(async () => (await h.deadLetters()) === 1, 5_000, 'the dead letter');
    assert.equal(h.hs.events(roomId).filter((e) => e.sender === BOT && /could not be delivered/.test(bodyOf(e))).length, 1, 'one notice');
    await h.gate.open();
  });
});
