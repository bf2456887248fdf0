import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  formatHtml, formatMarkdown, htmlToText, markdownFormat, markdownToHtml, mentionedUsers, parseMatrixTo, plainTextFormat,
  roomPill, stripBodyReplyFallback, stripHtmlReplyFallback, stripReplyFallback, textToHtml, userPill, walkHtml,
} from '../../src/format/index.js';

describe('format: Matrix HTML as plain text (htmlToText)', () => {
  it('writes paragraphs, line breaks and headings as lines', () => {
    assert.equal(htmlToText('<h1>Title</h1><p>one\n  two</p><p>three<br>four</p>'), 'Title\n\none two\n\nthree\nfour');
    assert.equal(htmlToText('<div>a</div><div>b</div>'), 'a\nb');
  });

  it('indents nested lists and numbers ordered ones from `start`', () => {
    const html = '<ul><li>one<ul><li>two</li><li>three<ol start="7"><li>seven</li><li>eight</li></ol></li></ul></li><li>four</li></ul>';
    assert.equal(htmlToText(html), '- one\n  - two\n  - three\n    7. seven\n    8. eight\n- four');
    assert.equal(htmlToText('<ol start="x"><li>a</li></ol>'), '1. a', 'a bad start counts from 1');
    assert.equal(htmlToText('<ul><li><p>para one</p><p>para two</p></li></ul>'), '- para one\n  para two');
  });

  it('quotes blockquotes line by line, nested ones twice', () => {
    assert.equal(htmlToText('<blockquote><p>a</p><blockquote>b</blockquote></blockquote>c'), '> a\n>\n> > b\n\nc');
  });

  it('keeps code blocks verbatim (whitespace, entities decoded, no link rewriting)', () => {
    assert.equal(htmlToText('<pre><code class="language-py">if x &lt; 2:\n    print("&amp;")\n</code></pre><p>after</p>'), 'if x < 2:\n    print("&")\n\nafter');
    assert.equal(htmlToText('inline <code>a  &gt;  b</code>'), 'inline a > b');
  });

  it('decodes entities, and leaves unknown ones and stray brackets as text', () => {
    assert.equal(htmlToText('a &lt;tag&gt; &amp; &#x1F600; &eacute; &bogus; 1 < 2 > 0'), 'a <tag> & 😀 é &bogus; 1 < 2 > 0');
    assert.equal(htmlToText('&nbsp;kept&nbsp;'), '\u00a0kept\u00a0', 'a no-break space is not collapsed');
  });

  it('writes a link\'s URL after its text unless the text is the URL', () => {
    assert.equal(htmlToText('<a href="https://example.org">https://example.org</a>'), 'https://example.org');
    assert.equal(htmlToText('<a href="https://example.org/x">the site</a>'), 'the site (https://example.org/x)');
    assert.equal(htmlToText('<a href="mailto:a@b.c">a@b.c</a>'), 'a@b.c');
    assert.equal(htmlToText('<a href="https://example.org/empty"></a>'), 'https://example.org/empty');
    assert.equal(htmlToText('<a>no href</a>'), 'no href');
  });

  it('writes pills as names: ghosts and real users told apart by the caller', () => {
    const html = '<a href="https://matrix.to/#/@_irc_bob:localhost">Bob (IRC)</a> and <a href="https://matrix.to/#/%40alice%3Alocalhost">Alice</a>: '
      + 'see <a href="https://matrix.to/#/#room:localhost">#room:localhost</a> <a href="https://matrix.to/#/!abc:localhost"></a>';
    assert.equal(htmlToText(html), 'Bob (IRC) and Alice: see #room:localhost !abc:localhost');
    const mention = (userId: string) => (userId.startsWith('@_irc_') ? userId.slice(6, userId.indexOf(':')) : undefined);
    assert.equal(htmlToText(html, { mention }), 'bob and Alice: see #room:localhost !abc:localhost');
  });

  it('drops reply fallbacks, scripts and styles with their content; images by their alt text', () => {
    assert.equal(htmlToText('<mx-reply><blockquote>old <a href="x">y</a></blockquote></mx-reply>new'), 'new');
    assert.equal(htmlToText('<script>alert(1)</script><style>p{}</style>ok <img src="mxc://a/b" alt="cat">'), 'ok cat');
  });

  it('reads malformed HTML without throwing: unclosed, misnested, stray end tags, broken attributes', () => {
    assert.equal(htmlToText('<b>unclosed <i>nest</b> after</i></p>'), 'unclosed nest after');
    assert.equal(htmlToText('<a href="x>y">t</a>'), 't (x>y)');
    assert.equal(htmlToText('<p>a<li>loose item</p>'), 'a\nloose item');
    htmlToText('<a b'.repeat(20_000));
    htmlToText('<'.repeat(50_000) + '>');
    assert.equal(htmlToText('<b>'.repeat(5_000) + 'deep'), '', 'nesting beyond 100 is cut, not a stack overflow');
  });

  it('never throws on arbitrary input, and gives text without markup back as it is', () => {
    fc.assert(fc.property(fc.string(), (s) => {
      assert.equal(typeof htmlToText(s), 'string');
    }), { numRuns: 300 });
    const word = fc.stringMatching(/^[a-z0-9.,!?]{1,8}$/);
    fc.assert(fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), (words) => {
      assert.equal(htmlToText(words.join(' ')), words.join(' '));
    }), { numRuns: 200 });
  });
});

