import { gunzipSync } from 'node:zlib';
import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { normalizeUrl } from './normalize-url.js';
import type { SafeFetcher } from './safe-fetch.js';

/** A sitemap file: a list of pages (`<urlset>`) or of further sitemaps (`<sitemapindex>`). */
export interface SitemapFile {
  index: boolean;
  locs: string[];
}

/** Longest loc copied; longer ones are dropped by the URL length cap anyway. */
const MAX_LOC_LENGTH = 8192;

/** Element names without their namespace prefix (`<sm:loc>` is a `<loc>`). */
const localName = (name: string) => name.slice(name.indexOf(':') + 1).toLowerCase();

/**
 * Reads `<loc>`s with htmlparser2's tokenizer in XML mode: linear, no
 * element stack, and no DTD, so no entity expansion (a "billion laughs"
 * file is only text). At most `maxLocs` are kept.
 */
class LocCollector implements TokenizerCallbacks {
  index: boolean | null = null;
  readonly locs: string[] = [];
  private tag = '';
  /** Inside a `<url>` or `<sitemap>`, and how deep below it (a loc counts only as its direct child). */
  private inEntry = false;
  private below = 0;
  private inLoc = false;
  private loc = '';

  constructor(
    private readonly xml: string,
    private readonly maxLocs: number,
  ) {}

  onopentagname(start: number, end: number): void {
    this.tag = localName(this.xml.slice(start, end));
    this.index ??= this.tag === 'sitemapindex';
  }
  onopentagend(): void {
    if (!this.inEntry) {
      this.inEntry = this.tag === 'url' || this.tag === 'sitemap';
      return;
    }
    if (this.tag === 'loc' && this.below === 0) {
      this.inLoc = true;
      this.loc = '';
    }
    this.below++;
  }
  onclosetag(start: number, end: number): void {
    if (!this.inEntry) return;
    if (this.below === 0) {
      this.inEntry = false;
      return;
    }
    this.below--;
    if (!this.inLoc || localName(this.xml.slice(start, end)) !== 'loc') return;
    this.inLoc = false;
    if (this.locs.length < this.maxLocs && this.loc.length <= MAX_LOC_LENGTH) this.locs.push(this.loc.trim());
  }
  ontext(start: number, end: number): void {
    this.add(this.xml.slice(start, end));
  }
  ontextentity(codepoint: number): void {
    this.add(String.fromCodePoint(codepoint));
  }
  oncdata(start: number, end: number, offset: number): void {
    // `end` is past the closing "]]" (`offset` of it), as htmlparser2's Parser reads it.
    this.add(this.xml.slice(start, end - offset));
  }
  /** A loc past MAX_LOC_LENGTH is no URL the crawler keeps: stop copying it (entities included). */
  private add(text: string): void {
    if (this.inLoc && this.loc.length <= MAX_LOC_LENGTH) this.loc += text;
  }
  onattribname(): void {}
  onattribdata(): void {}
  onattribentity(): void {}
  onattribend(): void {}
  onselfclosingtag(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
  onend(): void {}
}

/** The `<loc>`s of a sitemap or sitemap index (sitemaps.org protocol), at most `maxLocs`. */
export function parseSitemap(xml: string, maxLocs: number): SitemapFile {
  const collector = new LocCollector(xml, maxLocs);
  const tokenizer = new Tokenizer({ xmlMode: true, decodeEntities: true }, collector);
  tokenizer.write(xml);
  tokenizer.end();
  return { index: collector.index === true, locs: collector.locs };
}

/** Bounds on reading a site's sitemaps. */
export interface SitemapLimits {
  /** Page URLs returned at most: `CRAWL_SITEMAP_MAX_URLS`. */
  maxUrls: number;
  /** Sitemap files fetched at most, indexes included. */
  maxFiles: number;
  /** Bytes of one file after gunzip (the fetch's own cap applies to what is sent). */
  maxBytes: number;
  /** Time for all of them. */
  deadlineMs: number;
}

/** A `.xml.gz` file (or any gzip body): inflated within `maxBytes`, else null. */
function inflate(body: Buffer, maxBytes: number): Buffer | null {
  if (body[0] !== 0x1f || body[1] !== 0x8b) return body;
  try {
    return gunzipSync(body, { maxOutputLength: maxBytes });
  } catch {
    return null;
  }
}

/** A fetched sitemap file's entries: null unless it answered 2xx with a sitemap (inflated within `maxBytes`). */
export function sitemapOf(
  status: number,
  body: Buffer | null | undefined,
  limits: Pick<SitemapLimits, 'maxBytes' | 'maxUrls'>,
): SitemapFile | null {
  if (status < 200 || status >= 300 || !body) return null;
  const xml = inflate(body, limits.maxBytes);
  return xml ? parseSitemap(xml.toString('utf8'), limits.maxUrls) : null;
}

/**
 * The page URLs listed by the sitemaps at `roots`, following sitemap
 * indexes breadth first, normalized and unique. Each file goes through the
 * fetcher's rules (address policy, size cap, deadline); a file that fails,
 * is not 2xx or is not a sitemap is passed over, as a missing /sitemap.xml is
 * common.
 */
export async function sitemapUrls(
  fetcher: SafeFetcher,
  roots: string[],
  limits: SitemapLimits,
  signal?: AbortSignal,
  /** Asked before each file is fetched (the crawl's scope, the file host's robots.txt): false passes it over. */
  allowFile: (url: string) => boolean | Promise<boolean> = () => true,
): Promise<string[]> {
  const deadline = Date.now() + limits.deadlineMs;
  const queue = [...new Set(roots)];
  const fetched = new Set<string>();
  const urls = new Set<string>();
  while (queue.length && fetched.size < limits.maxFiles && urls.size < limits.maxUrls && Date.now() < deadline) {
    const file = queue.shift()!;
    if (fetched.has(file)) continue;
    fetched.add(file);
    if (!(await allowFile(file))) continue;
    let sitemap: SitemapFile | null;
    try {
      // Past the fetch's byte cap (CRAWL_MAX_BYTES) a file is refused, not cut: a cut .gz does not inflate.
      const page = await fetcher.fetch(file, signal, () => true);
      sitemap = sitemapOf(page.status, page.body, limits);
    } catch (err) {
      if (signal?.aborted) throw err;
      continue;
    }
    if (!sitemap) continue;
    const { index, locs } = sitemap;
    for (const loc of locs) {
      const url = normalizeUrl(loc);
      if (!url) continue;
      if (index) queue.push(url);
      else if (urls.size < limits.maxUrls) urls.add(url);
    }
  }
  return [...urls];
}
