import assert from 'node:assert/strict';
import fc from 'fast-check';
import { maskMatches, parseModes } from '../../../bridges/irc/channels.js';
import { backoffDelay, TokenBucket } from '../../../bridges/irc/flood.js';
import { htmlToIrc, ircToMatrix } from '../../../bridges/irc/formatting.js';
import { stripBodyReplyFallback } from '../../../src/format/index.js';
import { NickIdentities } from '../../../bridges/irc/identities.js';
import { parseMessage } from '../../../bridges/irc/inbound.js';
import { stripFormatting } from '../../../bridges/irc/irc-style.js';
import { ircLower, isValidNick, nickCandidate, nickFromTemplate, sanitizeNick } from '../../../bridges/irc/nicks.js';
import { channelId, channelName, dmChannelId, parseDm } from '../../../bridges/irc/portals.js';
import { lineBudget, mediaLink, quoteFromFallback } from '../../../bridges/irc/render.js';
import { splitText } from '../../../bridges/irc/split.js';
import { formatLine, toLine } from '../../../bridges/irc/wire.js';
import { silentLogger } from '../../../src/log/logger.js';
import type { KeyValue } from '../../../src/plugin/kv.js';

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

class MemoryKv implements KeyValue {
  readonly data = new Map<string, unknown>();
  async get<V>(key: string): Promise<V | undefined> { return this.data.get(key) as V | undefined; }
  async put<V>(key: string, value: V): Promise<void> { this.data.set(key, value); }
  async del(key: string): Promise<void> { this.data.delete(key); }
  async *entries<V>(prefix = ''): AsyncGenerator<[string, V]> {
    for (const key of [...this.data.keys()].sort()) if (key.startsWith(prefix)) yield [key, this.data.get(key) as V];
  }
}

