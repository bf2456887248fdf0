import assert from 'node:assert/strict';
import type { TestUser } from '../../../src/testing/index.js';
import { waitUntil } from '../../../src/testing/index.js';
import { BOT, BOT_NICK, bodyOf, ghost, withIrcHarness, type IrcHarness } from './harness.js';
import type { IrcPerson } from './irc-person.js';

describe('IRC bridge: nicks, away, operators, kicks (real ngircd, test homeserver)', function () {
  this.timeout(30_000);
  let h: IrcHarness;
  let alice: TestUser;
  const person = (nick: string): Promise<IrcPerson> => h.person(nick);

  withIrcHarness((started, user) => { h = started; alice = user; });

  describe('IRC people: nicks, away, operators, kicks', () => {
    let carol: IrcPerson;
    let dave: IrcPerson;
    let ops: string;
    let second: string;

    before(async () => {
      carol = await person('carol2');
      dave = await person('dave');
      await carol.join('#ops'); // first in: channel operator
      await dave.join('#ops');
      await dave.join('#second');
      ops = await h.joinPortal(alice, '#ops');
      second = await h.joinPortal(alice, '#second');
      await h.waitForMembership(ops, ghost('dave'), 'join');
      await h.waitForMembership(second, ghost('dave'), 'join');
    });

    it('makes a nick change the ghost\'s new display name in every portal it is in', async () => {
      await dave.send('NICK', 'Davey');
      for (const roomId of [ops, second]) {
        await waitUntil(() => h.hs.stateEvent(roomId, 'm.room.member', ghost('dave'))?.content['displayname'] === 'Davey', 10_000, `Davey in ${roomId}`);
      }
      assert.equal(h.hs.user(ghost('dave'))?.displayname, 'Davey');
      await dave.say('#second', 'still me');
      await h.message(second, ghost('dave'), 'still me'); // the same ghost, under its new name
      await dave.send('NICK', 'dave');
      await waitUntil(() => h.hs.stateEvent(ops, 'm.room.member', ghost('dave'))?.content['displayname'] === 'dave', 10_000, 'dave again');
    });

    it('makes AWAY presence unavailable with the away message, and back online; and a Matrix user\'s presence their AWAY', async () => {
      await dave.send('AWAY', 'out for lunch');
      await waitUntil(() => {
        const u = h.hs.user(ghost('dave'));
        return u?.presence === 'unavailable' && u.statusMsg === 'out for lunch';
      }, 10_000, 'dave away in Matrix');
      await dave.send('AWAY');
      await waitUntil(() => h.hs.user(ghost('dave'))?.presence === 'online', 10_000, 'dave back in Matrix');

      await alice.client.presence('unavailable', 'brb');
      await waitUntil(async () => {
        const from = dave.mark();
        await dave.send('WHOIS', 'alice');
        await dave.waitFor((l) => l.command === '318', 'the WHOIS end', { from });
        return dave.lines.slice(from).find((l) => l.command === '301')?.params[2] === 'brb';
      }, 10_000, 'alice away on IRC');
      await alice.client.presence('online');
    });

    it('maps +o/-o to power level 50/0, and a Matrix power change to +o when the bridge is operator', async () => {
      await carol.send('MODE', '#ops', '+o', 'dave');
      await waitUntil(async () => (await h.bridge.mirror.room(ops))?.powerLevel(ghost('dave')) === 50, 10_000, 'dave at 50');
      await carol.send('MODE', '#ops', '-o', 'dave');
      await waitUntil(async () => (await h.bridge.mirror.room(ops))?.powerLevel(ghost('dave')) === 0, 10_000, 'dave at 0');

      // The bridge is no operator yet: the change stays in Matrix, and the room is told.
      await h.bridge.bot.makeRoomAdmin(ops, alice.userId, 100);
      await waitUntil(async () => (await h.bridge.mirror.room(ops))?.powerLevel(alice.userId) === 100, 10_000, 'alice admin');
      const levels = () => ({ ...(h.hs.stateEvent(ops, 'm.room.power_levels')?.content ?? {}) });
      const withDave = (level: number) => {
        const content = levels();
        content['users'] = { ...(content['users'] as Record<string, number>), [ghost('dave')]: level };
        return content;
      };
      await alice.client.setState(ops, 'm.room.power_levels', '', withDave(50));
      await h.event(ops, (e) => e.sender === BOT && /not a channel operator/.test(bodyOf(e)));
      await alice.client.setState(ops, 'm.room.power_levels', '', withDave(0));

      await carol.send('MODE', '#ops', '+o', BOT_NICK);
      await carol.sync();
      const from = carol.mark();
      await alice.client.setState(ops, 'm.room.power_levels', '', withDave(50));
      const mode = await carol.waitFor((l) => l.command === 'MODE' && l.params[1] === '+o' && l.params[2] === 'dave', '+o dave', { from });
      assert.equal(mode.nick, BOT_NICK);
      await alice.client.setState(ops, 'm.room.power_levels', '', withDave(0));
      await carol.waitFor((l) => l.command === 'MODE' && l.params[1] === '-o' && l.params[2] === 'dave', '-o dave', { from });
    });

    it('makes kicks and bans membership changes of the ghost, both ways', async () => {
      // carol2 is channel operator, so her ghost has 50 in Matrix and may kick.
      await waitUntil(async () => (await h.bridge.mirror.room(ops))?.powerLevel(ghost('carol2')) === 50, 10_000, 'carol2 at 50');
      await carol.send('KICK', '#ops', 'dave', 'behave');
      await h.waitForMembership(ops, ghost('dave'), 'leave');
      const kick = h.hs.stateEvent(ops, 'm.room.member', ghost('dave'));
      assert.equal(kick?.sender, ghost('carol2'));
      assert.match(String(kick?.content['reason']), /behave/);

      await dave.join('#ops');
      await h.waitForMembership(ops, ghost('dave'), 'join');
      await carol.send('MODE', '#ops', '+b', 'dave!*@*');
      await h.waitForMembership(ops, ghost('dave'), 'ban');
      await carol.send('MODE', '#ops', '-b', 'dave!*@*');
      await h.waitForMembership(ops, ghost('dave'), 'leave');

      // A Matrix kick of a ghost kicks the IRC user (the bridge is operator since the last test).
      await dave.say('#ops', 'back again');
      await h.waitForMembership(ops, ghost('dave'), 'join');
      const from = dave.mark();
      await alice.client.kick(ops, ghost('dave'), 'spam');
      const ircKick = await dave.waitFor((l) => l.command === 'KICK' && l.params[1] === 'dave', 'the IRC kick', { from });
      assert.equal(ircKick.params[2], 'spam');
    });

    it('makes a part the ghost leaving the portal, and a quit leaving every portal and going offline', async () => {
      const kim = await person('kim');
      await kim.join('#ops');
      await kim.join('#second');
      await h.waitForMembership(ops, ghost('kim'), 'join');
      await h.waitForMembership(second, ghost('kim'), 'join');
      await kim.send('PART', '#second', 'see you');
      await h.waitForMembership(second, ghost('kim'), 'leave');
      assert.match(String(h.hs.stateEvent(second, 'm.room.member', ghost('kim'))?.content['reason']), /see you/);
      assert.equal(h.hs.memberships(ops)[ghost('kim')], 'join');
      kim.quit('gone fishing');
      await h.waitForMembership(ops, ghost('kim'), 'leave');
      assert.match(String(h.hs.stateEvent(ops, 'm.room.member', ghost('kim'))?.content['reason']), /Quit IRC.*gone fishing/);
      await waitUntil(() => h.hs.user(ghost('kim'))?.presence === 'offline', 10_000, 'kim offline');
    });

    it('changes a Matrix user\'s IRC nick with their display name', async () => {
      const bea = await h.user('bea');
      const from = dave.mark();
      await h.joinPortal(bea, '#second');
      await dave.waitFor((l) => l.command === 'JOIN' && l.nick === 'bea' && l.params[0] === '#second', 'bea on IRC', { from });
      await bea.client.setDisplayName('Beatrix B.');
      const nick = await dave.waitFor((l) => l.command === 'NICK' && l.nick === 'bea', 'her new nick', { from });
      assert.equal(nick.params[0], 'BeatrixB');
      // Her own messages never come back as a ghost's.
      await h.text(bea, second, 'beatrix here');
      await dave.waitFor((l) => l.nick === 'BeatrixB' && l.params[1] === 'beatrix here', 'her message', { from });
      assert.ok(!h.hs.events(second).some((e) => e.sender === ghost('beatrixb') || e.sender === ghost('bea')));
      // Or she picks one with the bot's command.
      await h.text(bea, second, '!irc nick Bee');
      await dave.waitFor((l) => l.command === 'NICK' && l.nick === 'BeatrixB' && l.params[0] === 'Bee', 'the nick she asked for', { from });
      await h.event(second, (e) => e.sender === BOT && bodyOf(e) === 'Your IRC nick is Bee.');
    });

    it('reports a message IRC refuses as a notice in the room', async () => {
      await carol.send('MODE', '#ops', '+m'); // moderated: alice may not speak
      await carol.sync();
      const eventId = await h.text(alice, ops, 'can anyone hear me');
      const notice = await h.event(ops, (e) => e.sender === BOT && e.content['msgtype'] === 'm.notice' && /could not be delivered to IRC/.test(bodyOf(e)));
      assert.match(bodyOf(notice), /Cannot send to channel/i);
      assert.ok(eventId);
      await carol.send('MODE', '#ops', '-m');
    });
  });
});
