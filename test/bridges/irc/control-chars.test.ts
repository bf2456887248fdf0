import assert from 'node:assert/strict';
import type { TestUser } from '../../../src/testing/index.js';
import { BOT_NICK, ghost, IrcHarness, withIrcHarness } from './harness.js';
import type { IrcPerson } from './irc-person.js';
import { ngircdAvailable } from '../../helpers/ngircd.js';

/** The messages to `channel` that `person` received from anyone but themself. */
function received(person: IrcPerson, channel: string, from: number): string[] {
  return person.lines.slice(from)
    .filter((l) => (l.command === 'PRIVMSG' || l.command === 'NOTICE') && l.params[0]?.toLowerCase() === channel && l.nick !== person.nick)
    .map((l) => l.params[1] ?? '');
}

/** A line is a CTCP (request or reply) when it has a \x01 anywhere other than a whole, single ACTION. */
const isCtcp = (text: string) => text.includes('\x01') && !/^\x01ACTION [^\x01]*\x01$/.test(text);

const ATTACKS = {
  dcc: '\x01DCC SEND evil.exe 2130706433 4444 1337\x01',
  version: 'hi \x01VERSION\x01 there',
};

describe('IRC bridge: control characters from Matrix never reach IRC as commands (real ngircd)', function () {
  this.timeout(30_000);

  describe('puppet mode', () => {
    let h: IrcHarness;
    let alice: TestUser;
    let frank: IrcPerson;
    let roomId: string;
    withIrcHarness((started, user) => { h = started; alice = user; });

    before(async () => {
      frank = await h.person('frank');
      await frank.join('#ctcp');
      roomId = await h.joinPortal(alice, '#ctcp');
      await h.waitForMembership(roomId, ghost('frank'), 'join');
    });

    it('sends a DCC/CTCP request typed in a message as plain text, in body, HTML entities and emotes', async () => {
      const from = frank.mark();
      await h.text(alice, roomId, ATTACKS.dcc);
      await h.text(alice, roomId, ATTACKS.version);
      await h.send(alice, roomId, {
        msgtype: 'm.text', body: 'x', format: 'org.matrix.custom.html', formatted_body: '&#1;DCC SEND evil.exe 2130706433 4444 1337&#x01;',
      });
      await h.text(alice, roomId, 'waves\x01\x01PING 123', 'm.emote');
      await h.text(alice, roomId, 'bold \x02\x0304red\x0f and \x16reversed');
      await h.text(alice, roomId, 'end');
      await frank.waitFor((l) => l.params[1] === 'end', 'the last message', { from });
      const lines = received(frank, '#ctcp', from);
      assert.deepEqual(lines.filter(isCtcp), [], 'no CTCP reached the channel');
      assert.deepEqual(lines, [
        'DCC SEND evil.exe 2130706433 4444 1337',
        'hi VERSION there',
        'DCC SEND evil.exe 2130706433 4444 1337',
        '\x01ACTION wavesPING 123\x01',
        'bold 04red and reversed',
        'end',
      ]);
    });
  });

  describe('relay mode', () => {
    let h: IrcHarness;
    let mallory: TestUser;
    let frank: IrcPerson;
    let roomId: string;

    before(async function () {
      if (!ngircdAvailable()) throw new Error('ngircd is not installed: run scripts/test-deps.sh (npm test does)');
      h = await IrcHarness.start({ mode: 'relay', sendTimeoutMs: 2_000 }, { maxAttempts: 2 });
      mallory = await h.user('mallory');
      frank = await h.person('frank');
      await frank.join('#relay');
      roomId = await h.joinPortal(mallory, '#relay');
      await h.waitForMembership(roomId, ghost('frank'), 'join');
    });
    after(async () => h?.stop());

    it('delivers the messages of someone whose display name has CR/LF and CTCP in it, with the name cleaned', async () => {
      await mallory.client.setState(roomId, 'm.room.member', mallory.userId, {
        membership: 'join', displayname: 'Mal\r\nQUIT :bye\x01DCC\x01\u202e',
      });
      const from = frank.mark();
      await h.text(mallory, roomId, 'first');
      await h.text(mallory, roomId, 'waves', 'm.emote');
      await frank.waitFor((l) => l.nick === BOT_NICK && l.params[1] === '* Mal QUIT :byeDCC waves', 'the emote', { from });
      assert.deepEqual(received(frank, '#relay', from), ['<Mal QUIT :byeDCC> first', '* Mal QUIT :byeDCC waves']);
      assert.equal(await h.deadLetters(), 0, 'nothing became a dead letter');
      assert.ok(!frank.lines.slice(from).some((l) => l.command === 'QUIT' && l.nick === BOT_NICK), 'the bot did not quit');
    });
  });
});
