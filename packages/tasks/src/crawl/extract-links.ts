import { Tokenizer, type TokenizerCallbacks } from 'htmlparser2';
import { normalizeUrl } from './normalize-url.js';

/** What a page says about itself: its title, outgoing links, the metadata it declares, and its text. */
export interface PageLinks {
  title: string | null;
  links: string[];
  /** `<meta name="description" content>`. */
  description: string | null;
  /** `<link rel="canonical" href>`, resolved like the links. */
  canonical: string | null;
  /** `<html lang>`. */
  lang: string | null;
  /** `<meta property="og:image" content>`, resolved like the links. */
  image: string | null;
  /** The text outside script, style, noscript and template (the title's included), whitespace collapsed. */
  text: string;
  /** Start tags on the page. */
  elements: number;
  /** How deep elements nest at most, counted as a parser would at worst (unclosed tags stay open). */
  depth: number;
}

/** Elements that hold no others, or that a parser closes by itself (a new `<p>` or `<li>` ends the last). */
const NOT_NESTING = new Set([
  ...'area base br col embed hr img input link meta source track wbr param'.split(' '),
  ...'p li dt dd option optgroup tr td th thead tbody tfoot rp rt colgroup caption'.split(' '),
]);

/** Elements whose content is not text of the page. */
const NOT_TEXT = new Set(['script', 'style', 'noscript', 'template']);

/**
 * Elements that break the text (a space where they open or close); inline
 * ones (`b`, `a`, `span`, …) and character references never do: `wo<b>rd</b>`
 * is `word`, `don&rsquo;t` is `don’t`.
 */
const BREAKS = new Set(
  (
    'address article aside blockquote body br caption dd details dialog div dl dt fieldset figcaption figure ' +
    'footer form h1 h2 h3 h4 h5 h6 head header hr html img input li main nav ol option p pre section select ' +
    'summary table tbody td textarea tfoot th thead title tr ul'
  ).split(' '),
);

/** Caps on what one page may hand the crawler (`CRAWL_MAX_LINKS_PER_PAGE`, `CRAWL_MAX_URL_LENGTH`). */
export interface LinkLimits {
  /** Unique links kept, in document order; the rest are dropped. */
  maxLinks: number;
  /** Longer links (as written, and resolved) are dropped. */
  maxUrlLength: number;
}

export const DEFAULT_LINK_LIMITS: LinkLimits = { maxLinks: 5000, maxUrlLength: 8192 };

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
 * Text as fingerprints read it: Unicode NFKC (another spelling of the same
 * characters is the same text), whitespace collapsed.
 */
export const normalizeText = (text: string) => collapse(text.normalize('NFKC'));

/** The tags metadata comes from, and the attributes read from them. */
const METADATA_TAGS = new Set(['html', 'meta', 'link']);
const KEPT_ATTRIBUTES = new Set(['lang', 'name', 'content', 'rel', 'property']);

/**
 * What the tokenizer reports that matters for links: `<a>`, `<area>` and
 * `<base>` hrefs (the first of each tag), and the text of the first `<title>`.
 * Callbacks get offsets into `html`, written in one piece.
 */
class LinkCollector implements TokenizerCallbacks {
  readonly hrefs: string[] = [];
  baseHref: string | undefined;
  title: string | null = null;
  description: string | null = null;
  /** og:image as written (resolved with the links). */
  imageHref: string | undefined;
  canonicalHref: string | undefined;
  lang: string | null = null;
  private readonly text: string[] = [];
  elements = 0;
  maxDepth = 0;
  private depth = 0;
  /** Open elements by name, for the nesting depth. */
  private readonly open = new Map<string, number>();
  /** Open elements whose text is not the page's (script, style, …). */
  private hidden = 0;
  private attributes = new Map<string, string>();
  private inTitle = false;
  private titleText = '';
  private tag = '';
  private attribute = '';
  private value = '';
  private href: string | undefined;
  /** Whether the attribute being read is one we keep (so its value is copied). */
  private wanted = false;

  constructor(
    private readonly html: string,
    private readonly limits: LinkLimits,
  ) {}

