import { hash } from 'node:crypto';
import { load, type CheerioAPI } from 'cheerio/slim';
import {
  Element as ElementNode,
  hasChildren,
  isDocument,
  isTag,
  isText,
  type AnyNode,
  type Element,
  type ParentNode,
} from 'domhandler';
import { HEADLINES, mainContent, removeAll } from './main-content.js';
import { toMarkdown } from './markdown.js';
import { simhash } from './simhash.js';
import { normalizeText } from './extract-links.js';

/** What of a page to return, and how much of it. */
export interface ContentOptions {
  markdown: boolean;
  text: boolean;
  html: boolean;
  /** Only the page's main content (no nav, header, footer, aside, scripts, styles, boilerplate). */
  onlyMainContent: boolean;
  /**
   * Deepest nesting of the parsed tree converted: implied end tags (`<p><li><p>…`) nest for real. Default
   * {@link DEFAULT_MAX_DEPTH}: markdown.ts recurses on the tree, so no caller gets an unchecked one.
   */
  maxDepth?: number;
}

/** CRAWL_MAX_CONTENT_DEPTH's default: the depth checked when a caller names none. */
export const DEFAULT_MAX_DEPTH = 512;

/** How deep the tree under `root` nests, counted without recursion. */
export function treeDepth(root: AnyNode): number {
  let deepest = 0;
  const stack: [AnyNode, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > deepest) deepest = depth;
    if (hasChildren(node)) for (const child of node.children) if (hasChildren(child)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** The tree built from a page nests deeper than asked: the converters (recursive) must not see it. */
export class TooDeepError extends Error {
  constructor(readonly depth: number) {
    super(`the parsed page nests ${depth} deep`);
  }
}

export interface PageContent {
  markdown?: string;
  text?: string;
  html?: string;
  /** sha256 hex of the main content's text, normalized (NFKC, whitespace collapsed): with onlyMainContent. */
  mainContentHash?: string;
  /** 64-bit simhash (16 hex digits) of the main content's words: near-duplicates are a few bits apart. */
  simhash?: string;
  /** The main content's first image, absolute: with onlyMainContent. */
  image?: string | null;
}

/** Never content, whatever the page; `rt` and `rp` are ruby's readings (furigana), not the text they gloss. */
const NOT_CONTENT = new Set(
  'script style noscript template iframe object embed svg canvas button input select textarea dialog rt rp'.split(' '),
);

/**
 * Text that makes an element that is otherwise never content the page's prose: a `<noscript>` with this
 * much is the page as readers without scripts get it (Blogger's posts), not a notice; a `<form>` with this
 * much holds posts (forums wrap a thread's posts in their moderation form), not a search or a login.
 */
const PROSE_IN: Record<string, number> = { noscript: 400, form: 1000 };
/** Text that is markup written out (a tag's start), not words. */
const MARKUP = /<\/?[a-z]/i;
/** Never prose, inside such an element: controls, scripts, and links (a list of names or pages is no prose). */
const NOT_PROSE = new Set(['script', 'style', 'template', 'textarea', 'select', 'option', 'button', 'a']);

/**
 * The `<noscript>` and `<form>` elements that hold prose (see {@link PROSE_IN}). Each node is walked
 * once: an element of those names inside another goes with the outer one.
 */
function proseHolders(elements: Element[]): Set<Element> {
  const prose = new Set<Element>();
  const walked = new Set<Element>();
  for (const element of elements) {
    const needed = PROSE_IN[element.name];
    if (needed === undefined || walked.has(element)) continue;
    let length = 0;
    const stack: AnyNode[] = [element];
    while (stack.length) {
      const node = stack.pop()!;
      // Escaped markup (ads' fallbacks written as text: `&lt;div&gt;&lt;a href=…`) is not prose.
      if (isText(node)) length += MARKUP.test(node.data) ? 0 : node.data.trim().length;
      if (!isTag(node)) continue;
      if (PROSE_IN[node.name] !== undefined) walked.add(node);
      if (NOT_PROSE.has(node.name)) continue;
      for (const child of node.children) stack.push(child);
    }
    if (length >= needed) prose.add(element);
  }
  return prose;
}

/**
 * A form holding most of the page's elements is the page's wrapper (ASP.NET wraps the whole body in one), not
 * a search, login or comment form: it is kept (its controls still go). `elements` are in document order, so a
 * form's descendants follow it in one run: it holds half the page when the element half the page after it is
 * inside it (a walk up from there, not a count).
 */
function pageForms(elements: Element[]): Set<Element> {
  const wrappers = new Set<Element>();
  const half = Math.floor(elements.length / 2);
  elements.forEach((element, index) => {
    if (element.name !== 'form' || index + half >= elements.length) return;
    for (let node: AnyNode | null = elements[index + half]; node; node = node.parent)
      if (node === element) {
        wrappers.add(element);
        return;
      }
  });
  return wrappers;
}

/** Elements after which text breaks a line. */
const BLOCKS = new Set(
  (
    'address article aside blockquote br dd div dl dt figcaption figure footer h1 h2 h3 h4 h5 h6 header hr li ' +
    'main nav ol p pre section table tr td th ul'
  )
    .split(' ')
    .filter(Boolean),
);

/** The text of `root`, a line per block, spaces collapsed. Iterative: depth never grows the stack. */
function textOf(root: AnyNode): string {
  const parts: string[] = [];
  const stack: (AnyNode | 'break')[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node === 'break') parts.push('\n');
    else if (isText(node)) parts.push(node.data);
    else if (hasChildren(node) && !HEADLINES.has(node)) {
      const block = isTag(node) && BLOCKS.has(node.name);
      if (block) stack.push('break');
      for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
      if (block) parts.push('\n');
    }
  }
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}

/** The first `<img src>` under `root` (already absolute), or null. */
function firstImage(root: AnyNode): string | null {
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (isTag(node) && node.name === 'img' && node.attribs.src && /^https?:/.test(node.attribs.src))
      return node.attribs.src;
    if (hasChildren(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return null;
}

/**
 * The document's `<body>` (the parser always makes one, under `<html>`), else
 * the document. Not `$('body')`: a selector's result goes through domutils'
 * removeSubsets, quadratic in the elements it looked at (25,000 paragraphs: 3 s).
 */
function bodyOf(document: ParentNode): ParentNode {
  for (const top of document.children)
    if (isTag(top) && top.name === 'html')
      for (const child of top.children) if (isTag(child) && child.name === 'body') return child;
  return document;
}

/**
 * The page's titles as its head states them (`<title>`, `og:title`, `twitter:title`), and its descriptions
 * (`description`, `og:description`, `twitter:description`).
 */
function headOf(document: ParentNode): { titles: string[]; descriptions: string[] } {
  const titles: string[] = [];
  const descriptions: string[] = [];
  for (const top of document.children) {
    if (!isTag(top) || top.name !== 'html') continue;
    for (const head of top.children) {
      if (!isTag(head) || head.name !== 'head') continue;
      for (const child of head.children) {
        if (!isTag(child)) continue;
        if (child.name === 'title') titles.push(textOf(child));
        const property = child.attribs.property ?? child.attribs.name;
        if (child.name !== 'meta') continue;
        if (property === 'og:title' || property === 'twitter:title') titles.push(child.attribs.content ?? '');
        if (property === 'description' || property === 'og:description' || property === 'twitter:description')
          descriptions.push((child.attribs.content ?? '').slice(0, 1000));
      }
    }
  }
  return { titles: titles.slice(0, 5), descriptions: descriptions.slice(0, 3) };
}

/** Every element under `root`, in document order. Iterative: depth never grows the stack. */
function elementsOf(root: AnyNode): Element[] {
  const out: Element[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (isTag(node)) out.push(node);
    if (hasChildren(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return out;
}

/** `value` resolved against `base`, or undefined when it does not resolve. */
function absolute(value: string, base: URL): string | undefined {
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}

/** Attributes where lazy loaders keep an image's real source until it is shown (Readability reads them too). */
const LAZY_SOURCES = ['data-src', 'data-lazy-src', 'data-original', 'data-lazy', 'data-url', 'data-hi-res-src'];
const SOURCE_SETS = ['data-srcset', 'data-lazy-srcset', 'srcset'];
/** An embedded image (`data:`): a lazy loader's placeholder or bytes written into the page, no image to link. */
const EMBEDDED = /^\s*data:/i;

/**
 * An image's source as a reader sees it once shown: a lazy loader's attribute first (the `src` beside it is a
 * placeholder), then `src`, then the first candidate of a source set; never an embedded `data:` image.
 */
function imageSource(attribs: Record<string, string>): string | undefined {
  for (const name of LAZY_SOURCES) {
    const value = attribs[name];
    if (value && value.trim() && !EMBEDDED.test(value)) return value;
  }
  if (attribs.src && attribs.src.trim() && !EMBEDDED.test(attribs.src)) return attribs.src;
  for (const name of SOURCE_SETS) {
    const first = attribs[name]?.slice(0, 4096).trim().split(/\s+/)[0]?.replace(/,$/, '');
    if (first && !EMBEDDED.test(first)) return first;
  }
  return undefined;
}

/**
 * Drops what is never content (scripts, styles, forms and their controls, …) and makes links
 * and images absolute, in one walk over the elements; for main content
 * only, then chooses it by scoring (main-content.ts). @returns the main
 * content element, or undefined for the whole page.
 */
function clean($: CheerioAPI, base: URL, onlyMainContent: boolean): Element | undefined {
  const elements = elementsOf($.root().get(0)!);
  const wrappers = pageForms(elements);
  const readable = proseHolders(elements);
  const drop: Element[] = [];
  for (const element of elements) {
    // Kept for its prose, it is read as what it is to a reader: a block of the page (never furniture).
    if (readable.has(element)) element.name = 'div';
    else if (NOT_CONTENT.has(element.name)) drop.push(element);
    else if (element.name === 'form' && !wrappers.has(element)) drop.push(element);
    else if (element.name === 'a' || element.name === 'img') {
      const attribute = element.name === 'a' ? 'href' : 'src';
      const value = element.name === 'a' ? element.attribs.href : imageSource(element.attribs);
      if (value === undefined) {
        // An image with no source but an embedded one is written as none.
        delete element.attribs[attribute];
        continue;
      }
      const resolved = absolute(value, base);
      if (resolved === undefined) delete element.attribs[attribute];
      else element.attribs[attribute] = resolved;
    }
  }
  removeAll(drop);
  if (!onlyMainContent) return undefined;
  const body = bodyOf($.root().get(0)!);
  const { titles, descriptions } = headOf($.root().get(0)!);
  return mainContent(body, (name) => new ElementNode(name, {}, []), titles, descriptions);
}

/**
 * The page's content in the asked forms: cheerio (on htmlparser2) cleans it
 * (main content only, links made absolute); markdown.ts writes markdown
 * from the same tree. Callers keep the page within CRAWL_MAX_CONTENT_DEPTH and
 * CRAWL_MAX_CONTENT_ELEMENTS first: every HTML parser tried (parse5,
 * htmlparser2, domino, node-html-parser) is quadratic in how deep elements nest.
 */
export function extractContent(html: string, pageUrl: string, options: ContentOptions): PageContent {
  const $ = load(html);
  // The tokenizer's estimate misses nesting the tree builder adds (implied end tags): the tree says.
  const depth = treeDepth($.root().get(0)!);
  if (depth > (options.maxDepth ?? DEFAULT_MAX_DEPTH)) throw new TooDeepError(depth);
  const main = clean($, new URL(pageUrl), options.onlyMainContent);
  const root: AnyNode = main ?? bodyOf($.root().get(0)!);
  const content: PageContent = {};
  // Canonically composed (NFC): the same characters as the page, one spelling (Bengali য় is one code point
  // in some pages, two in others).
  if (options.markdown) content.markdown = toMarkdown(root).normalize('NFC');
  const text = options.text || main ? textOf(root).normalize('NFC') : '';
  if (options.text) content.text = text;
  if (main) {
    // Joined without line breaks: the same words hash the same however the page breaks them into blocks.
    const normalized = normalizeText(text.replace(/\n/g, ' '));
    content.mainContentHash = hash('sha256', normalized, 'hex');
    const near = simhash(normalized);
    if (near) content.simhash = near;
    content.image = firstImage(main);
  }
  if (options.html) content.html = !options.onlyMainContent ? html : isDocument(root) ? $.html() : $.html(root);
  return content;
}
