import assert from 'node:assert/strict';
import fc from 'fast-check';
import { htmlToIrc } from '../../../bridges/irc/formatting.js';
import { renderEdit, renderMessage } from '../../../bridges/irc/render.js';
import { graphemes } from '../../../bridges/irc/irc-style.js';
import { isValidChannel } from '../../../bridges/irc/nicks.js';
import { cleanLine, cleanText } from '../../../bridges/irc/sanitize.js';
import { splitText } from '../../../bridges/irc/split.js';
import { formatLine } from '../../../bridges/irc/wire.js';
import type { MatrixEdit, MatrixMessage } from '../../../src/plugin/matrix-events.js';

const message = (body: string, extra: Partial<MatrixMessage> = {}) =>
  ({ msgtype: 'm.text', body, eventId: '$e', roomId: '!r', sender: '@a:hs', ts: 0, ...extra }) as unknown as MatrixMessage;
const render = (m: MatrixMessage) => renderMessage(m, { mediaUrl: () => 'https://x/y' }).text;

describe('IRC bridge: control characters from Matrix', () => {
  it('removes CTCP delimiters and raw formatting codes from text, keeping line breaks', () => {
    assert.equal(cleanText('\x01DCC SEND evil.exe 2130706433 4444 1337\x01'), 'DCC SEND evil.exe 2130706433 4444 1337');
    assert.equal(cleanText('a\x02b\x03c\x0fd\x16e\x1df\x1eg\x1fh\x11i\x04j\x7fk\0l'), 'abcdefghijkl');
    assert.equal(cleanText('one\r\ntwo\rthree\nfour\tfive'), 'one\ntwo\nthree\nfour\tfive');
    assert.equal(cleanLine('  Mal\r\nQUIT :x\x01\u202eevil\u2066 \t name  '), 'Mal QUIT :xevil name');
  });

  it('cleans the body, HTML (entities decoded first), image alt, link targets, media labels, quotes and edits', () => {
    assert.equal(render(message('\x01PING 1\x01')), 'PING 1');
    assert.equal(htmlToIrc('&#1;DCC SEND x&#x01; <b>&#2;bold</b>'), 'DCC SEND x \x02bold\x02');
    assert.equal(htmlToIrc('<img alt="&#1;VERSION&#1;" src="mxc://a/b">'), 'VERSION');
    assert.equal(htmlToIrc('<a href="https://e.org/&#1;x">t</a>'), 't (https://e.org/x)');
    assert.equal(render(message('\x01file\x01.png', { media: { url: 'mxc://a/b', filename: 'f' } } as Partial<MatrixMessage>)), 'file.png: https://x/y');
    const edit = { msgtype: 'm.text', body: ' * \x01VERSION\x01', roomId: '!r', sender: '@a:hs', eventId: '$e' } as unknown as MatrixEdit;
    assert.equal(renderEdit(edit).text, '* VERSION');
  });

  it('splits no \\x01, CR, LF or NUL onto any line, whatever the input', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom('a', ' ', '\x01', '\r', '\n', '\0', '\x02', '\x03', '4', 'é', '👍'), maxLength: 200 }), fc.string({ maxLength: 20 }), (text, prefix) => {
      for (const line of splitText(text, 120, Infinity, cleanLine(prefix)).lines) assert.ok(!/[\x01\r\n\0]/.test(line), JSON.stringify(line));
    }), { numRuns: 200 });
  });

  it('keeps an emoji whole when a chunk boundary falls between its surrogates', () => {
    const seg = new Intl.Segmenter('en', { granularity: 'grapheme' });
    for (let pad = 500; pad < 520; pad++) {
      const text = 'x'.repeat(pad) + '👍🏽'.repeat(4);
      assert.deepEqual([...graphemes(text)], Array.from(seg.segment(text), (s) => s.segment), `padding ${pad}`);
    }
  });

  it('a channel name (from !irc join) has no control character', () => {
    for (const bad of ['#a\x01b', '#a\0', '#a\x07', '#a\x02b', '#a\x7f']) assert.equal(isValidChannel(bad), false, JSON.stringify(bad));
    assert.equal(isValidChannel('#ok-channel'), true);
  });

  it('the wire refuses \\x01 anywhere but the bridge\'s own ACTION', () => {
    assert.equal(formatLine('PRIVMSG', ['#a', '\x01ACTION waves\x01']), 'PRIVMSG #a :\x01ACTION waves\x01');
    assert.throws(() => formatLine('PRIVMSG', ['#a', '\x01DCC SEND x 1 2 3\x01']), /may not contain \\x01/);
    assert.throws(() => formatLine('PRIVMSG', ['#a', '\x01ACTION a\x01\x01PING 1\x01']), /may not contain \\x01/);
    assert.throws(() => formatLine('TOPIC', ['#a', 'x\x01VERSION\x01']), /may not contain \\x01/);
  });
});

describe('IRC bridge: splitting long messages', () => {
  it('segments graphemes in chunks exactly as the whole string would be', () => {
    const seg = new Intl.Segmenter('en', { granularity: 'grapheme' });
    const piece = fc.constantFrom('a', ' ', 'e\u0301', '\u0301', '👍🏽', '👨‍👩‍👧', '\u200d', '🇫🇷', '🇩', '\u0600', '字', 'ก', 'ำ', 'x'.repeat(300), '\u0301'.repeat(700));
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), (pieces) => {
      const text = pieces.join('');
      assert.deepEqual([...graphemes(text)], Array.from(seg.segment(text), (s) => s.segment));
    }), { numRuns: 200 });
  });

  it('splits a 64 KiB message into lines within the budget that keep every word (its speed is in bench, not here)', () => {
    const { lines } = splitText('word '.repeat(13_000), 400);
    assert.ok(lines.length > 100);
    for (const line of lines) assert.ok(Buffer.byteLength(line) <= 400, line);
    assert.equal(lines.join(' ').split(/ +/).filter(Boolean).length, 13_000);
  });
});