describe('IRC bridge units', () => {
  describe('nicks and ids', () => {
    it('folds case by RFC 1459 and makes valid nicks from any name', () => {
      assert.equal(ircLower('Bob[Away]\\~'), 'bob{away}|^');
      assert.equal(sanitizeNick('Zoë Müller', 30), 'ZoeMuller');
      assert.equal(sanitizeNick('42 crew', 30), '_42crew');
      assert.equal(sanitizeNick('日本', 30), 'matrix');
      assert.equal(nickFromTemplate('{name}[m]', 'A Very Long Display Name Indeed', 12), 'AVeryLong[m]');
      assert.ok(isValidNick(nickFromTemplate('{name}', '-dash', 9)));
      assert.deepEqual([0, 1, 2, 3].map((i) => nickCandidate('alice', i, 6)), ['alice', 'alice_', 'alice2', 'alice3']);
      assert.ok(!isValidNick('1abc') && !isValidNick('a b') && !isValidNick('') && isValidNick('[m]x'));
    });

    it('maps channels to ids (portal aliases) and back, DMs apart', () => {
      assert.equal(channelId('#Test'), 'test');
      assert.equal(channelName('test'), '#test');
      assert.equal(channelId('&Local'), '&local');
      assert.equal(channelName('&local'), '&local');
      assert.equal(channelName('pm:bob:@a:b'), undefined);
      assert.equal(channelName('bad name'), undefined);
      assert.deepEqual(parseDm(dmChannelId('bob', '@alice:example.org')), { ghostId: 'bob', userId: '@alice:example.org' });
    });

    it('keeps a ghost across nick changes, frees it on quit, and never gives one id to two people', async () => {
      const ids = new NickIdentities(new MemoryKv(), silentLogger());
      assert.equal(ids.idFor('Bob'), 'bob');
      assert.equal(ids.renamed('Bob', 'Robert'), 'bob');
      assert.equal(ids.idFor('robert'), 'bob');
      assert.equal(ids.nickOf('bob'), 'Robert');
      // Someone new takes "Bob" while Robert is online: a different ghost.
      assert.equal(ids.idFor('Bob'), 'bob!2');
      ids.gone('Robert');
      assert.equal(ids.idFor('Robert'), 'robert');
      assert.equal(ids.idFor('Bob'), 'bob!2');
      ids.gone('Bob');
      assert.equal(ids.idFor('Bob'), 'bob');
    });

    it('remembers renames across restarts (the plugin kv)', async () => {
      const kv = new MemoryKv();
      const first = new NickIdentities(kv, silentLogger());
      first.renamed('Carol', 'Caroline');
      await new Promise((r) => setImmediate(r));
      const second = new NickIdentities(kv, silentLogger());
      await second.load();
      assert.equal(second.idFor('Caroline'), 'carol');
    });
  });

  describe('formatting', () => {
    it('turns IRC codes into Matrix HTML, escaping text', () => {
      assert.deepEqual(ircToMatrix('no codes <here>'), { text: 'no codes <here>' });
      const colored = ircToMatrix('\x0304,12red on blue\x0f plain \x04ff8800hex\x04 \x11mono\x11');
      assert.equal(colored.text, 'red on blue plain hex mono');
      assert.equal(colored.html, '<span data-mx-color="#ff0000" data-mx-bg-color="#0000fc">red on blue</span> plain <span data-mx-color="#ff8800">hex</span> <code>mono</code>');
      assert.equal(ircToMatrix('\x02<b>&\x02').html, '<strong>&lt;b&gt;&amp;</strong>');
    });

    it('turns Matrix HTML into IRC text: styles, colours, links, lists, quotes, code; reply fallbacks dropped', () => {
      assert.equal(htmlToIrc('<mx-reply><blockquote>old</blockquote></mx-reply>new <i>it</i>'), 'new \x1dit\x1d');
      assert.equal(htmlToIrc('<a href="https://example.org/x">site</a> and <a href="https://example.org">https://example.org</a>'), 'site (https://example.org/x) and https://example.org');
      assert.equal(htmlToIrc('<a href="https://matrix.to/#/@_irc_bob:localhost">bob</a>: hi'), 'bob: hi');
      assert.equal(htmlToIrc('<ol start="3"><li>three</li><li>four</li></ol>'), '3. three\n4. four');
      assert.equal(htmlToIrc('<blockquote><p>a</p><p>b</p></blockquote><p>c</p>'), '> a\n> b\nc');
      assert.equal(htmlToIrc('<pre><code>x = 1\n  y</code></pre>'), '\x11x = 1\n  y\x11');
      assert.equal(htmlToIrc('<span data-mx-color="#00ff00">green</span>'), '\x0309green\x03');
      assert.equal(htmlToIrc('a &lt;tag&gt; &amp; &#x1F600; &bogus;'), 'a <tag> & 😀 &bogus;');
    });

    it('survives malformed and hostile HTML', () => {
      assert.equal(htmlToIrc('<b>unclosed <i>nest</b> after'), '\x02unclosed \x1dnest\x1d\x02 after');
      assert.equal(htmlToIrc('1 < 2 and 3 > 2'), '1 < 2 and 3 > 2');
      assert.equal(htmlToIrc('<script>alert(1)</script>ok'), 'ok');
      const started = Date.now();
      htmlToIrc('<a b'.repeat(20_000));
      htmlToIrc('<'.repeat(50_000) + '>');
      assert.ok(Date.now() - started < 2_000, 'linear enough');
      // A quoted `>` stays inside its attribute: the link text is all that is written.
      assert.equal(htmlToIrc('<a href="x>y">t</a>'), 't');
    });

    it('reads PRIVMSG, NOTICE and CTCP ACTION, and leaves other CTCP out', () => {
      assert.deepEqual(parseMessage('PRIVMSG', '\x01ACTION waves\x01'), { text: 'waves', msgtype: 'm.emote' });
      assert.deepEqual(parseMessage('NOTICE', 'hi'), { text: 'hi', msgtype: 'm.notice' });
      assert.equal(parseMessage('PRIVMSG', '\x01VERSION\x01'), undefined);
      assert.equal(parseMessage('PRIVMSG', '\x02\x02'), undefined);
    });
  });

  describe('splitting', () => {
    it('never exceeds the budget, never cuts a character or code, and keeps all the text', () => {
      fc.assert(fc.property(
        fc.array(fc.oneof(
          fc.constantFrom('\x02', '\x1d', '\x0304', '\x0312,01', '\x03', '\x0f', ' ', ' ', '\n'),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
        ), { maxLength: 120 }),
        fc.integer({ min: 20, max: 120 }),
        (parts, budget) => {
          const text = parts.join('');
          const { lines } = splitText(text, budget);
          for (const line of lines) {
            assert.ok(bytes(line) <= budget || [...stripFormatting(line)].length === 1, `${bytes(line)} > ${budget}`);
            assert.equal(Buffer.from(line, 'utf8').toString('utf8'), line, 'no character cut in two');
          }
          const squash = (s: string) => stripFormatting(s).replace(/[\s\0]+/g, '');
          assert.equal(lines.map(squash).join(''), squash(text.replace(/[\r\n]/g, ' ')));
        },
      ), { numRuns: 300 });
    });

    it('reopens formatting on every continuation line, with two-digit colours before digits', () => {
      const { lines } = splitText('\x0304' + '1234 '.repeat(10), 20);
      for (const line of lines) assert.ok(line.startsWith('\x0304'), JSON.stringify(line));
      assert.ok(lines.length > 1);
    });

    it('caps the number of lines and says how many were left out', () => {
      const { lines, omitted } = splitText('1\n2\n3\n4\n5', 100, 3, '<a> ');
      assert.deepEqual(lines, ['<a> 1', '<a> 2', '<a> … (3 more lines not sent)']);
      assert.equal(omitted, 3);
    });

    it('leaves room for the relayed prefix of a 512-byte IRC line', () => {
      const nick = 'n'.repeat(30);
      const budget = lineBudget(nick, '#channel', false);
      const relayed = `:${nick}!~${'u'.repeat(10)}@${'h'.repeat(63)} PRIVMSG #channel :${'x'.repeat(budget)}\r\n`;
      assert.ok(bytes(relayed) <= 512);
      assert.ok(budget > 300);
      assert.equal(lineBudget(nick, '#channel', true), budget - 9);
    });
  });

  describe('rendering', () => {
    it('reads and strips reply fallbacks and builds media links', () => {
      const body = '> <@bob:example.org> the question\n> second\n\nthe answer';
      assert.equal(stripBodyReplyFallback(body), 'the answer');
      assert.deepEqual(quoteFromFallback(body), { sender: '@bob:example.org', text: 'the question' });
      assert.equal(mediaLink('https://hs.example/', 'mxc://hs.example/AbC_1', 'a b.png'), 'https://hs.example/_matrix/media/v3/download/hs.example/AbC_1/a%20b.png');
      assert.equal(mediaLink('https://hs.example', 'mxc://bad/../x', undefined), undefined);
    });
  });

  describe('the IRC wire', () => {
    it('checks every line irc-framework hands over', () => {
      assert.deepEqual(toLine({ command: 'privmsg', params: ['#a', 'hi'], prefix: 'bob!u@h', nick: 'bob', ident: 'u', hostname: 'h', tags: { msgid: 'x', bad: 1 } }), {
        command: 'PRIVMSG', params: ['#a', 'hi'], prefix: 'bob!u@h', nick: 'bob', ident: 'u', host: 'h', tags: new Map([['msgid', 'x']]),
      });
      assert.equal(toLine({ command: 'PRIVMSG', params: ['#a', 5] }), undefined);
      assert.equal(toLine({ command: 'PRIV MSG', params: [] }), undefined);
      assert.equal(toLine(null), undefined);
      assert.equal(toLine({ command: '001', params: ['me', 'hi'], prefix: 'irc.test', nick: 'irc.test' })?.nick, undefined, 'a server is nobody');
    });

    it('formats lines and refuses line breaks in them', () => {
      assert.equal(formatLine('PRIVMSG', ['#a', 'hello world']), 'PRIVMSG #a :hello world');
      assert.equal(formatLine('PRIVMSG', ['#a', ':)']), 'PRIVMSG #a ::)');
      assert.equal(formatLine('MODE', ['#a', '+o', 'bob']), 'MODE #a +o bob');
      assert.throws(() => formatLine('PRIVMSG', ['#a', 'hi\r\nQUIT']));
      assert.throws(() => formatLine('PRIVMSG', ['#a b', 'hi']));
    });
  });

  describe('channel modes', () => {
    it('parses modes with their parameters by the server\'s ISUPPORT', () => {
      const isupport = new Map([['PREFIX', '(qaohv)~&@%+'], ['CHANMODES', 'beI,k,l,imnst']]);
      assert.deepEqual(parseModes('+ob-v+lk', ['alice', 'x!*@*', 'bob', '10', 'key'], isupport), [
        { adding: true, mode: 'o', param: 'alice' },
        { adding: true, mode: 'b', param: 'x!*@*' },
        { adding: false, mode: 'v', param: 'bob' },
        { adding: true, mode: 'l', param: '10' },
        { adding: true, mode: 'k', param: 'key' },
      ]);
      assert.ok(maskMatches('Dave!*@*', 'dave!~dave@127.0.0.1'));
      assert.ok(maskMatches('*!*@127.0.0.?', 'x!y@127.0.0.1'));
      assert.ok(!maskMatches('dave!*@*', 'davey!d@h'));
    });
  });

  describe('flood control and backoff', () => {
    it('lets a burst through, then one line per interval', () => {
      let now = 0;
      const bucket = new TokenBucket(3, 500, () => now);
      assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [0, 0, 0]);
      assert.equal(bucket.take(), 500);
      now += 499;
      const wait = bucket.take();
      assert.ok(wait > 0 && wait <= 2, String(wait));
      now += 1;
      assert.equal(bucket.take(), 0);
      now += 10_000;
      assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take() > 0], [0, 0, 0, true]);
    });

    it('backs off exponentially with jitter, up to a cap', () => {
      assert.equal(backoffDelay(1, 1000, 60_000, () => 0), 500);
      assert.equal(backoffDelay(1, 1000, 60_000, () => 1), 1000);
      assert.equal(backoffDelay(4, 1000, 60_000, () => 1), 8000);
      assert.equal(backoffDelay(30, 1000, 60_000, () => 1), 60_000);
      assert.ok(backoffDelay(30, 1000, 60_000, () => 0) >= 30_000);
    });
  });
});

