import assert from 'node:assert/strict';
import type { TestUser } from '../../../src/testing/index.js';
import { waitUntil } from '../../../src/testing/index.js';
import { BOT, BOT_NICK, bodyOf, ghost, withIrcHarness, type IrcHarness } from './harness.js';
import type { IrcPerson } from './irc-person.js';

describe('IRC bridge: portals, messages, commands, direct chats (real ngircd, test homeserver)', function () {
  this.timeout(30_000);
  let h: IrcHarness;
  let alice: TestUser;
  const person = (nick: string): Promise<IrcPerson> => h.person(nick);

  withIrcHarness((started, user) => { h = started; alice = user; });

  describe('portals and messages', () => {
    let carol: IrcPerson;
    let roomId: string;

    before(async () => {
      carol = await person('carol');
      await carol.join('#lobby');
      await carol.send('TOPIC', '#lobby', 'Welcome to the lobby');
      await carol.sync();
      roomId = await h.joinPortal(alice, '#lobby');
    });

    it('creates the portal on the alias query, with the channel topic and its members as ghosts', async () => {
      await waitUntil(() => h.hs.stateEvent(roomId, 'm.room.topic')?.content['topic'] === 'Welcome to the lobby', 10_000, 'the topic');
      await h.waitForMembership(roomId, ghost('carol'), 'join');
      assert.equal(h.hs.stateEvent(roomId, 'm.room.member', ghost('carol'))?.content['displayname'], 'carol');
      // Alice is on IRC as herself, and the bot reads the channel.
      await carol.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice' && l.params[0] === '#lobby', 'alice joining');
      assert.ok(carol.lines.some((l) => l.command === 'JOIN' && l.nick === BOT_NICK));
    });

    it('marks the portal with m.bridge: protocol IRC, the server as network, the channel with an irc:// link', async () => {
      const server = `irc://127.0.0.1:${h.gate.port}`;
      const info = h.hs.stateEvent(roomId, 'm.bridge', `bridgekit.irc://irc/127.0.0.1/#lobby`);
      assert.ok(info, 'the portal has m.bridge');
      assert.equal(info.sender, BOT);
      assert.deepEqual(info.content, {
        bridgebot: BOT,
        protocol: { id: 'irc', displayname: 'IRC' },
        network: { id: '127.0.0.1', displayname: '127.0.0.1', external_url: server },
        channel: { id: '#lobby', displayname: '#lobby', external_url: `${server}/%23lobby` },
      });
      assert.deepEqual(h.hs.stateEvent(roomId, 'uk.half-shot.bridge', `bridgekit.irc://irc/127.0.0.1/#lobby`)?.content, info.content);
    });

    it('carries PRIVMSG, NOTICE and ACTION to Matrix as m.text, m.notice and m.emote, formatting as HTML', async () => {
      await carol.say('#lobby', 'hello from IRC');
      await carol.send('NOTICE', '#lobby', 'a notice');
      await carol.say('#lobby', '\x01ACTION waves\x01');
      await carol.say('#lobby', 'plain \x02bold\x02 \x1ditalic\x1d \x1funder\x1f \x0304red\x03');
      const text = await h.message(roomId, ghost('carol'), 'hello from IRC');
      assert.equal(text.content['msgtype'], 'm.text');
      assert.equal((await h.message(roomId, ghost('carol'), 'a notice')).content['msgtype'], 'm.notice');
      assert.equal((await h.message(roomId, ghost('carol'), 'waves')).content['msgtype'], 'm.emote');
      const formatted = await h.message(roomId, ghost('carol'), 'plain bold italic under red');
      assert.equal(formatted.content['format'], 'org.matrix.custom.html');
      assert.equal(formatted.content['formatted_body'], 'plain <strong>bold</strong> <em>italic</em> <u>under</u> <span data-mx-color="#ff0000">red</span>');
      // In IRC order.
      const bodies = h.hs.events(roomId).filter((e) => e.sender === ghost('carol') && e.type === 'm.room.message').map(bodyOf);
      assert.deepEqual(bodies, ['hello from IRC', 'a notice', 'waves', 'plain bold italic under red']);
    });

    it('carries m.text, m.notice and m.emote to IRC from the sender\'s own nick, HTML as IRC formatting', async () => {
      const from = carol.mark();
      await h.text(alice, roomId, 'hello from Matrix');
      await h.text(alice, roomId, 'a Matrix notice', 'm.notice');
      await h.text(alice, roomId, 'dances', 'm.emote');
      await h.send(alice, roomId, { msgtype: 'm.text', body: 'bold red', format: 'org.matrix.custom.html', formatted_body: '<strong>bold</strong> <font color="#ff0000">red</font>' });
      await carol.waitFor((l) => l.nick === 'alice' && l.params[1] === '\x02bold\x02 \x0304red\x03', 'the formatted message', { from });
      const got = carol.messagesFrom('alice', '#lobby', from).map((l) => [l.command, l.params[1]]);
      assert.deepEqual(got, [
        ['PRIVMSG', 'hello from Matrix'],
        ['NOTICE', 'a Matrix notice'],
        ['PRIVMSG', '\x01ACTION dances\x01'],
        ['PRIVMSG', '\x02bold\x02 \x0304red\x03'],
      ]);
    });

    it('carries mentions both ways: "nick: …" on IRC mentions the Matrix user, a pill on Matrix becomes the IRC nick', async () => {
      await carol.say('#lobby', 'alice: are you there?');
      const addressed = await h.message(roomId, ghost('carol'), 'alice: are you there?');
      assert.deepEqual(addressed.content['m.mentions'], { user_ids: [alice.userId] });
      assert.equal(addressed.content['formatted_body'], `<a href="https://matrix.to/#/${alice.userId}">alice</a>: are you there?`);
      await carol.say('#lobby', 'nobody: not a mention');
      assert.equal((await h.message(roomId, ghost('carol'), 'nobody: not a mention')).content['m.mentions'], undefined);

      const from = carol.mark();
      await h.send(alice, roomId, {
        msgtype: 'm.text', body: 'Carol from IRC: yes', format: 'org.matrix.custom.html',
        formatted_body: `<a href="https://matrix.to/#/${ghost('carol')}">Carol from IRC</a>: yes`,
        'm.mentions': { user_ids: [ghost('carol')] },
      });
      await carol.waitFor((l) => l.nick === 'alice' && l.params[1] === 'carol: yes', 'the pill as carol\'s nick', { from });
    });

    it('renders replies and edits for IRC readers, and media as links', async () => {
      const from = carol.mark();
      const original = await h.text(alice, roomId, 'the original line\nand a second one');
      await h.send(alice, roomId, {
        msgtype: 'm.text', body: '> <@alice:localhost> the original line\n\nthe reply',
        'm.relates_to': { 'm.in_reply_to': { event_id: original } },
      });
      await h.send(alice, roomId, {
        msgtype: 'm.text', body: ' * the corrected line', 'm.new_content': { msgtype: 'm.text', body: 'the corrected line' },
        'm.relates_to': { rel_type: 'm.replace', event_id: original },
      });
      await h.send(alice, roomId, { msgtype: 'm.image', body: 'cat.png', url: 'mxc://localhost/abcDEF123', info: { mimetype: 'image/png' } });
      // A reply to an IRC message quotes its author.
      const fromIrc = await h.message(roomId, ghost('carol'), 'hello from IRC');
      await h.send(alice, roomId, { msgtype: 'm.text', body: 'hi carol', 'm.relates_to': { 'm.in_reply_to': { event_id: fromIrc.event_id } } });
      await carol.waitFor((l) => l.nick === 'alice' && l.params[1] === 'hi carol', 'the reply to carol', { from });
      assert.deepEqual(carol.messagesFrom('alice', '#lobby', from).map((l) => l.params[1]), [
        'the original line',
        'and a second one',
        'alice: > the original line',
        'the reply',
        '* the corrected line',
        'cat.png: https://matrix.example.org/_matrix/media/v3/download/localhost/abcDEF123/cat.png',
        'carol: > hello from IRC',
        'hi carol',
      ]);
    });

    it('splits a long message at spaces within the IRC line limit, whole characters and formatting kept, under flood control', async () => {
      const from = carol.mark();
      const words = Array.from({ length: 160 }, (_, i) => `wörd${i}`).join(' ');
      const started = Date.now();
      await h.send(alice, roomId, { msgtype: 'm.text', body: words, format: 'org.matrix.custom.html', formatted_body: `<strong>${words}</strong>` });
      const last = await carol.waitFor((l) => l.nick === 'alice' && (l.params[1] ?? '').includes('wörd159'), 'the last piece', { from });
      const lines = carol.messagesFrom('alice', '#lobby', from);
      assert.ok(lines.length >= 3, `split into ${lines.length} lines`);
      for (const line of lines) {
        const relayed = `:${line.prefix} PRIVMSG #lobby :${line.params[1]}\r\n`;
        assert.ok(Buffer.byteLength(relayed) <= 512, `line of ${Buffer.byteLength(relayed)} bytes`);
        assert.ok(line.params[1]!.startsWith('\x02'), 'every piece reopens the bold');
        assert.ok(!line.params[1]!.includes('\ufffd'));
      }
      const rejoined = lines.map((l) => l.params[1]!.replace(/\x02/g, '')).join(' ');
      assert.equal(rejoined, words);
      // Burst of 5, then one line per 50 ms.
      if (lines.length > 5) assert.ok(last.at - started >= (lines.length - 5 - 1) * 50);
    });

    it('carries the topic both ways', async () => {
      await carol.send('TOPIC', '#lobby', 'New \x02topic\x02 from IRC');
      await waitUntil(() => h.hs.stateEvent(roomId, 'm.room.topic')?.content['topic'] === 'New topic from IRC', 10_000, 'the IRC topic in Matrix');
      // Alice may not set it on IRC (+t, not an operator): carol makes her one first; in Matrix the bot makes her admin.
      await carol.send('MODE', '#lobby', '+o', 'alice');
      await h.bridge.bot.makeRoomAdmin(roomId, alice.userId, 100);
      await waitUntil(async () => (await h.bridge.mirror.room(roomId))?.powerLevel(alice.userId) === 100, 10_000, 'alice to be admin');
      const from = carol.mark();
      await alice.client.setState(roomId, 'm.room.topic', '', { topic: 'Topic from Matrix' });
      const topic = await carol.waitFor((l) => l.command === 'TOPIC' && l.params[1] === 'Topic from Matrix', 'the Matrix topic on IRC', { from });
      assert.equal(topic.nick, 'alice');
    });
  });

  describe('the bot command', () => {
    it('`!irc join #channel` bridges the channel and invites the sender to its portal', async () => {
      const ivy = await person('ivy');
      await ivy.join('#cmd');
      await ivy.send('TOPIC', '#cmd', 'commands here');
      await ivy.sync();
      const roomId = await alice.client.createRoom({ invite: [BOT] });
      await h.waitForMembership(roomId, BOT, 'join');
      const command = await h.text(alice, roomId, '!irc join #cmd');
      const answer = await h.event(roomId, (e) => e.sender === BOT && /bridged/.test(bodyOf(e)));
      assert.match(bodyOf(answer), /#cmd is bridged to #_irc_cmd:localhost/);
      assert.ok(command);
      const portal = h.hs.resolveAlias('#_irc_cmd:localhost');
      assert.ok(portal);
      await h.waitForMembership(portal, alice.userId, 'invite');
      assert.equal(h.hs.stateEvent(portal, 'm.room.topic')?.content['topic'], 'commands here');
      await alice.client.join(portal);
      await ivy.waitFor((l) => l.command === 'JOIN' && l.nick === 'alice' && l.params[0] === '#cmd', 'alice on IRC');
    });
  });

  describe('private messages', () => {
    it('turns an IRC private message into a direct room with the Matrix user, and back', async () => {
      const gina = await person('gina');
      await h.joinPortal(alice, '#lobby'); // alice is on IRC (already, from the portal)
      await gina.say('alice', 'psst, alice');
      const roomId = await waitUntil(() => h.hs.rooms().find((r) => h.hs.memberships(r)[alice.userId] === 'invite' && h.hs.memberships(r)[ghost('gina')] === 'join'), 10_000, 'the DM room');
      const invite = h.hs.stateEvent(roomId, 'm.room.member', alice.userId);
      assert.equal(invite?.content['is_direct'], true);
      await h.message(roomId, ghost('gina'), 'psst, alice');
      await alice.client.join(roomId);
      const from = gina.mark();
      await h.text(alice, roomId, 'hi gina');
      const reply = await gina.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === 'gina', 'the reply', { from });
      assert.equal(reply.params[1], 'hi gina');
    });

    it('opens a direct chat when a Matrix user invites an IRC user\'s ghost', async () => {
      const erin = await person('erin');
      const roomId = await alice.client.createRoom({ invite: [ghost('erin')], is_direct: true, preset: 'trusted_private_chat' });
      await h.waitForMembership(roomId, ghost('erin'), 'join');
      assert.equal(h.hs.user(ghost('erin'))?.displayname, 'erin');
      await h.text(alice, roomId, 'hello erin');
      const got = await erin.waitFor((l) => l.command === 'PRIVMSG' && l.nick === 'alice' && l.params[0] === 'erin', 'the DM');
      assert.equal(got.params[1], 'hello erin');
      await erin.say('alice', 'hello alice');
      await h.message(roomId, ghost('erin'), 'hello alice');
    });
  });
});

