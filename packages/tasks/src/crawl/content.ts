import { load, type CheerioAPI } from 'cheerio/slim';
import { hasChildren, isDocument, isTag, isText, type AnyNode, type Element } from 'domhandler';
import { NodeHtmlMarkdown } from 'node-html-markdown';

/** What of a page to return, and how much of it. */
export interface ContentOptions {
  markdown: boolean;
  text: boolean;
  html: boolean;
  /** Only the page's main content (no nav, header, footer, aside, scripts, styles, boilerplate). */
  onlyMainContent: boolean;
  /** Deepest nesting of the parsed tree converted: implied end tags (`<p><li><p>…`) nest for real. */
  maxDepth?: number;
}

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
}

/** Never content, whatever the page. */
const NOT_CONTENT = new Set(
  'script style noscript template iframe object embed svg canvas form button input select dialog'.split(' '),
);

/** Page furniture: the page's navigation and frame by tag or role, and the usual boilerplate by class or id. */
const FURNITURE_TAGS = new Set(['nav', 'aside', 'footer', 'menu']);
const FURNITURE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search']);
const BOILERPLATE = [
  'cookie',
  'consent',
  'advert',
  'ad-slot',
  'newsletter',
  'share',
  'social',
  'related',
  'comments',
  'sidebar',
  'breadcrumb',
  'pagination',
  'skip-link',
  'popup',
  'modal',
  'post-controls',
  'footer-buttons',
  'suggested',
];

/** Main content, best first: `main`, `[role=main]`, `article`. */
const mainRank = (element: Element) =>
  element.name === 'main' ? 0 : element.attribs.role === 'main' ? 1 : element.name === 'article' ? 2 : -1;

const markdown = new NodeHtmlMarkdown({ bulletMarker: '-', codeFence: '```', emDelimiter: '_', strongDelimiter: '**' });

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
    else if (hasChildren(node)) {
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

function isFurniture(element: Element): boolean {
  const { name, attribs } = element;
  if (FURNITURE_TAGS.has(name) || FURNITURE_ROLES.has(attribs.role ?? '')) return true;
  if (attribs['aria-hidden'] === 'true' || attribs.hidden !== undefined) return true;
  const { class: className, id } = attribs;
  return BOILERPLATE.some((word) => className?.includes(word) || id?.includes(word));
}

/** True when `element` is inside main content (a header there is the article's, with its headline). */
function inMain(element: Element): boolean {
  for (let node = element.parent; node; node = node.parent) if (isTag(node) && mainRank(node) >= 0) return true;
  return false;
}

/** `value` resolved against `base`, or undefined when it does not resolve. */
function absolute(value: string, base: URL): string | undefined {
  try {
    return new URL(value, base).href;
  } catch {
    return undefined;
  }
}

/**
 * Drops what is never content and, for main content only, the page's
 * furniture, except what holds the main content or a headline (a wrapper
 * `<div class="has-sidebar">` around everything stays); makes links and
 * images absolute. One walk over the elements: cheerio's selectors compiled
 * the same 40 selectors anew on every page. @returns the main content element.
 */
function clean($: CheerioAPI, base: URL, onlyMainContent: boolean): Element | undefined {
  const elements = elementsOf($.root().get(0)!);
  const keep = new Set<AnyNode>();
  let main: Element | undefined;
  for (const element of elements) {
    const rank = mainRank(element);
    if (rank < 0 && element.name !== 'h1') continue;
    if (rank >= 0 && (!main || rank < mainRank(main))) main = element;
    for (let node: AnyNode | null = element; node && !keep.has(node); node = node.parent) keep.add(node);
  }
  const drop: Element[] = [];
  for (const element of elements) {
    if (NOT_CONTENT.has(element.name)) drop.push(element);
    else if (onlyMainContent && !keep.has(element) && isFurniture(element)) drop.push(element);
    else if (onlyMainContent && element.name === 'header' && !keep.has(element) && !inMain(element)) drop.push(element);
    else if (element.name === 'a' || element.name === 'img') {
      const attribute = element.name === 'a' ? 'href' : 'src';
      const value = element.attribs[attribute];
      if (value === undefined) continue;
      const resolved = absolute(value, base);
      if (resolved === undefined) delete element.attribs[attribute];
      else element.attribs[attribute] = resolved;
    }
  }
  $(drop).remove();
  return onlyMainContent ? main : undefined;
}

/**
 * The page's content in the asked forms: cheerio (on htmlparser2) cleans it
 * (main content only, links made absolute), node-html-markdown writes
 * markdown. Callers keep the page within CRAWL_MAX_CONTENT_DEPTH and
 * CRAWL_MAX_CONTENT_ELEMENTS first: every HTML parser tried (parse5,
 * htmlparser2, domino, node-html-parser) is quadratic in how deep elements nest.
 */
export function extractContent(html: string, pageUrl: string, options: ContentOptions): PageContent {
  const $ = load(html);
  // The tokenizer's estimate misses nesting the tree builder adds (implied end tags): the tree says.
  if (options.maxDepth !== undefined) {
    const depth = treeDepth($.root().get(0)!);
    if (depth > options.maxDepth) throw new TooDeepError(depth);
  }
  const main = clean($, new URL(pageUrl), options.onlyMainContent);
  const root: AnyNode = main ?? $('body').get(0) ?? $.root().get(0)!;
  const rootHtml = isDocument(root) ? $.html() : $.html(root);
  const content: PageContent = {};
  if (options.markdown) content.markdown = markdown.translate(rootHtml).trim();
  if (options.text) content.text = textOf(root);
  if (options.html) content.html = options.onlyMainContent ? rootHtml : html;
  return content;
}