describe('IRC bridge: mentions', () => {
  it('turns a leading "nick:" or "nick," addressed to a Matrix user into a mention and a pill', async () => {
    const { parseMessage, withAddressee } = await import('../../../bridges/irc/inbound.js');
    const users = (nick: string) => (nick.toLowerCase() === 'alice' ? '@alice:example.org' : undefined);
    const plain = withAddressee(parseMessage('PRIVMSG', 'Alice, <hi>')!, users);
    assert.deepEqual(plain.mentions, { userIds: ['@alice:example.org'] });
    assert.equal(plain.html, '<a href="https://matrix.to/#/@alice:example.org">Alice</a>, &lt;hi&gt;');
    const formatted = withAddressee(parseMessage('PRIVMSG', 'alice: \x02bold\x02')!, users);
    assert.equal(formatted.html, '<a href="https://matrix.to/#/@alice:example.org">alice</a>: <strong>bold</strong>');
    for (const text of ['bob: hi', 'alice:no space', 'hello alice: hi']) {
      assert.equal(withAddressee(parseMessage('PRIVMSG', text)!, users).mentions, undefined, text);
    }
  });

  it('writes a pill as the IRC nick of whom it mentions, and keeps the text of anyone else', async () => {
    const { htmlToIrc } = await import('../../../bridges/irc/formatting.js');
    const nickOf = (userId: string) => (userId === '@_irc_carol:example.org' ? 'carol' : undefined);
    assert.equal(htmlToIrc('<a href="https://matrix.to/#/@_irc_carol:example.org"><b>Carol</b> (IRC)</a>: hi', nickOf), 'carol: hi');
    assert.equal(htmlToIrc('<a href="https://matrix.to/#/%40_irc_carol%3Aexample.org">Carol</a>: hi', nickOf), 'carol: hi', 'percent-encoded ids too');
    assert.equal(htmlToIrc('<a href="https://matrix.to/#/@dave:example.org">Dave</a>: hi', nickOf), 'Dave: hi');
    assert.equal(htmlToIrc('<a href="https://matrix.to/#/!room:example.org">a room</a>', nickOf), 'a room');
  });

  it('is a bridgekit NetworkFormat (IRC codes to Matrix text and back)', async () => {
    const { ircFormat } = await import('../../../bridges/irc/formatting.js');
    assert.deepEqual(ircFormat.toMatrix('\x02hi\x02'), { text: 'hi', html: '<strong>hi</strong>' });
    const mention = (userId: string) => (userId === '@_irc_carol:example.org' ? 'carol' : undefined);
    assert.equal(ircFormat.fromMatrix({ body: 'x', html: '<a href="https://matrix.to/#/@_irc_carol:example.org">Carol</a>: <i>hi</i>' }, { mention }), 'carol: \x1dhi\x1d');
    assert.equal(ircFormat.fromMatrix({ body: 'plain\x01CTCP' }), 'plainCTCP', 'control characters a Matrix user sent are removed');
  });
});
