import { hasChildren, isTag, isText, type AnyNode, type Element, type ParentNode } from 'domhandler';

/*
 * Main content by scoring, not by the first landmark (the approach of
 * Readability and its descendants, written for one pass over the tree):
 * paragraphs give their parent and ancestors points for their text and
 * commas; each candidate's score is weighted by its tag, its class and id
 * words and semantic hints (article, main, itemprop=articleBody, role=main),
 * and cut by its link density. The best candidate is joined by the siblings
 * that continue it; then comments, teasers, share bars, bylines,
 * subscription prompts and link lists inside it are removed. Class and id
 * words match whole class names or their prefixes (`sidebar`, `sidebar-left`,
 * never `l-sidebar-fixed`). Every step is a walk over the elements: linear
 * in the page's size.
 */

/** Whole class names or prefixes that say "not the article". */
const NEGATIVE = [
  'ad',
  'ads',
  'advert',
  'advertisement',
  'banner',
  'breadcrumb',
  'breadcrumbs',
  'byline',
  'combx',
  'comment',
  'comments',
  'community',
  'consent',
  'cookie',
  'disqus',
  'footer',
  'footnote',
  'header',
  'hidden',
  'masthead',
  'media-credit',
  'menu',
  'meta',
  'modal',
  'more-stories',
  'nav',
  'navbar',
  'navigation',
  'newsletter',
  'nocontent',
  'outbrain',
  'pager',
  'pagination',
  'paywall',
  'popular',
  'popup',
  'promo',
  'recirc',
  'recommended',
  'related',
  'remark',
  'rss',
  'share',
  'sharing',
  'shoutbox',
  'sidebar',
  'skip-link',
  'social',
  'sponsor',
  'sponsored',
  'subscribe',
  'subscription',
  'tags',
  'taboola',
  'tools',
  'toolbar',
  'trending',
  'widget',
];
/** Whole class names or prefixes that say "the article". */
const POSITIVE = [
  'article',
  'articlebody',
  'article-body',
  'article-content',
  'body',
  'blog',
  'content',
  'entry',
  'entry-content',
  'h-entry',
  'e-content',
  'hentry',
  'main',
  'page',
  'post',
  'post-body',
  'post-content',
  'story',
  'story-body',
  'text',
];
/** Inside the chosen content these go whatever their size: they are never the article. */
const JUNK = [
  'byline',
  'comment',
  'comments',
  'disqus',
  'more-stories',
  'newsletter',
  'outbrain',
  'paywall',
  'recirc',
  'recommended',
  'related',
  'share',
  'sharing',
  'social',
  'sponsored',
  'subscribe',
  'subscription',
  'taboola',
  'trending',
  'nocontent',
  'author',
  'dateline',
  'published',
  'posted',
  'tags',
  'timestamp',
  // WordPress's themes and plugins, whole names: a post's meta line and footer, ratings, author box, likes.
  'entry-meta',
  'entry-utility',
  'entry-footer',
  'postmetadata',
  'post-meta',
  'post-ratings',
  'cat-links',
  'tag-links',
  'sharedaddy',
  'jp-relatedposts',
  'saboxplugin-wrap',
];

const FURNITURE_TAGS = new Set(['nav', 'aside', 'footer', 'menu', 'form', 'fieldset', 'dialog']);
const FURNITURE_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'dialog', 'menu']);
/** Elements whose text is scored as a paragraph. */
const PARAGRAPHS = new Set(['p', 'pre', 'td', 'h2', 'h3', 'h4', 'h5', 'h6']);
/** Elements that make a `div` more than a paragraph. */
const BLOCKS = new Set(
  'address article aside blockquote dd div dl dt fieldset figure footer form h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section table ul'.split(
    ' ',
  ),
);

function words(element: Element): string[] {
  const { class: className = '', id = '' } = element.attribs;
  if (!className && !id) return [];
  return `${className} ${id}`.split(/\s+/).filter(Boolean);
}

/** The longest word of the lists above: no class name is matched on a longer prefix. */
const LONGEST_WORD = 24;

/**
 * Inside the chosen content, words that name junk wherever they sit in a class name or id, after a theme's or
 * plugin's namespace too (`post-author-bio`, `wp-block-newsletter`, `c-letters-cta`, `editorial-disclaimer`,
 * `mollie-donation-form`, `entry__date`, `c-byline`): no article wrapper is named so. An element holding half the
 * content or more is never taken for one.
 */
const JUNK_PARTS = [
  'author',
  'bio',
  'byline',
  'cookie',
  'cta',
  'date',
  'disclaimer',
  'donation',
  'newsletter',
  'promo',
  'recommended',
  'teasers',
];

/**
 * A fact about each of a page's elements, kept on the element (a property
 * under a symbol) rather than in a Map: a Map keyed by 10,000 fresh elements
 * took ~5 ms to fill here (each key's identity hash is made on first use),
 * some 20 times the properties' cost, and main content filled one a pass.
 * The symbols are fixed, so elements take a few shapes, not new ones a page;
 * each pass writes a fact before it reads it.
 */
class Facts<T> {
  private readonly key: symbol;

  constructor(name: string) {
    this.key = Symbol(name);
  }

  get(element: AnyNode): T | undefined {
    return (element as unknown as Record<symbol, T | undefined>)[this.key];
  }

  set(element: AnyNode, value: T): void {
    (element as unknown as Record<symbol, T>)[this.key] = value;
  }
}

/** Each element's prefixes, worked out once (elements are a page's, new each page). */
const PREFIXES = new Facts<string[]>('prefixes');
const NO_WORDS: string[] = [];

