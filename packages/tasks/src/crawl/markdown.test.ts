import { load } from 'cheerio/slim';
import { describe, expect, it } from 'vitest';
import { toMarkdown } from './markdown.js';

const md = (html: string) => toMarkdown(load(html).root().get(0)!);

describe('markdown from the parsed tree', () => {
  it('writes headings, paragraphs, emphasis, links and images', () => {
    expect(
      md(
        '<h2>Title <em>here</em></h2><p>Some <b>bold</b> and <i>slanted</i> text, a <a href="https://a.example/x y">link</a>.</p><p><img src="/p.png" alt="a [pic]"></p>',
      ),
    ).toBe(
      '## Title _here_\n\nSome **bold** and _slanted_ text, a [link](<https://a.example/x%20y>).\n\n![a \\[pic\\]](/p.png)',
    );
  });

  it('escapes what would read as markdown, at line starts too', () => {
    expect(md('<p>a *star* and_under [x]</p><p># not a heading</p><p>1. not a list</p><p>- nor this</p>')).toBe(
      'a \\*star\\* and\\_under \\[x\\]\n\n\\# not a heading\n\n1\\. not a list\n\n\\- nor this',
    );
  });

  it('nests lists with their numbers and indents what an item holds', () => {
    expect(
      md(
        '<ul><li>one<ul><li>inner</li></ul></li><li><p>two</p><p>more</p></li></ul><ol start="3"><li>c</li><li>d</li></ol>',
      ),
    ).toBe('- one\n\n  - inner\n- two\n\n  more\n\n3. c\n4. d');
  });

  it('fences code with a fence longer than any inside, and quotes blocks', () => {
    expect(md('<pre><code class="language-js">a = `b`;\n```\nc</code></pre>')).toBe('````js\na = `b`;\n```\nc\n````');
    expect(md('<p>run <code>npm `x`</code></p>')).toBe('run `` npm `x` ``');
    expect(md('<blockquote><p>one</p><p>two</p></blockquote>')).toBe('> one\n>\n> two');
  });

  it('writes tables as GFM, pipes escaped; a one-cell layout table as its content', () => {
    expect(md('<table><tr><th>a</th><th>b</th></tr><tr><td>1|2</td><td>x</td></tr></table>')).toBe(
      '| a    | b   |\n| ---- | --- |\n| 1\\|2 | x   |',
    );
    expect(md('<table><tr><td><p>just text</p></td></tr></table>')).toBe('just text');
    // One long cell does not pad every other row of its column to its width.
    const long = 'x'.repeat(10_000);
    const out = md(`<table><tr><th>h</th></tr><tr><td>${long}</td></tr>${'<tr><td>y</td></tr>'.repeat(1000)}</table>`);
    expect(out.length).toBeLessThan(long.length + 1002 * 50);
  });

  it('leaves out scripts and styles, keeps line breaks, drops empty links', () => {
    expect(md('<p>a<br>b<script>x()</script><style>p{}</style><a href="/e"></a></p>')).toBe('a  \nb');
  });

  it('matches in linear time: cells, headings and code holding 200,000 spaces', () => {
    const blank = ' '.repeat(200_000);
    const started = performance.now();
    md(`<table><tr><td>a${blank}b</td><td>c</td></tr><tr><td>x</td><td>y</td></tr></table>`);
    md(`<h2>a${blank}b</h2><pre>code${blank}x${blank}</pre>`);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('is linear: 200,000 elements in well under a second', () => {
    const html = `<div>${'<p>word <b>bold</b> <a href="/x">link</a></p>'.repeat(50_000)}</div>`;
    const root = load(html).root().get(0)!;
    const started = performance.now();
    const out = toMarkdown(root);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(out.split('\n\n')).toHaveLength(50_000);
  });
});
