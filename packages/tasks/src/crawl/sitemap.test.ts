import { describe, expect, it } from 'vitest';
import { parseSitemap } from './sitemap.js';

describe('parseSitemap', () => {
  it('reads the locs of a urlset and of an index, namespaced, CDATA and entities included', () => {
    expect(
      parseSitemap(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' +
          '<url><loc> https://a.example/1?a=1&amp;b=2 </loc></url>' +
          '<url><loc><![CDATA[https://a.example/2]]></loc></url>' +
          '<url><image:image><image:loc>https://a.example/img.png</image:loc></image:image></url></urlset>',
        100,
      ),
    ).toEqual({
      index: false,
      // An image's loc (image:loc inside the url) is not a page.
      locs: ['https://a.example/1?a=1&b=2', 'https://a.example/2'],
    });
    expect(
      parseSitemap(
        '<sm:sitemapindex xmlns:sm="x"><sm:sitemap><sm:loc>https://a.example/s.xml</sm:loc></sm:sitemap>',
        9,
      ),
    ).toEqual({ index: true, locs: ['https://a.example/s.xml'] });
  });

  it('expands no entities a DTD declares ("billion laughs" stays a few bytes)', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;">]>' +
      '<urlset><url><loc>https://a.example/&lol3;</loc></url></urlset>';
    const { locs } = parseSitemap(laughs, 10);
    expect(locs).toHaveLength(1);
    expect(locs[0].length).toBeLessThan(40);
  });

  it('keeps at most maxLocs, in linear time over a million entries', () => {
    const xml = `<urlset>${'<url><loc>https://a.example/p</loc></url>'.repeat(1_000_000)}</urlset>`;
    const started = performance.now();
    const { locs } = parseSitemap(xml, 50_000);
    expect(locs).toHaveLength(50_000);
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('copies no more of one loc than 8 KiB, entities and CDATA included, and drops it', () => {
    for (const piece of ['a', '&amp;', '<![CDATA[a]]>']) {
      const xml =
        `<urlset><url><loc>https://a.example/${piece.repeat(500_000)}</loc></url>` +
        '<url><loc>https://a.example/ok</loc></url></urlset>';
      expect(parseSitemap(xml, 10).locs, piece).toEqual(['https://a.example/ok']);
    }
  });
});