/**
 * What an element's class names and ids match as, in lower case: each name whole, and each of its prefixes
 * that a separator, a digit or a capital follows (`sidebar-left`, `sidebarLeft` and `sidebar2` give `sidebar`;
 * `l-sidebar-fixed` gives `l` and `l-sidebar`, never `sidebar`). Worked out once an element, up to
 * {@link LONGEST_WORD} characters a name, so a list is matched by set lookups.
 */
function prefixes(element: Element): string[] {
  const { class: className, id } = element.attribs;
  if (!className && !id) return NO_WORDS;
  let out = PREFIXES.get(element);
  if (out) return out;
  out = [];
  for (const token of words(element)) {
    if (token.length <= LONGEST_WORD) out.push(token.toLowerCase());
    for (let i = 1; i < Math.min(token.length, LONGEST_WORD + 1); i++) {
      const next = token[i];
      if (next === '-' || next === '_' || (next >= '0' && next <= '9') || (next >= 'A' && next <= 'Z'))
        out.push(token.slice(0, i).toLowerCase());
    }
  }
  PREFIXES.set(element, out);
  return out;
}

const setCache = new WeakMap<readonly string[], Set<string>>();

/**
 * A regex matching a class name or id with a part (split at `-`, `_` and a capital after a small letter) that is
 * one of `words`: one linear test over the names, no split made for each element.
 */
function partPattern(words: readonly string[]): RegExp {
  const capital = (word: string) => word[0].toUpperCase() + word.slice(1);
  return new RegExp(
    `(?:(?:^|[\\s_-])(?:${words.map((word) => `[${word[0]}${word[0].toUpperCase()}]${word.slice(1)}`).join('|')})|` +
      `(?<=[a-z])(?:${words.map(capital).join('|')}))(?=$|[\\s_A-Z-])`,
  );
}

const JUNK_PART = partPattern(JUNK_PARTS);
/** A picture's caption or credit, wherever its word sits in a class name (`pb-caption`, `media-caption`, `credits`). */
const CAPTION_PART = partPattern(['caption', 'credit', 'credits', 'copyright', 'legend']);
/** Characters and paragraphs a caption holds at most: a block of several paragraphs is no caption. */
const CAPTION_TEXT = 400;

function hasPartIn(element: Element, pattern: RegExp): boolean {
  const { class: className, id } = element.attribs;
  return (className !== undefined && pattern.test(className)) || (id !== undefined && pattern.test(id));
}

function hasJunkPart(element: Element): boolean {
  return hasPartIn(element, JUNK_PART);
}

/** True when a class name or id of `element` is a word of `list`, or starts with one followed by a separator. */
function hasWord(element: Element, list: readonly string[]): boolean {
  const candidates = prefixes(element);
  if (candidates.length === 0) return false;
  let set = setCache.get(list);
  if (!set) setCache.set(list, (set = new Set(list)));
  for (const candidate of candidates) if (set.has(candidate)) return true;
  return false;
}

/** Class and id weight: +25 for the article's words, -25 for furniture's (both can apply). */
function classWeight(element: Element): number {
  let weight = 0;
  if (hasWord(element, NEGATIVE)) weight -= 25;
  if (hasWord(element, POSITIVE)) weight += 25;
  return weight;
}

function semanticBonus(element: Element): number {
  const { attribs, name } = element;
  let bonus = 0;
  if (attribs.itemprop?.split(/\s+/).includes('articleBody')) bonus += 40;
  if (name === 'article') bonus += 15;
  if (name === 'main' || attribs.role === 'main') bonus += 15;
  return bonus;
}

function tagWeight(name: string): number {
  switch (name) {
    case 'div':
    case 'article':
    case 'main':
    case 'section':
      return 5;
    case 'pre':
    case 'td':
    case 'blockquote':
      return 3;
    case 'address':
    case 'ol':
    case 'ul':
    case 'dl':
    case 'dd':
    case 'dt':
    case 'li':
    case 'form':
      return -3;
    case 'h1':
    case 'h2':
    case 'h3':
    case 'h4':
    case 'h5':
    case 'h6':
    case 'th':
      return -5;
    default:
      return 0;
  }
}

/** What is counted under each element, in one pass from the leaves up. */
interface Tally {
  /** Characters of text (whitespace runs count one). */
  text: number;
  /** Characters of text inside links. */
  link: number;
  commas: number;
  /** Sentence ends: `.` `!` `?` and other scripts' (`。` `！` `？` `؟` `।`). */
  stops: number;
  paragraphs: number;
  images: number;
  items: number;
  inputs: number;
  embeds: number;
  /** Block elements among its children (a div without them reads as a paragraph). */
  blockChildren: number;
}

/** Commas of the scripts that use them to join clauses: `,` `，` `、` `،`. */
function commasIn(data: string): number {
  let commas = 0;
  for (let i = data.indexOf(','); i !== -1; i = data.indexOf(',', i + 1)) commas++;
  // The other scripts' commas, counted only where the text has any.
  if (!/[\u060c\u3001\uff0c]/.test(data)) return commas;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    if (code === 0xff0c || code === 0x3001 || code === 0x060c) commas++;
  }
  return commas;
}

/** A letter that ends a word before a sentence's end: a small or caseless one (an initial, `W.`, is capital). */
const WORD_END = /[\p{Ll}\p{Lo}\p{N}]/u;
/** What may follow a sentence's end: a space, a closing quote or bracket, or the text's end. */
const AFTER_STOP = new Set([' ', '\n', '\t', '\r', '\u00a0', '"', "'", '\u201d', '\u2019', '\u00bb', ')']);

/** Sentence ends in `data` (see {@link Tally.stops}): a small letter's `.` `!` `?` before a space, and `。` `！` `？` `؟` `।`. */
function stopsIn(data: string): number {
  let stops = 0;
  for (const stop of ['.', '!', '?'])
    for (let i = data.indexOf(stop, 1); i !== -1; i = data.indexOf(stop, i + 1))
      if ((i + 1 === data.length || AFTER_STOP.has(data[i + 1])) && WORD_END.test(data[i - 1])) stops++;
  if (!/[\u3002\uff01\uff1f\u061f\u0964]/.test(data)) return stops;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    if (code === 0x3002 || code === 0xff01 || code === 0xff1f || code === 0x061f || code === 0x0964) stops++;
  }
  return stops;
}

