import * as cheerio from 'cheerio';

/** What a page says about itself: its title and its outgoing links. */
export interface PageLinks {
  title: string | null;
  links: string[];
}

/**
 * Resolves `href` against `base`: absolute http(s) URLs only, fragment dropped.
 * Returns null for mailto:, javascript:, data: and anything unparsable.
 */
export function resolveLink(href: string, base: URL): string | null {
  const trimmed = href.trim();
  if (trimmed === '') return null;
  let url: URL;
  try {
    url = new URL(trimmed, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  return url.toString();
}

/**
 * Parses HTML and returns its title and links, resolved against `<base href>`
 * (itself resolved against the page URL) or else the page URL, in document
 * order without duplicates.
 */
export function extractLinks(html: string, pageUrl: string): PageLinks {
  const $ = cheerio.load(html);
  const page = new URL(pageUrl);
  const baseHref = $('base[href]').first().attr('href');
  let base = page;
  if (baseHref !== undefined) {
    try {
      base = new URL(baseHref.trim(), page);
    } catch {
      base = page;
    }
  }
  const links = new Set<string>();
  $('a[href], area[href]').each((_, element) => {
    const href = $(element).attr('href');
    const resolved = href === undefined ? null : resolveLink(href, base);
    if (resolved) links.add(resolved);
  });
  const title = $('title').first().text().replace(/\s+/g, ' ').trim();
  return { title: title === '' ? null : title, links: [...links] };
}