  onopentagname(start: number, end: number): void {
    this.tag = this.html.slice(start, end).toLowerCase();
    this.href = undefined;
    if (METADATA_TAGS.has(this.tag)) this.attributes = new Map();
  }
  onattribname(start: number, end: number): void {
    this.attribute = this.html.slice(start, end).toLowerCase();
    this.value = '';
    // Only href and the metadata tags' few attributes are copied: class, style and the rest cost nothing.
    this.wanted = this.attribute === 'href' || (METADATA_TAGS.has(this.tag) && KEPT_ATTRIBUTES.has(this.attribute));
  }
  onattribdata(start: number, end: number): void {
    // A value past the URL cap is dropped anyway: stop copying it.
    if (this.wanted && this.value.length <= this.limits.maxUrlLength) this.value += this.html.slice(start, end);
  }
  onattribentity(codepoint: number): void {
    if (this.wanted && this.value.length <= this.limits.maxUrlLength) this.value += String.fromCodePoint(codepoint);
  }
  onattribend(): void {
    if (this.attribute === 'href' && this.href === undefined) this.href = this.value;
    // The first of each attribute metadata needs.
    if (this.wanted && METADATA_TAGS.has(this.tag) && !this.attributes.has(this.attribute)) {
      this.attributes.set(this.attribute, this.value);
    }
    this.attribute = '';
    this.value = '';
    this.wanted = false;
  }
  onopentagend(): void {
    const { tag, href } = this;
    this.metadata();
    this.elements++;
    if (!NOT_NESTING.has(tag)) {
      this.open.set(tag, (this.open.get(tag) ?? 0) + 1);
      this.maxDepth = Math.max(this.maxDepth, ++this.depth);
    }
    if (NOT_TEXT.has(tag)) this.hidden++;
    if (BREAKS.has(tag)) this.text.push(' ');
    if (tag === 'a' || tag === 'area') {
      // Duplicates are common, so more raw hrefs than links are kept, but never without bound.
      if (href !== undefined && href.length <= this.limits.maxUrlLength && this.hrefs.length < this.limits.maxLinks * 4)
        this.hrefs.push(href);
    } else if (tag === 'base') {
      if (this.baseHref === undefined && href !== undefined) this.baseHref = href;
    } else if (tag === 'title' && this.title === null) {
      this.inTitle = true;
    }
  }
  onselfclosingtag(): void {
    this.onopentagend();
    if (NOT_TEXT.has(this.tag)) this.hidden--;
  }
  ontext(start: number, end: number): void {
    this.addText(this.html.slice(start, end));
  }
  ontextentity(codepoint: number): void {
    this.addText(String.fromCodePoint(codepoint));
  }
  private addText(text: string): void {
    if (this.inTitle) this.titleText += text;
    if (this.hidden === 0) this.text.push(text);
  }
  onclosetag(start: number, end: number): void {
    const name = this.html.slice(start, end).toLowerCase();
    if (NOT_TEXT.has(name) && this.hidden > 0) this.hidden--;
    if (BREAKS.has(name)) this.text.push(' ');
    const open = this.open.get(name);
    if (open) {
      this.open.set(name, open - 1);
      this.depth--;
    }
    if (this.inTitle && name === 'title') this.endTitle();
  }

  /** Reads `<html lang>`, `<meta name=description>` and `<link rel=canonical>`, the first of each. */
  private metadata(): void {
    const { attributes, tag } = this;
    if (!METADATA_TAGS.has(tag)) return;
    if (tag === 'html' && this.lang === null) {
      this.lang = attributes.get('lang')?.trim() || null;
    } else if (
      tag === 'meta' &&
      this.description === null &&
      attributes.get('name')?.trim().toLowerCase() === 'description'
    ) {
      this.description = collapse(attributes.get('content') ?? '') || null;
    } else if (
      tag === 'meta' &&
      this.imageHref === undefined &&
      (attributes.get('property') ?? attributes.get('name'))?.trim().toLowerCase() === 'og:image'
    ) {
      this.imageHref = attributes.get('content') ?? undefined;
    } else if (tag === 'link' && this.canonicalHref === undefined) {
      if ((attributes.get('rel') ?? '').toLowerCase().split(/\s+/).includes('canonical'))
        this.canonicalHref = this.href;
    }
  }

  /** The page's text, normalized (NFKC, whitespace collapsed), broken at block elements only. */
  pageText(): string {
    return normalizeText(this.text.join(''));
  }
  onend(): void {
    if (this.inTitle) this.endTitle();
  }
  private endTitle(): void {
    this.inTitle = false;
    this.title = collapse(this.titleText);
  }
  oncdata(): void {}
  oncomment(): void {}
  ondeclaration(): void {}
  onprocessinginstruction(): void {}
}

/**
 * Parses HTML and returns its title and links, resolved against `<base href>`
 * (itself resolved against the page URL) or else the page URL and
 * normalized, in document order without duplicates, within `limits`.
 *
 * htmlparser2's tokenizer (the one cheerio parses with) rather than a DOM:
 * only `<a>`, `<area>`, `<base>` and the first `<title>` matter, and building
 * a tree for every page was most of a crawl worker's CPU time. Not its Parser
 * either: that keeps open elements with Array.unshift, so 100,000 unclosed
 * tags took 26 s; the tokenizer keeps no stack and stays linear. Like the
 * HTML standard, the first `<base href>` applies to every link of the page,
 * also links before it.
 */
export function extractLinks(html: string, pageUrl: string, limits: LinkLimits = DEFAULT_LINK_LIMITS): PageLinks {
  const collector = new LinkCollector(html, limits);
  const tokenizer = new Tokenizer({ decodeEntities: true }, collector);
  tokenizer.write(html);
  tokenizer.end();

  const page = new URL(pageUrl);
  let base = page;
  if (collector.baseHref !== undefined) {
    try {
      base = new URL(collector.baseHref.trim(), page);
    } catch {
      base = page;
    }
  }
  const links = new Set<string>();
  for (const href of collector.hrefs) {
    const resolved = resolveLink(href, base);
    if (resolved && resolved.length <= limits.maxUrlLength) links.add(resolved);
    if (links.size >= limits.maxLinks) break;
  }
  const canonical = collector.canonicalHref === undefined ? null : resolveLink(collector.canonicalHref, base);
  return {
    title: collector.title === '' ? null : collector.title,
    links: [...links],
    description: collector.description,
    canonical,
    lang: collector.lang,
    image: collector.imageHref === undefined ? null : resolveLink(collector.imageHref, base),
    text: collector.pageText(),
    elements: collector.elements,
    depth: collector.maxDepth,
  };
}