/** Commas that score: a list's commas (names and places, no sentence ends) count as a few, prose's all. */
const COMMAS_A_SENTENCE = 5;
function clauses(commas: number, stops: number): number {
  return Math.min(commas, 2 + COMMAS_A_SENTENCE * stops);
}

function textLength(data: string): number {
  let length = 0;
  let space = true;
  for (let i = 0; i < data.length; i++) {
    const code = data.charCodeAt(i);
    const white = code === 32 || code === 10 || code === 9 || code === 13 || code === 12 || code === 160;
    if (white) {
      if (!space) length++;
      space = true;
    } else {
      length++;
      space = false;
    }
  }
  return length;
}

/** Elements in document order, and each one's tally. */
interface Tallies {
  order: Element[];
  tally: Facts<Tally>;
}

/** Each element's tally, as the last walk over it left it. */
const TALLY = new Facts<Tally>('tally');

/** Every element under `root` (itself included when an element) in document order, without recursion. */
function elementsUnder(root: ParentNode): Element[] {
  const order: Element[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (isTag(node)) order.push(node);
    if (hasChildren(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return order;
}

/** `node`'s tally from its own text and its child elements' tallies (each already set). */
function tallyOf(node: Element, tally: Facts<Tally>): Tally {
  const own: Tally = {
    text: 0,
    link: 0,
    commas: 0,
    stops: 0,
    paragraphs: node.name === 'p' ? 1 : 0,
    images: node.name === 'img' ? 1 : 0,
    items: node.name === 'li' ? 1 : 0,
    inputs: node.name === 'input' || node.name === 'select' || node.name === 'textarea' ? 1 : 0,
    embeds: node.name === 'embed' || node.name === 'object' || node.name === 'iframe' ? 1 : 0,
    blockChildren: 0,
  };
  for (const child of node.children) {
    if (isText(child)) {
      own.text += textLength(child.data);
      own.commas += commasIn(child.data);
      own.stops += stopsIn(child.data);
    } else if (isTag(child)) {
      const sub = tally.get(child)!;
      own.text += sub.text;
      own.link += child.name === 'a' ? sub.text : sub.link;
      own.commas += sub.commas;
      own.stops += sub.stops;
      own.paragraphs += sub.paragraphs;
      own.images += sub.images;
      own.items += sub.items;
      own.inputs += sub.inputs;
      own.embeds += sub.embeds;
      if (BLOCKS.has(child.name)) own.blockChildren++;
    }
  }
  return own;
}

/** Every element under `root` in document order, and each one's tally. */
function tallies(root: ParentNode): Tallies {
  // Walked backwards, each element comes after all of its descendants.
  const order = elementsUnder(root);
  for (let at = order.length - 1; at >= 0; at--) TALLY.set(order[at], tallyOf(order[at], TALLY));
  return { order, tally: TALLY };
}

/**
 * The elements under `root` in document order, tallied by the walk before:
 * their tallies still hold (drops were untallied, and a subtree that moved
 * kept its own), so only elements made since (the wrappers that join an
 * article's parts) are tallied here.
 */
function tallied(root: Element): Tallies {
  const order = elementsUnder(root);
  for (let at = order.length - 1; at >= 0; at--)
    if (TALLY.get(order[at]) === undefined) TALLY.set(order[at], tallyOf(order[at], TALLY));
  return { order, tally: TALLY };
}

/**
 * Takes `gone`'s tally out of its ancestors' (before it leaves the tree): the
 * tallies of the tree without it, for one walk up instead of a walk of the page.
 */
function untally(tally: Facts<Tally>, gone: Element): void {
  const sub = tally.get(gone)!;
  // What `gone` added to the link text of the element above: all its text when that is a link.
  let link = gone.name === 'a' ? sub.text : sub.link;
  const parent = gone.parent;
  if (parent && isTag(parent) && BLOCKS.has(gone.name)) {
    const own = tally.get(parent);
    if (own) own.blockChildren--;
  }
  for (let node = parent; node && isTag(node); node = node.parent) {
    const own = tally.get(node);
    if (!own) break;
    own.text -= sub.text;
    own.link -= link;
    own.commas -= sub.commas;
    own.stops -= sub.stops;
    own.paragraphs -= sub.paragraphs;
    own.images -= sub.images;
    own.items -= sub.items;
    own.inputs -= sub.inputs;
    own.embeds -= sub.embeds;
    if (node.name === 'a') link = sub.text;
  }
}

const linkDensity = (t: Tally) => (t.text === 0 ? 0 : t.link / t.text);

function isHidden(element: Element): boolean {
  const { attribs } = element;
  if (attribs.hidden !== undefined || attribs['aria-hidden'] === 'true') return true;
  const style = attribs.style;
  return style !== undefined && /display\s*:\s*none|visibility\s*:\s*hidden/i.test(style);
}

function isFurniture(element: Element): boolean {
  return FURNITURE_TAGS.has(element.name) || FURNITURE_ROLES.has(element.attribs.role ?? '');
}

/** Removes `nodes` from their parents: one filter per parent, not a splice per node (linear). */
export function removeAll(nodes: Iterable<AnyNode>): void {
  const byParent = new Map<ParentNode, Set<AnyNode>>();
  for (const node of nodes) {
    if (!node.parent) continue;
    let set = byParent.get(node.parent);
    if (!set) byParent.set(node.parent, (set = new Set()));
    set.add(node);
  }
  for (const [parent, gone] of byParent) {
    parent.children = parent.children.filter((child) => !gone.has(child));
    parent.children.forEach((child, index, all) => {
      child.prev = all[index - 1] ?? null;
      child.next = all[index + 1] ?? null;
    });
    for (const node of gone) {
      node.parent = null;
      node.prev = null;
      node.next = null;
    }
  }
}

const HEADINGS = new Set(['h1', 'h2']);

/** Characters of a text run straight in a wrapper that read as a paragraph of prose. */
const LOOSE_PROSE = 150;

/**
 * Headings of the main content that repeat the page's title: markdown keeps them (a document starts with its
 * headline), the text leaves them out (the title is `metadata.title`, as Readability gives it apart).
 */
export const HEADLINES = new WeakSet<AnyNode>();

/**
 * Words of subscription prompts that some sites also put on the article's locked part (`div.paywall` around
 * the rest of the story): such an element that holds prose is the article, not the prompt.
 */
const PROMPTS = ['paywall', 'subscribe', 'subscription', 'newsletter'];

/** A prompt's word on an element of several paragraphs with few links: the article behind the prompt. */
function lockedProse(element: Element, own: Tally): boolean {
  return own.paragraphs >= 3 && linkDensity(own) < 0.25 && hasWord(element, PROMPTS);
}

/** As many `<article>`s of one class as make them cards, not the article. */
const CARDS = 3;
/** Characters of text an article holds at least (Readability's threshold): a candidate with less weighs less. */
const ARTICLE_TEXT = 500;
/** Characters of text under which cleaned content is none: the page's body (without furniture) is given. */
const EMPTY_CONTENT = 25;
/** Characters of text under which cleaned content is short: cleaning that leaves less is checked once more. */
const SHORT_CONTENT = 200;

/** A picture's caption and credit: about the picture, not the article's text. */
const CAPTIONS = ['caption', 'wp-caption-text', 'credit', 'image-credit', 'photo-credit'];

/** Text as compared with a title: lower case, letters and digits only, spaces single. */
function comparable(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

/** A heading's text that is the title, or the title without the site's name (`Headline | Site`). */
function repeatsTitle(heading: string, titles: string[]): boolean {
  if (heading.length < 10) return false;
  return titles.some((title) => title === heading || (title.startsWith(heading) && heading.length >= title.length / 2));
}

/** The text under `root` (headings are short: no block structure needed). */
function textOf(root: AnyNode): string {
  return textWithin(root, Infinity)!;
}

/** The text under `root`, its runs joined by spaces, or undefined past `budget` nodes. */
function textWithin(root: AnyNode, budget: number): string | undefined {
  const parts: string[] = [];
  const stack: AnyNode[] = [root];
  while (stack.length) {
    if (--budget < 0) return undefined;
    const node = stack.pop()!;
    if (isText(node)) parts.push(node.data);
    else if (hasChildren(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  return parts.join(' ');
}

/** Whether `element` is inside one of `set` (itself included). */
function within(element: AnyNode, set: Set<AnyNode>): boolean {
  for (let node: AnyNode | null = element; node; node = node.parent) if (set.has(node)) return true;
  return false;
}

/**
 * Drops what is hidden and the page's furniture that holds no article
 * (furniture tags and roles, and whole class or id words like `sidebar`,
 * unless the element also names the article), before scoring.
 */
function dropFurniture(root: ParentNode): Tallies {
  const { order, tally } = tallies(root);
  // What holds an article landmark, or most of the page's text, is a wrapper: it stays (`div#ad-portal` around all).
  const holders = new Set<AnyNode>();
  for (const element of order)
    if (semanticBonus(element) > 0)
      for (let node: AnyNode | null = element.parent; node && !holders.has(node); node = node.parent) holders.add(node);
  const total = order.length ? Math.max(...order.slice(0, 1).map((first) => tally.get(first)!.text)) : 0;
  const pageText = isTag(root) ? (tally.get(root)?.text ?? total) : total;
  const drop: Element[] = [];
  const dropped = new Set<AnyNode>();
  for (const element of order) {
    // Document order: a dropped element's descendants come right after it, and go with it (one lookup each).
    if (element.parent && dropped.has(element.parent)) {
      dropped.add(element);
      continue;
    }
    if (element.name === 'body' || element.name === 'html' || element.name === 'a') continue;
    // Hidden is never content, whatever it holds (a display:none copy of the article's schema.org metadata).
    const hidden = isHidden(element);
    if (!hidden && (holders.has(element) || tally.get(element)!.text > pageText * 0.5)) continue;
    const semantic = semanticBonus(element) > 0;
    const gone =
      hidden ||
      (!semantic && isFurniture(element)) ||
      (!semantic &&
        hasWord(element, NEGATIVE) &&
        !hasWord(element, POSITIVE) &&
        !lockedProse(element, tally.get(element)!));
    if (gone) {
      drop.push(element);
      dropped.add(element);
    }
  }
  for (const element of drop) untally(tally, element);
  removeAll(drop);
  return { order: drop.length ? order.filter((element) => !dropped.has(element)) : order, tally };
}

/**
 * The element holding the page's main content, its continuing siblings
 * moved into it when they are not already, and junk inside it removed; or
 * undefined when nothing on the page reads as text.
 */
export function mainContent(
  body: ParentNode,
  make: (name: string) => Element,
  titles: readonly string[] = [],
  descriptions: readonly string[] = [],
): Element | undefined {
  const { order, tally } = dropFurniture(body);
  // Cards: three or more <article>s of one class (a listing, teasers of other stories). Their tag and class
  // name an article, but not this page's: they score by their text alone.
  const perClass = new Map<string, number>();
  for (const element of order)
    if (element.name === 'article' && element.attribs.class)
      perClass.set(element.attribs.class, (perClass.get(element.attribs.class) ?? 0) + 1);
  const card = (element: Element) =>
    element.name === 'article' && (perClass.get(element.attribs.class ?? '') ?? 0) >= CARDS;
  const score = new Map<Element, number>();
  const initial = (element: Element) => {
    let value = score.get(element);
    if (value === undefined) {
      value = tagWeight(element.name) + (card(element) ? 0 : classWeight(element) + semanticBonus(element));
      score.set(element, value);
    }
    return value;
  };
  for (const element of order) {
    const own = tally.get(element)!;
    const paragraph =
      PARAGRAPHS.has(element.name) || (element.name === 'div' && own.blockChildren === 0) || element.name === 'section';
    if (!paragraph) {
      // Prose written straight into a wrapper beside its blocks (no <p>): each long run scores it as a paragraph.
      for (const child of element.children) {
        if (!isText(child)) continue;
        const length = textLength(child.data);
        if (length < LOOSE_PROSE) continue;
        const points = 1 + clauses(commasIn(child.data), stopsIn(child.data)) + Math.min(Math.floor(length / 100), 3);
        let level = 0;
        for (let node: AnyNode | null = element; node && isTag(node) && level < 5; node = node.parent, level++) {
          const share = level === 0 ? points : level === 1 ? points / 2 : points / (level * 3);
          score.set(node, initial(node) + share);
        }
      }
      continue;
    }
    if (own.text < 25) continue;
    if (element.name === 'section' && own.blockChildren > 0) continue;
    // A paragraph of links (a list of names, of tags) is not prose: it gives points as much as it is not links.
    const points =
      (1 + clauses(own.commas, own.stops) + Math.min(Math.floor(own.text / 100), 3)) * (1 - linkDensity(own));
    let level = 0;
    for (let node = element.parent; node && isTag(node) && level < 5; node = node.parent, level++) {
      const share = level === 0 ? points : level === 1 ? points / 2 : points / (level * 3);
      score.set(node, initial(node) + share);
    }
  }
  // The best is weighed by how much of an article it holds: a date line in `div.articleMeta` (a name's 25 points)
  // is no article beside the paragraphs it heads. Runners-up are read by their scores alone.
  let best: Element | undefined;
  let bestScore = -Infinity;
  let bestWeighed = -Infinity;
  for (const [element, value] of score) {
    if (element.name === 'body' || element.name === 'html') continue;
    const own = tally.get(element)!;
    const final = value * (1 - linkDensity(own));
    score.set(element, final);
    const weighed = final * Math.min(1, own.text / ARTICLE_TEXT);
    if (weighed > bestWeighed) {
      best = element;
      bestScore = final;
      bestWeighed = weighed;
    }
  }
  if (!best) return undefined;
  // Close runners-up under one ancestor: the article is split in blocks, and that ancestor holds them all.
  const close = [...score]
    .filter(([element, value]) => element !== best && value >= bestScore * 0.75 && element.name !== 'body')
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([element]) => element);
  if (close.length >= 2) {
    for (let node = best.parent; node && isTag(node) && node.name !== 'body'; node = node.parent) {
      const holds = close.filter((other) => within(other, new Set([node]))).length;
      if (holds >= 2) {
        best = node;
        bestScore = Math.max(bestScore, score.get(node) ?? 0);
        break;
      }
    }
  }
  // A parent that scores more holds more of it; an only child is its parent's content.
  for (let parent = best.parent; parent && isTag(parent) && parent.name !== 'body'; parent = parent.parent) {
    const parentScore = score.get(parent) ?? 0;
    const onlyChild = parent.children.filter(isTag).length === 1;
    if (!onlyChild && parentScore <= bestScore) break;
    best = parent;
    bestScore = Math.max(bestScore, parentScore);
  }
  const joined = joinTwins(
    best,
    bestScore,
    joinSiblings(best, bestScore, score, tally, make),
    order,
    score,
    tally,
    make,
  );
  const content = withDescribed(withLead(joined, best, order, tally, make), best, order, tally, descriptions, make);
  const left = cleanInside(
    content,
    titles.map(comparable).filter((title) => title.length > 0),
  );
  // Nothing of it reads as text: the choice was a widget, not the article. The page without its furniture
  // (dropped above) is a fuller answer than none.
  if (left < EMPTY_CONTENT && isTag(body)) return body;
  return content;
}

/** `parts` taken from where they are and put, in this order, into a new `<div>`. */
function wrapped(parts: AnyNode[], make: (name: string) => Element): Element {
  const wrapper = make('div');
  removeAll(parts);
  wrapper.children = parts;
  parts.forEach((node, index) => {
    node.parent = wrapper;
    node.prev = parts[index - 1] ?? null;
    node.next = parts[index + 1] ?? null;
  });
  return wrapper;
}

/** Words that name an article's lead (standfirst) wherever they sit in a class or id: `ts-intro`, `c-article-head__subtitle`. */
const LEADS = new Set([
  'lead',
  'intro',
  'excerpt',
  'standfirst',
  'subtitle',
  'dek',
  'vorspann',
  'abstract',
  'summary',
  'teaser',
  // Other names and languages: a leader, French chapô, Italian sommario, Spanish entradilla and bajada.
  'leader',
  'chapo',
  'chapeau',
  'sommario',
  'entradilla',
  'bajada',
]);

/** Whether a class or id of `element` has a lead's word among its parts (split at separators and capitals). */
function namesLead(element: Element): boolean {
  const { class: className, id } = element.attribs;
  for (const name of [className, id])
    if (name)
      for (const part of name.split(/[^A-Za-z0-9]+|(?=[A-Z][a-z])/))
        if (part.length >= 3 && part.length <= 11 && LEADS.has(part.toLowerCase())) return true;
  return false;
}

/**
 * The article's lead (standfirst) put before it when it sits outside: in the article's header, a few levels
 * up, before the body that was chosen (a short block of prose named `intro`, `lead`, `excerpt`, …).
 */
function withLead(
  joined: Element,
  best: Element,
  order: Element[],
  tally: Facts<Tally>,
  make: (name: string) => Element,
): Element {
  let scope: AnyNode | null = best.parent;
  for (let level = 0; level < 3 && scope?.parent && isTag(scope.parent) && scope.parent.name !== 'body'; level++)
    scope = scope.parent;
  if (!scope || !isTag(scope)) return joined;
  const start = order.indexOf(scope);
  const end = order.indexOf(best);
  if (start < 0 || end < 0) return joined;
  for (let at = start + 1; at < end; at++) {
    const element = order[at];
    const own = tally.get(element)!;
    if (own.text < 40 || own.text > 800 || linkDensity(own) > 0.3 || !namesLead(element)) continue;
    if (within(best, new Set([element])) || within(element, new Set([joined]))) continue;
    return wrapped([element, joined], make);
  }
  return joined;
}

/** Letters and digits only, in lower case: text compared across markup, spacing and punctuation. */
function squeezed(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Letters and digits of a description compared (its start: descriptions are often cut, with an ellipsis). */
const DESCRIBED = 50;
/** Characters of a description at least: shorter ones are a site's tagline or a title. */
const DESCRIPTION = 40;
/** Block elements looked at for the description, and nodes under each at most. */
const DESCRIBED_BLOCKS = 400;
const DESCRIBED_NODES = 400;
const DESCRIBING = new Set(['p', 'div', 'span', 'section', 'h2', 'h3', 'h4', 'h5', 'h6', 'strong', 'em', 'b']);

/**
 * The page's own summary put before the article when the page shows it outside the chosen body: the page's
 * description (`<meta name="description">`, `og:description`) written out in the header as the lead
 * (standfirst), whatever its class is named. The smallest block before the body that holds the description's
 * start, and not much more, is taken.
 */
function withDescribed(
  content: Element,
  best: Element,
  order: Element[],
  tally: Facts<Tally>,
  descriptions: readonly string[],
  make: (name: string) => Element,
): Element {
  const wanted = descriptions
    .filter((description) => description.trim().length >= DESCRIPTION)
    .map((description) => ({ start: squeezed(description).slice(0, DESCRIBED), length: description.trim().length }))
    .filter(({ start }) => start.length >= DESCRIBED / 2);
  if (wanted.length === 0) return content;
  const end = order.indexOf(best);
  if (end <= 0) return content;
  const have = squeezed(textOf(content));
  if (wanted.some(({ start }) => have.includes(start))) return content;
  let found: Element | undefined;
  let looked = 0;
  for (let at = 0; at < end && looked < DESCRIBED_BLOCKS; at++) {
    const element = order[at];
    const own = tally.get(element);
    if (!own || !DESCRIBING.has(element.name)) continue;
    const fits = wanted.some(({ length }) => own.text >= Math.min(length, 60) && own.text <= length * 1.5 + 100);
    if (!fits) continue;
    looked++;
    const text = textWithin(element, DESCRIBED_NODES);
    if (text === undefined) continue;
    const written = squeezed(text);
    // The last such block before the body: where blocks nest, the deepest (a block inside the last found follows it).
    if (wanted.some(({ start }) => written.includes(start))) found = element;
  }
  if (!found || within(best, new Set([found])) || within(found, new Set([content]))) return content;
  return wrapped([found, content], make);
}

/**
 * An article cut into blocks of one tag and class that are not siblings (WIRED's `article__chunks`, each in a
 * grid of its own beside ads): the other blocks like `best` that hold scored prose join it, in document order.
 */
function joinTwins(
  best: Element,
  bestScore: number,
  joined: Element,
  order: Element[],
  score: Map<Element, number>,
  tally: Facts<Tally>,
  make: (name: string) => Element,
): Element {
  const signature = best.attribs.class;
  if (!signature) return joined;
  const inside = (node: AnyNode, outer: AnyNode) => {
    for (let at: AnyNode | null = node; at; at = at.parent) if (at === outer) return true;
    return false;
  };
  const twins = order.filter(
    (element) =>
      element !== best &&
      element.name === best.name &&
      element.attribs.class === signature &&
      (score.get(element) ?? 0) >= bestScore * 0.2 &&
      tally.get(element)!.paragraphs >= 2 &&
      linkDensity(tally.get(element)!) < 0.33,
  );
  // Not one inside another, nor inside what is joined already.
  const kept = twins.filter((twin) => !inside(twin, joined) && !inside(joined, twin) && !inside(best, twin));
  if (kept.length === 0) return joined;
  const position = new Map(order.map((element, index) => [element, index]));
  const parts: Element[] = [...kept, joined].sort(
    (a, b) => (position.get(a === joined ? best : a) ?? 0) - (position.get(b === joined ? best : b) ?? 0),
  );
  return wrapped(parts, make);
}

/** The candidate with the siblings that continue it (scored, or prose with few links), in a new wrapper. */
function joinSiblings(
  best: Element,
  bestScore: number,
  score: Map<Element, number>,
  tally: Facts<Tally>,
  make: (name: string) => Element,
): Element {
  const parent = best.parent;
  if (!parent || !isTag(parent)) return best;
  const threshold = Math.max(10, bestScore * 0.2);
  const bestClass = best.attribs.class ?? '';
  const picked: AnyNode[] = [];
  for (const sibling of parent.children) {
    if (sibling === best) {
      picked.push(sibling);
      continue;
    }
    if (!isTag(sibling)) continue;
    const own = tally.get(sibling);
    if (!own) continue;
    let value = score.get(sibling) ?? 0;
    if (bestClass && sibling.attribs.class === bestClass) value += bestScore * 0.2;
    const density = linkDensity(own);
    const prose =
      sibling.name === 'p' &&
      ((own.text > 80 && density < 0.25) || (own.text > 0 && own.text <= 80 && density === 0 && own.commas >= 0));
    if (value >= threshold || prose) picked.push(sibling);
  }
  if (picked.length === 1) return best;
  return wrapped(picked, make);
}

/** Nodes a see-also line holds at most (label, markup, one link). */
const SEE_ALSO_NODES = 64;
/** A letter or digit: text after the link that continues the line. */
const WORDY = /[\p{L}\p{N}]/u;
/** A label's end before a link to another story: `Read more:`, `Lea también:`, `SEE ALSO »`. */
const LABEL_END = /[:：»>|–—-]$/u;

/**
 * A line pointing to another story, in any language: a short paragraph of a label ending in a colon (or an
 * arrow, a dash) and one link that ends it (`<p><em>Read more</em>: <a>Looted colonial art</a></p>`).
 */
function seeAlso(element: Element, own: Tally): boolean {
  if ((element.name !== 'p' && element.name !== 'div') || own.blockChildren > 0) return false;
  if (own.text > 200 || own.link === 0 || own.link < own.text / 2) return false;
  // A line of a few nodes: past SEE_ALSO_NODES, or a label's raw text past 256 characters, it is something else
  // (and the walk stays bounded however deep or wide the element is).
  let before = '';
  let links = 0;
  let nodes = 0;
  const stack: AnyNode[] = [element];
  while (stack.length) {
    if (++nodes > SEE_ALSO_NODES) return false;
    const node = stack.pop()!;
    if (isText(node)) {
      if (links > 0) {
        if (WORDY.test(node.data)) return false;
      } else if (before.length + node.data.length > 256) return false;
      else before += node.data;
    } else if (isTag(node) && node.name === 'a') {
      if (++links > 1) return false;
    } else if (hasChildren(node)) for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  const trimmed = before.trim();
  // A label of a few words (`Lesen Sie auch:`), not a sentence that ends in a link (`… this bug: <a>`).
  return links === 1 && trimmed.length <= 30 && trimmed.split(/\s+/).length <= 4 && LABEL_END.test(trimmed);
}

/**
 * Inside the content: junk by class or id (comments, share bars, related
 * stories, bylines, subscription prompts), pictures' captions and credits,
 * furniture, and blocks that read as link lists or forms rather than prose
 * (Readability's conditional cleaning); headings that repeat the title are
 * marked ({@link HEADLINES}). Where that leaves next to nothing, only what is
 * named junk goes (Readability retries so). @returns the text left, in characters.
 */
function cleanInside(content: Element, titles: string[]): number {
  const { order, tally } = tallied(content);
  const total = tally.get(content)!.text;
  let { drop, left } = dropsInside(content, order, tally, titles, true);
  // Cleaned to (almost) nothing though what only reads as junk leaves text: the content is a short article in
  // a page of links (its block read as a link list), kept by the rules that name what they remove.
  if (left < Math.min(SHORT_CONTENT, total / 4)) {
    const named = dropsInside(content, order, tally, titles, false);
    if (named.left > left * 4) ({ drop, left } = named);
  }
  removeAll(drop);
  return left - dropBareHeadings(content);
}

/** Heading ranks: `h1` 1 … `h6` 6; a paragraph that is only bold text (`<p><strong>Read next</strong></p>`) 7. */
function headingRank(element: Element): number {
  const level = /^h([1-6])$/.exec(element.name);
  if (level) return Number(level[1]);
  if (element.name !== 'p') return 0;
  let bold: Element | undefined;
  for (const child of element.children) {
    if (isText(child) && child.data.trim() === '') continue;
    if (bold || !isTag(child) || (child.name !== 'strong' && child.name !== 'b')) return 0;
    bold = child;
  }
  return bold ? 7 : 0;
}

/** Characters a heading has at most to read as a label (`Read next`, `Weitere Informationen:`), not a statement. */
const LABEL = 80;
/** Characters outside links a section holds at least to be prose (not the commas between its links). */
const SECTION_PROSE = 10;
/** A sentence's end: a heading that ends so is a statement (a lead, a pull quote set as a heading), never a label. */
const SENTENCE_END = /[.!…。！]["'”’»)]*$/u;

/**
 * Labels left over a section with no prose (`**Schon gelesen?**` over one link, `Teilnehmende Blogs:` over
 * links, `Auch interessant` over teasers that were removed), with the links under them. A section runs to the
 * next heading of its rank or above; a subsection kept (its heading and prose) is its prose too. A bold paragraph is a
 * label only over links or ending in a colon (over nothing, or ending the content, a tagline or a credit). One walk
 * over the content. @returns the text removed.
 */
function dropBareHeadings(content: Element): number {
  interface Section {
    heading: Element;
    rank: number;
    /** The heading's own text, in characters. */
    length: number;
    label: boolean;
    /** Ends in a colon: it announces what follows. */
    announces: boolean;
    prose: number;
    text: number;
    /** Where its elements start in `order`. */
    start: number;
  }
  const open: Section[] = [];
  // Elements in document order (headings aside), each once.
  const order: Element[] = [];
  const drop: AnyNode[] = [];
  let removed = 0;
  /** Closes the sections of rank `until` and below; `next` is the heading that closes them (null: the end). */
  const close = (until: number, next: Element | null) => {
    let past: Set<AnyNode> | undefined;
    while (open.length && open[open.length - 1].rank >= until) {
      const section = open.pop()!;
      const links = section.text - section.prose;
      const kept =
        !section.label ||
        section.prose >= SECTION_PROSE ||
        // Straight over a heading of a higher rank: a kicker or an eyebrow (`Biz & IT —` over the headline).
        (section.text === 0 && section.rank > until && next !== null) ||
        (section.rank === 7 && links === 0 && !section.announces);
      if (kept) {
        // A subsection kept is prose of the sections it is part of.
        for (const outer of open) outer.prose += section.length;
        continue;
      }
      // What holds the next heading continues past the section: not the section's (a walk up, once a close).
      if (!past) {
        past = new Set();
        for (let node: AnyNode | null = next; node && node !== content; node = node.parent) past.add(node);
      }
      const own = new Set<AnyNode>([section.heading]);
      for (let at = section.start; at < order.length; at++) {
        const member = order[at];
        if (own.has(member.parent!)) own.add(member);
        else if (!past.has(member)) {
          own.add(member);
          drop.push(member);
        }
      }
      drop.push(section.heading);
      removed += section.length + links;
    }
  };
  // A walk in document order; a link's end is marked (null, then the link) to count the text inside links.
  const stack: (AnyNode | null)[] = [...content.children].reverse();
  let inLinks = 0;
  while (stack.length) {
    const node = stack.pop()!;
    if (node === null) {
      inLinks--;
      continue;
    }
    if (isText(node)) {
      const length = open.length ? textLength(node.data) : 0;
      if (length === 0) continue;
      for (const section of open) {
        section.text += length;
        if (inLinks === 0) section.prose += length;
      }
      continue;
    }
    if (!isTag(node)) continue;
    const rank = headingRank(node);
    if (rank > 0) {
      close(rank, node);
      const text = textOf(node).trim();
      const length = textLength(text);
      open.push({
        heading: node,
        rank,
        length,
        label: length <= LABEL && !SENTENCE_END.test(text),
        announces: /[:：]$/u.test(text),
        prose: 0,
        text: 0,
        start: order.length,
      });
      continue;
    }
    if (open.length) order.push(node);
    if (node.name === 'a') {
      inLinks++;
      stack.push(null);
    }
    for (let i = node.children.length - 1; i >= 0; i--) stack.push(node.children[i]);
  }
  close(0, null);
  removeAll(drop);
  return removed;
}

/**
 * What {@link cleanInside} removes, and the text left: with `conditional`, blocks that read as link lists or
 * forms too, not only what furniture, class and id words and captions name.
 */
function dropsInside(
  content: Element,
  order: Element[],
  tally: Facts<Tally>,
  titles: string[],
  conditional: boolean,
): { drop: Element[]; left: number } {
  // A run of paragraphs that are each a link ("You may also like…" and its headlines) is a teaser list.
  const linkParagraph = (element: Element | null) => {
    const own = element && element.name === 'p' ? tally.get(element) : undefined;
    return own !== undefined && own.text > 0 && linkDensity(own) > 0.9;
  };
  // The element next to `element` (step -1: before, +1: after), passing over empty ones (an ad's slot).
  const tagSibling = (element: Element, step: -1 | 1): Element | null => {
    for (let node = step < 0 ? element.prev : element.next; node; node = step < 0 ? node.prev : node.next)
      if (isTag(node) && (tally.get(node)?.text ?? 0) > 0) return node;
    return null;
  };
  // The headline is the page's title (metadata.title), not its text: a heading that repeats it is marked.
  const headline = (element: Element) =>
    HEADINGS.has(element.name) && titles.length > 0 && repeatsTitle(comparable(textOf(element)), titles);
  // WordPress names a post `hentry post author-x tag-y`: what holds most of the content and names it is no byline.
  const half = tally.get(content)!.text / 2;
  const postHolder = (element: Element, own: Tally) => own.text > half && hasWord(element, POSITIVE);
  let headlines = 0;
  const drop: Element[] = [];
  const dropped = new Set<AnyNode>();
  for (const element of order) {
    if (element === content) continue;
    if (element.parent && dropped.has(element.parent)) {
      dropped.add(element);
      continue;
    }
    const own = tally.get(element)!;
    let gone =
      isFurniture(element) ||
      seeAlso(element, own) ||
      ((hasWord(element, JUNK) || (own.text < half && hasJunkPart(element))) &&
        !lockedProse(element, own) &&
        !postHolder(element, own)) ||
      element.name === 'figcaption' ||
      hasWord(element, CAPTIONS) ||
      (own.text <= CAPTION_TEXT && own.paragraphs <= 1 && hasPartIn(element, CAPTION_PART)) ||
      (linkParagraph(element) && (linkParagraph(tagSibling(element, -1)) || linkParagraph(tagSibling(element, 1))));
    if (headline(element)) {
      HEADLINES.add(element);
      // Not written as the content's text (it is metadata.title): no part of what is left.
      if (!gone) headlines += own.text;
    }
    if (conditional && !gone && ['div', 'section', 'ul', 'ol', 'table', 'header'].includes(element.name)) {
      const weight = classWeight(element);
      const density = linkDensity(own);
      if (own.commas < 10) {
        const { paragraphs, images, items, inputs, embeds, text } = own;
        gone =
          (images > 1 && paragraphs / images < 0.5 && text < 200) ||
          (element.name !== 'ul' && element.name !== 'ol' && items - 100 > paragraphs) ||
          inputs > Math.floor(paragraphs / 3) ||
          (text < 25 && (images === 0 || images > 2) && embeds === 0 && element.name !== 'table') ||
          (weight < 25 && density > 0.33) ||
          (weight >= 25 && density > 0.5) ||
          (embeds > 1 && text < 75);
        // Lists of links (menus, "more stories") go; lists of prose stay.
        if ((element.name === 'ul' || element.name === 'ol') && density <= 0.33) gone = false;
      }
    }
    if (gone) {
      drop.push(element);
      dropped.add(element);
    }
  }
  let left = tally.get(content)!.text - headlines;
  for (const element of drop) left -= tally.get(element)!.text;
  return { drop, left };
}
