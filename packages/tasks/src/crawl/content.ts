import { gfm } from '@joplin/turndown-plugin-gfm';
import { load, type CheerioAPI } from 'cheerio';
import { hasChildren, isTag, isText, type AnyNode } from 'domhandler';
import TurndownService from 'turndown';

/** What of a page to return, and how much of it. */
export interface ContentOptions {
  markdown: boolean;
  text: boolean;
  html: boolean;
  /** Only the page's main content (no nav, header, footer, aside, scripts, styles, boilerplate). */
  onlyMainContent: boolean;
}

export interface PageContent {
  markdown?: string;
  text?: string;
  html?: string;
}

/** Never content, whatever the page. */
const NOT_CONTENT = 'script,style,noscript,template,iframe,object,embed,svg,canvas,form,button,input,select,dialog';

/** Page furniture: the page's navigation, its frame, and the usual boilerplate by role, class or id. */
const FURNITURE = [
  'nav',
  'aside',
  'footer',
  'menu',
  '[role=navigation]',
  '[role=banner]',
  '[role=contentinfo]',
  '[role=complementary]',
  '[role=search]',
  '[aria-hidden=true]',
  '[hidden]',
  ...[
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
  ].flatMap((word) => [`[class*="${word}"]`, `[id*="${word}"]`]),
].join(',');

/** Where the main content is, best first. */
const MAIN = ['main', '[role=main]', 'article'];

const turndown = new TurndownService({
  headingStyle: 'atx',
  codeBlockStyle: 'fenced',
  bulletListMarker: '-',
  emDelimiter: '_',
});
turndown.use(gfm);
turndown.remove(['script', 'style', 'noscript', 'template']);

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

/** Links and images point where they would from the page. */
function absolutize($: CheerioAPI, base: URL): void {
  for (const [selector, attribute] of [
    ['a[href]', 'href'],
    ['img[src]', 'src'],
  ] as const) {
    $(selector).each((_, element) => {
      try {
        element.attribs[attribute] = new URL(element.attribs[attribute] ?? '', base).href;
      } catch {
        delete element.attribs[attribute];
      }
    });
  }
}

/**
 * Drops page furniture, except what holds the main content (a wrapper
 * `<div class="has-sidebar">` around everything stays).
 */
function dropFurniture($: CheerioAPI): void {
  const keep = new Set<AnyNode>();
  $(`${MAIN.join(',')},h1`).each((_, element) => {
    for (let node: AnyNode | null = element; node && !keep.has(node); node = node.parent) keep.add(node);
  });
  $(FURNITURE)
    .filter((_, element) => !keep.has(element))
    .remove();
  // A header of the page, not of the article (which holds its headline).
  $('header')
    .filter((_, element) => !keep.has(element) && $(element).closest(MAIN.join(',')).length === 0)
    .remove();
}

/**
 * The page's content in the asked forms: cheerio cleans it (main content
 * only, links made absolute), turndown writes markdown. Callers keep the
 * page within CRAWL_MAX_CONTENT_DEPTH and CRAWL_MAX_CONTENT_ELEMENTS first:
 * every HTML parser tried (parse5, htmlparser2, domino) is quadratic in how
 * deep elements nest.
 */
export function extractContent(html: string, pageUrl: string, options: ContentOptions): PageContent {
  const $ = load(html, { baseURI: pageUrl });
  $(NOT_CONTENT).remove();
  if (options.onlyMainContent) dropFurniture($);
  absolutize($, new URL(pageUrl));
  const main = options.onlyMainContent
    ? MAIN.map((selector) => $(selector).first()).find((found) => found.length)
    : undefined;
  const root: AnyNode = (main ?? $('body')).get(0) ?? $.root().get(0)!;
  const content: PageContent = {};
  if (options.markdown) content.markdown = turndown.turndown($.html(root)).trim();
  if (options.text) content.text = textOf(root);
  if (options.html) content.html = options.onlyMainContent ? $.html(root) : html;
  return content;
}