describe('format: Markdown to Matrix HTML', () => {
  it('renders Markdown, one paragraph without <p>, several with', () => {
    assert.equal(markdownToHtml('**bold** _it_ ~~gone~~ `x<1`'), '<strong>bold</strong> <em>it</em> <s>gone</s> <code>x&lt;1</code>');
    assert.equal(markdownToHtml('one\n\ntwo'), '<p>one</p>\n<p>two</p>');
    assert.equal(markdownToHtml('line\nbreak'), 'line<br />\nbreak');
  });

  it('keeps raw HTML in the source as text, and sends links through the sanitiser', () => {
    assert.equal(markdownToHtml('<script>x</script> <b>y</b>'), '&lt;script&gt;x&lt;/script&gt; &lt;b&gt;y&lt;/b&gt;');
    assert.equal(markdownToHtml('[x](javascript:alert(1)) ![i](https://e.org/i.png)'), '[x](javascript:alert(1)) <img alt="i" />');
    assert.equal(markdownToHtml('https://example.org'), '<a href="https://example.org">https://example.org</a>');
  });

  it('renders nested lists and fenced code', () => {
    assert.equal(markdownToHtml('- a\n  - b\n- c'), '<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul>\n</li>\n<li>c</li>\n</ul>');
    assert.equal(markdownToHtml('```ts\nlet a = "<b>";\n```'), '<pre><code class="language-ts">let a = "&lt;b&gt;";\n</code></pre>');
  });

  it('formatMarkdown: no HTML for text without formatting; a body from the HTML and m.mentions from its pills otherwise', () => {
    assert.deepEqual(formatMarkdown('just a <plain> & text'), { text: 'just a <plain> & text' });
    const out = formatMarkdown('hi [Alice](https://matrix.to/#/@alice:localhost), **see** https://e.org');
    assert.deepEqual(out, {
      text: 'hi Alice, see https://e.org',
      html: 'hi <a href="https://matrix.to/#/@alice:localhost">Alice</a>, <strong>see</strong> <a href="https://e.org">https://e.org</a>',
      mentions: { userIds: ['@alice:localhost'] },
    });
  });

  it('textToHtml escapes and keeps line breaks', () => {
    assert.equal(textToHtml('a <b> & "c"\nd'), 'a &lt;b&gt; &amp; &quot;c&quot;<br>d');
  });
});