describe('IRC bridge: a large channel\'s member list (real ngircd, membersSyncLimit 2)', function () {
  this.timeout(30_000);
  let h: IrcHarness;
  let alice: TestUser;
  withIrcHarness((started, user) => { h = started; alice = user; }, { membersSyncLimit: 2 });

  it('joins operators first and at most the limit from the member list; the others join when they speak', async () => {
    const people: IrcPerson[] = [];
    for (const nick of ['opal', 'bert', 'cleo', 'dora']) {
      const p = await h.person(nick);
      await p.join('#big'); // opal is first in: channel operator
      people.push(p);
    }
    await people[3]!.sync();
    const roomId = await h.joinPortal(alice, '#big');
    await h.waitForMembership(roomId, ghost('opal'), 'join');
    await waitUntil(() => Object.keys(h.hs.memberships(roomId)).filter((u) => u.startsWith('@_irc_')).length >= 2, 10_000, 'two ghosts');
    await new Promise((ok) => setTimeout(ok, 300));
    const ghosts = () => Object.entries(h.hs.memberships(roomId)).filter(([u, m]) => u.startsWith('@_irc_') && m === 'join').map(([u]) => u);
    assert.equal(ghosts().length, 2, `joined: ${ghosts().join(', ')}`);
    assert.ok(ghosts().includes(ghost('opal')), 'the operator is among them');
    const quiet = ['bert', 'cleo', 'dora'].find((n) => !ghosts().includes(ghost(n)))!;
    await people.find((p) => p.nick === quiet)!.say('#big', 'I was here all along');
    await h.message(roomId, ghost(quiet), 'I was here all along');
    assert.equal(h.hs.memberships(roomId)[ghost(quiet)], 'join');
  });
});
