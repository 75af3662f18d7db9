import { Parser } from 'htmlparser2';
import { normalizeUrl } from './normalize-url.js';

/** What a page says about itself: its title and its outgoing links. */
export interface PageLinks {
  title: string | null;
  links: string[];
}

/**
 * Resolves `href` against `base` to its normalized form (see normalizeUrl):
 * absolute http(s) URLs only, fragment dropped. Returns null for an empty
 * href, mailto:, javascript:, data: and anything unparsable.
 */
export function resolveLink(href: string, base: URL): string | null {
  return href.trim() === '' ? null : normalizeUrl(href, base);
}

const collapse = (text: string) => text.replace(/\s+/g, ' ').trim();

/**
 * Parses HTML and returns its title and links, resolved against `<base href>`
 * (itself resolved against the page URL) or else the page URL and
 * normalized, in document order without duplicates.
 *
 * A streaming tokenizer (htmlparser2, the one cheerio uses for its own
 * parsing) rather than a full DOM: only `<a>`, `<area>`, `<base>` and the first
 * `<title>` matter, and building a tree for every page was most of a crawl
 * worker's CPU time. Like the HTML standard, the first `<base href>` applies to
 * every link of the page, also links before it.
 */
export function extractLinks(html: string, pageUrl: string): PageLinks {
  const hrefs: string[] = [];
  let baseHref: string | undefined;
  let title: string | null = null;
  let inTitle = false;
  let titleText = '';
  const parser = new Parser({
    onopentag(name, attributes) {
      if (name === 'a' || name === 'area') {
        if (attributes.href !== undefined) hrefs.push(attributes.href);
      } else if (name === 'base') {
        if (baseHref === undefined && attributes.href !== undefined) baseHref = attributes.href;
      } else if (name === 'title' && title === null) {
        inTitle = true;
      }
    },
    ontext(text) {
      if (inTitle) titleText += text;
    },
    onclosetag(name) {
      if (name === 'title' && inTitle) {
        inTitle = false;
        title = collapse(titleText);
      }
    },
    onend() {
      if (inTitle) title = collapse(titleText);
    },
  }, { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true });
  parser.end(html);

  const page = new URL(pageUrl);
  let base = page;
  if (baseHref !== undefined) {
    try {
      base = new URL(baseHref.trim(), page);
    } catch {
      base = page;
    }
  }
  const links = new Set<string>();
  for (const href of hrefs) {
    const resolved = resolveLink(href, base);
    if (resolved) links.add(resolved);
  }
  return { title: title === '' ? null : title, links: [...links] };
}