describe('format: pills and m.mentions', () => {
  it('builds pills with escaped names and reads them back', () => {
    assert.equal(userPill('@a:b', '<A>'), '<a href="https://matrix.to/#/@a:b">&lt;A&gt;</a>');
    assert.equal(roomPill('#r:b'), '<a href="https://matrix.to/#/#r:b">#r:b</a>');
    assert.deepEqual(parseMatrixTo('https://matrix.to/#/%40a%3Ab'), { kind: 'user', id: '@a:b' });
    assert.deepEqual(parseMatrixTo('https://matrix.to/#/!r:b/$e?via=b'), { kind: 'event', roomId: '!r:b', eventId: '$e' });
    assert.equal(parseMatrixTo('https://matrix.to/#/%E0%A4%A'), undefined, 'a bad escape is no pill');
    assert.equal(parseMatrixTo('https://evil.example/#/@a:b'), undefined);
  });

  it('lists mentioned users once each, ghosts and real users alike', () => {
    const html = `${userPill('@_irc_bob:localhost', 'bob')} ${userPill('@alice:localhost')} ${userPill('@alice:localhost')} <a href="https://e.org">x</a>`;
    assert.deepEqual(mentionedUsers(html), ['@_irc_bob:localhost', '@alice:localhost']);
    assert.deepEqual(formatHtml(`<b>hi</b> ${userPill('@alice:localhost', 'Alice')}<script>x</script>`), {
      text: 'hi Alice', html: '<b>hi</b> <a href="https://matrix.to/#/@alice:localhost">Alice</a>', mentions: { userIds: ['@alice:localhost'] },
    });
  });
});

describe('format: reply fallbacks', () => {
  it('strips <mx-reply> from HTML and the quoted lines from the body', () => {
    assert.equal(stripHtmlReplyFallback('<mx-reply><blockquote><a href="https://matrix.to/#/!r:x/$e">In reply to</a> hi</blockquote></mx-reply>answer &amp; <b>b</b>'), 'answer &amp; <b>b</b>');
    assert.equal(stripHtmlReplyFallback('no fallback &amp; <b>x'), 'no fallback &amp; <b>x', 'unchanged when there is none');
    assert.equal(stripHtmlReplyFallback('<MX-REPLY>a<mx-reply>nested</mx-reply>b</mx-reply>rest &nbsp;<i>kept as written</I>'), 'rest &nbsp;<i>kept as written</I>');
    assert.equal(stripHtmlReplyFallback('<p><mx-reply>unclosed</p>after'), '<p></p>after', 'an unclosed one ends where the parser closes it');
    assert.equal(stripHtmlReplyFallback('<mx-reply>never closed'), '');
    const deep = `<mx-reply>q</mx-reply>${'<b>'.repeat(20_000)}x`;
    assert.equal(stripHtmlReplyFallback(deep), `${'<b>'.repeat(20_000)}x`, 'deep nesting (a 64 KiB event) is no stack overflow');
    assert.equal(stripBodyReplyFallback('> <@bob:x> first\n> second\n\nthe answer\n> my own quote'), 'the answer\n> my own quote');
    assert.equal(stripBodyReplyFallback('> a quote of my own\n\ntext'), '> a quote of my own\n\ntext', 'only the fallback\'s form');
  });

  it('stripReplyFallback returns the same object when there is nothing to strip', () => {
    const message = { body: 'plain', html: '<b>x</b>', other: 1 };
    assert.equal(stripReplyFallback(message), message);
    assert.deepEqual(stripReplyFallback({ body: '> <@b:x> q\n\na', html: '<mx-reply>q</mx-reply>a', other: 1 }), { body: 'a', html: 'a', other: 1 });
  });
});

describe('format: network formats and walkHtml', () => {
  it('plain text and Markdown formats', () => {
    assert.deepEqual(plainTextFormat.toMatrix('**x**'), { text: '**x**' });
    assert.equal(plainTextFormat.fromMatrix({ body: 'b', html: '<p>a</p><p>b</p>' }), 'a\n\nb');
    assert.equal(plainTextFormat.fromMatrix({ body: 'b' }), 'b');
    assert.equal(markdownFormat.toMatrix('**x**').html, '<strong>x</strong>');
  });

  it('walkHtml closes every element it opens, misnested or not', () => {
    const seen: string[] = [];
    walkHtml('<b>a<i>b</b>c<br><img src=x>', {
      open: (name) => seen.push(`<${name}>`), close: (name) => seen.push(`</${name}>`), text: (t) => seen.push(t),
    });
    assert.deepEqual(seen, ['<b>', 'a', '<i>', 'b', '</i>', '</b>', 'c', '<br>', '</br>', '<img>', '</img>']);
  });
});
