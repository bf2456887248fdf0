import assert from 'node:assert/strict';
import { InvitePolicy, parseCommandLine, splitArgs } from '../../src/bot/index.js';
import { stripReplyFallback } from '../../src/bot/command-line.js';
import { helpText } from '../../src/bot/help.js';

const BANG = { prefix: '!', prefixOptional: false };
const MANAGEMENT = { prefix: '!', prefixOptional: true };

describe('bot command lines', () => {
  it('reads the name, the arguments and the rest as typed', () => {
    assert.deepEqual(parseCommandLine({ body: '!Op  @a:hs   50 ' }, BANG), { name: 'op', args: ['@a:hs', '50'], rest: '@a:hs   50 ' });
    assert.deepEqual(parseCommandLine({ body: '!help' }, BANG), { name: 'help', args: [], rest: '' });
    assert.deepEqual(parseCommandLine({ body: '!echo line one\nline two' }, BANG)?.rest, 'line one\nline two');
  });

  it('is no command without the prefix, or with nothing right after it', () => {
    assert.equal(parseCommandLine({ body: 'hello !echo' }, BANG), undefined);
    assert.equal(parseCommandLine({ body: '! echo' }, BANG), undefined);
    assert.equal(parseCommandLine({ body: '!' }, BANG), undefined);
    assert.equal(parseCommandLine({ body: '' }, MANAGEMENT), undefined);
  });

  it('takes the prefix as optional in management rooms', () => {
    assert.equal(parseCommandLine({ body: 'ping' }, MANAGEMENT)?.name, 'ping');
    assert.equal(parseCommandLine({ body: '!ping' }, MANAGEMENT)?.name, 'ping');
  });

  it('works with a longer prefix', () => {
    assert.deepEqual(parseCommandLine({ body: '.bot echo hi' }, { prefix: '.bot ', prefixOptional: false }), { name: 'echo', args: ['hi'], rest: 'hi' });
  });

  it('splits arguments like a shell, friendly to chat', () => {
    assert.deepEqual(splitArgs('a "b c" \'d e\' f\\ g'), ['a', 'b c', 'd e', 'f g']);
    assert.deepEqual(splitArgs('don\'t panic'), ["don't", 'panic']);
    assert.deepEqual(splitArgs('\u201csmart quotes\u201d here'), ['smart quotes', 'here']);
    assert.deepEqual(splitArgs('"say \\"hi\\"" ""'), ['say "hi"', '']);
    assert.deepEqual(splitArgs('"unclosed quote runs on'), ['unclosed quote runs on']);
    assert.deepEqual(splitArgs('   '), []);
  });

  it('strips the command from the HTML and keeps the tags around it', () => {
    const html = (body: string, formatted: string) => parseCommandLine({ body, html: formatted }, BANG)?.restHtml;
    assert.equal(html('!echo hi **there**', '<p>!echo hi <strong>there</strong></p>'), '<p>hi <strong>there</strong></p>');
    assert.equal(html('!echo *x*', '!echo <em>x</em>'), '<em>x</em>');
    assert.equal(html('!ECHO x', '<b>!ECHO</b> x'), '<b></b> x');
    // HTML that does not start with the command: the plain rest, escaped.
    assert.equal(html('!echo a<b', '<p>something else</p>'), 'a&lt;b');
    assert.equal(parseCommandLine({ body: 'echo <i>x</i>', html: 'echo <i>x</i>' }, MANAGEMENT)?.restHtml, '<i>x</i>');
  });

  it('skips the quoted fallback of a reply', () => {
    assert.equal(stripReplyFallback('> <@a:hs> earlier\n> more\n\n!ping'), '!ping');
    const line = parseCommandLine({
      body: '> <@a:hs> earlier\n\n!echo <b>x</b>',
      html: '<mx-reply><blockquote>earlier</blockquote></mx-reply>!echo <b>x</b>',
      isReply: true,
    }, BANG);
    assert.equal(line?.name, 'echo');
    assert.equal(line?.restHtml, '<b>x</b>');
  });
});

describe('bot invite policy', () => {
  const ours = (u: string) => u.startsWith('@_echo_');

  it('lets in anyone on the homeserver\'s own domain when no list is given', () => {
    const policy = new InvitePolicy({ users: [], servers: [] }, 'hs.example', ours);
    assert.equal(policy.allows('@alice:hs.example'), true);
    assert.equal(policy.allows('@eve:elsewhere.example'), false);
  });

  it('lets in the listed users and servers only, and always the bridge\'s own users', () => {
    const policy = new InvitePolicy({ users: ['@alice:other.example'], servers: ['friends.example', 'ports.example:8448'] }, 'hs.example', ours);
    assert.equal(policy.allows('@alice:other.example'), true);
    assert.equal(policy.allows('@bob:friends.example'), true);
    assert.equal(policy.allows('@bob:ports.example:8448'), true);
    assert.equal(policy.allows('@bob:hs.example'), false);
    assert.equal(policy.allows('@_echo_x:hs.example'), true);
  });
});

describe('bot help', () => {
  it('lists help and the commands with usage and the level they need', () => {
    const help = helpText([
      { name: 'op', summary: 'raises a user', usage: '<user> <level>', powerLevel: 50, run: async () => undefined },
    ], '!', false);
    assert.equal(help.text, 'Commands:\n!help — lists the commands\n!op <user> <level> — raises a user (needs power level 50)');
    assert.match(help.html, /<li><code>!op &lt;user&gt; &lt;level&gt;<\/code> — raises a user \(needs power level 50\)<\/li>/);
  });
});
