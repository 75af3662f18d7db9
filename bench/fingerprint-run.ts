import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'cheerio';
import { extractContent, extractLinks } from '@crawlfleet/tasks';
import { CONTENT_PAGES, NEWS_PAGES } from './content-run.js';

/*
 * `npm run bench:fingerprints [dir...]`: do the page fingerprints mean "same
 * content"? For each real page (bench/content-pages and bench/news-pages by
 * default), three rewrites a site or a CDN makes without changing what a
 * reader sees: every non-ASCII character of the text written as a numeric
 * character reference (`’` as `&#8217;`), the page re-serialized by another
 * parser (parse5, through cheerio), and one link added to the footer.
 * `contentHash` (the whole page's text) should hold across the first two,
 * `mainContentHash` across all three. Prints the share of pages for which each
 * holds.
 */

/** Non-ASCII characters of the text (outside tags) as numeric character references. */
export function asReferences(html: string): string {
  return html.replace(
    /(^|>)([^<]+)/g,
    (_all, start: string, text: string) =>
      start + text.replace(/[\u0080-\u{10ffff}]/gu, (char) => `&#${char.codePointAt(0)};`),
  );
}

/** The page as parse5 serializes its tree. */
export function reserialized(html: string): string {
  return load(html).html();
}

/** One more link in the footer (or at the end of the body). */
export function withFooterLink(html: string): string {
  const link = '<p><a href="/one-more">One more link in the footer</a></p>';
  const at = html.lastIndexOf('</body>');
  return at === -1 ? `${html}${link}` : `${html.slice(0, at)}${link}${html.slice(at)}`;
}

function fingerprints(html: string): { content: string; main: string | undefined } {
  const links = extractLinks(html, 'http://fixture.test/page');
  const { mainContentHash } = extractContent(html, 'http://fixture.test/page', {
    markdown: false,
    text: true,
    html: false,
    onlyMainContent: true,
  });
  return { content: createHash('sha256').update(links.text).digest('hex'), main: mainContentHash };
}

export interface Stability {
  pages: number;
  contentHash: { references: number; reserialized: number };
  mainContentHash: { references: number; reserialized: number; footerLink: number };
}

export function stability(dirs: string[]): Stability {
  const out: Stability = {
    pages: 0,
    contentHash: { references: 0, reserialized: 0 },
    mainContentHash: { references: 0, reserialized: 0, footerLink: 0 },
  };
  for (const dir of dirs)
    for (const name of readdirSync(dir).sort()) {
      const source = join(dir, name, 'source.html');
      if (!existsSync(source)) continue;
      const html = readFileSync(source, 'utf8');
      const original = fingerprints(html);
      const references = fingerprints(asReferences(html));
      const parsed = fingerprints(reserialized(html));
      const footer = fingerprints(withFooterLink(html));
      out.pages++;
      if (references.content === original.content) out.contentHash.references++;
      if (parsed.content === original.content) out.contentHash.reserialized++;
      if (references.main === original.main) out.mainContentHash.references++;
      if (parsed.main === original.main) out.mainContentHash.reserialized++;
      if (footer.main === original.main) out.mainContentHash.footerLink++;
    }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : [CONTENT_PAGES, NEWS_PAGES];
  const run = stability(dirs);
  const share = (count: number) => `${((100 * count) / run.pages).toFixed(1)}%`;
  console.log(`${run.pages} pages: the fingerprint is unchanged on`);
  console.log(
    `  contentHash:     references ${share(run.contentHash.references)}, ` +
      `re-serialized ${share(run.contentHash.reserialized)}`,
  );
  console.log(
    `  mainContentHash: references ${share(run.mainContentHash.references)}, ` +
      `re-serialized ${share(run.mainContentHash.reserialized)}, one footer link more ${share(run.mainContentHash.footerLink)}`,
  );
}
