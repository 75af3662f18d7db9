import { describe, expect, it } from 'vitest';
import { extractLinks, resolveLink } from './extract-links.js';

describe('extractLinks', () => {
  it('resolves relative links, drops fragments, duplicates and non-http schemes', () => {
    const page = `<title> A \n title </title>
      <a href="/a">A</a> <a href="b.html#x">B</a> <a href="../up?q=1#t">up</a>
      <a href="HTTPS://Example.ORG:443/X">ext</a> <a href="mailto:a@b">m</a>
      <a href="javascript:void(0)">j</a> <a href="data:text/plain,x">d</a>
      <a href="/a#again">dup</a> <a href="#top">self</a> <a href="  ">blank</a> <area href="/map">`;
    const { title, links } = extractLinks(page, 'http://site.test/dir/page');
    expect(title).toBe('A title');
    expect(links).toEqual([
      'http://site.test/a',
      'http://site.test/dir/b.html',
      'http://site.test/up?q=1',
      'https://example.org/X',
      'http://site.test/dir/page',
      'http://site.test/map',
    ]);
  });

  it('resolves against <base href>, itself relative to the page', () => {
    const { links } = extractLinks(
      '<base href="/docs/v2/"><a href="intro">i</a><a href="../v1/x">x</a>',
      'http://s.test/p',
    );
    expect(links).toEqual(['http://s.test/docs/v2/intro', 'http://s.test/docs/v1/x']);
  });

  it('applies <base href> to links before it too, as browsers do', () => {
    const { links } = extractLinks(
      '<a href="early">e</a><base href="http://cdn.test/x/"><base href="/ignored/"><a href="late">l</a>',
      'http://s.test/p',
    );
    expect(links).toEqual(['http://cdn.test/x/early', 'http://cdn.test/x/late']);
  });

  it('decodes entities, ignores case, comments, scripts and styles', () => {
    const html = `<TITLE>Fish &amp; Chips</TITLE><A HREF="/q?a=1&amp;b=2">q</A>
      <!-- <a href="/commented">c</a> --><script>document.write('<a href="/scripted">s</a>')</script>
      <style>a[href="/styled"] {}</style><a href='/single'>s</a><a href=/bare>b</a><a>no href</a>`;
    const { title, links } = extractLinks(html, 'http://s.test/');
    expect(title).toBe('Fish & Chips');
    expect(links).toEqual(['http://s.test/q?a=1&b=2', 'http://s.test/single', 'http://s.test/bare']);
  });

  it('takes the first title, also one never closed', () => {
    expect(extractLinks('<title>One</title><title>Two</title>', 'http://s.test/').title).toBe('One');
    expect(extractLinks('<title>Cut off', 'http://s.test/').title).toBe('Cut off');
  });

  it('gives a null title when there is none', () => {
    expect(extractLinks('<p>no title</p>', 'http://s.test/').title).toBeNull();
  });

  it('keeps only http(s) URLs in resolveLink', () => {
    const base = new URL('http://s.test/');
    expect(resolveLink('ftp://s.test/f', base)).toBeNull();
    expect(resolveLink('http://[bad', base)).toBeNull();
    expect(resolveLink('//other.test/x#y', base)).toBe('http://other.test/x');
  });
});

describe('page text, as fingerprints read it', () => {
  const text = (html: string) => extractLinks(html, 'http://x.test/').text;

  it('never splits a word at an inline tag nor adds spaces at character references', () => {
    expect(text('<p>wo<b>rd</b> and <a href="/x">li</a>nk</p>')).toBe('word and link');
    expect(text('<p>don&rsquo;t</p>')).toBe(text('<p>don\u2019t</p>'));
    expect(text('<p>caf&eacute; &amp; co</p>')).toBe('café & co');
  });

  it('breaks at block elements, and normalizes (NFKC, whitespace)', () => {
    expect(text('<div>one</div><div>two</div><p>three<br>four</p>')).toBe('one two three four');
    expect(text('<p>\uFB01ne  \u00A0 caf\u0065\u0301</p>')).toBe(text('<p>fine caf\u00e9</p>'));
    // Another serialization of the same page: the same text.
    expect(text('<P class=a>Hello <EM>world</EM></P>')).toBe(text('<p class="a">Hello <em>world</em></p>'));
  });
});
