import assert from 'node:assert/strict';
import fc from 'fast-check';
import { sanitizeMatrixHtml, withSanitizedHtml } from '../../src/format/index.js';

describe('format: sanitizeMatrixHtml (the Matrix spec\'s HTML subset)', () => {
  it('keeps the spec\'s tags and attributes', () => {
    const ok = '<h1>t</h1><blockquote><p>q</p></blockquote><ol start="3"><li>x</li></ol><table><thead><tr><th>h</th></tr></thead>'
      + '<tbody><tr><td>d</td></tr></tbody></table><details><summary>s</summary>more</details>'
      + '<span data-mx-spoiler="why">secret</span><div data-mx-maths="x^2">x²</div><pre><code class="language-ts">let a</code></pre>'
      + '<a href="mailto:a@b.c">mail</a><a href="magnet:?xt=urn:btih:abc">m</a><del>d</del><s>s</s><sup>1</sup><sub>2</sub><hr /><br />';
    assert.equal(sanitizeMatrixHtml(ok), ok);
  });

  it('drops relative and non-listed links, non-mxc images, bad colours, odd attributes', () => {
    assert.equal(sanitizeMatrixHtml('<a href="/relative">r</a><a href="//evil.example/x">p</a><a href="data:text/html,x">d</a>'), '<a>r</a><a>p</a><a>d</a>');
    assert.equal(sanitizeMatrixHtml('<a href=" JaVaScRiPt:alert(1)">j</a>'), '<a>j</a>');
    assert.equal(sanitizeMatrixHtml('<img src="http://x/y.png" width="99999999" height="10">'), '<img height="10" />');
    assert.equal(sanitizeMatrixHtml('<span data-mx-color="red" data-mx-bg-color="#00FF00" class="x" id="y">c</span>'), '<span data-mx-bg-color="#00FF00">c</span>');
    assert.equal(sanitizeMatrixHtml('<ol start="1; x">'), '<ol></ol>');
  });

  it('removes mx-reply, script and style with their content, and unknown tags but not their text', () => {
    assert.equal(sanitizeMatrixHtml('<mx-reply><blockquote>old</blockquote></mx-reply>new'), 'new');
    assert.equal(sanitizeMatrixHtml('<script>alert(1)</script><style>p{}</style><marquee>text</marquee>'), 'text');
    assert.equal(sanitizeMatrixHtml('<svg><g onload="x()">t</g></svg>'), 't');
  });

  it('nests tags at most 100 deep', () => {
    const deep = '<b>'.repeat(150) + 'x' + '</b>'.repeat(150);
    const out = sanitizeMatrixHtml(deep);
    assert.equal(out.split('<b>').length - 1, 100);
    assert.ok(out.includes('x'));
  });

  it('never lets an event handler, a script or a javascript: URL through, whatever the input', () => {
    const piece = fc.constantFrom('<a href="javascript:x">', '<img onerror=x src=mxc://a/b>', '<script>', '</script>', '<b>', '</b>', '"', "'",
      '<span data-mx-color="#123456" onclick="y">', '&lt;script&gt;', 'text', '<', '>', '=', ' ', '<p/onmouseover=z>', '<!--', '-->');
    fc.assert(fc.property(fc.array(piece, { maxLength: 30 }), (pieces) => {
      const out = sanitizeMatrixHtml(pieces.join(''));
      assert.ok(!/<script|on[a-z]+=|javascript:/i.test(out), out);
    }), { numRuns: 300 });
  });

  it('withSanitizedHtml cleans formatted_body and an edit\'s m.new_content; the same object when nothing changes', () => {
    const plain = { msgtype: 'm.text', body: 'x' };
    assert.equal(withSanitizedHtml(plain), plain);
    const edit = {
      msgtype: 'm.text', body: '* x', format: 'org.matrix.custom.html', formatted_body: '* <b onclick="a">x</b>',
      'm.new_content': { msgtype: 'm.text', body: 'x', format: 'org.matrix.custom.html', formatted_body: '<img src=x onerror=alert(1)>x' },
    };
    const out = withSanitizedHtml(edit);
    assert.equal(out.formatted_body, '* <b>x</b>');
    assert.equal((out['m.new_content'] as Record<string, unknown>)['formatted_body'], '<img />x');
  });
});
