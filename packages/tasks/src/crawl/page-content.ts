import type { ContentFormat } from '@crawlfleet/core';
import { TooDeepError, extractContent } from './content.js';
import type { PageLinks } from './extract-links.js';

/** Bounds on extracting and returning a page's content. */
export interface ContentLimits {
  /** Bytes of content (markdown, text, html, links together) returned a page: `CRAWL_MAX_STORED_BYTES`. */
  maxStoredBytes: number;
  /** Deeper pages get their text only: `CRAWL_MAX_CONTENT_DEPTH`. */
  maxContentDepth: number;
  /** Pages with more elements get their text only: `CRAWL_MAX_CONTENT_ELEMENTS`. */
  maxContentElements: number;
}

/** A page's content in the asked formats, before the byte cap. */
export interface Content {
  markdown?: string;
  text?: string;
  html?: string;
  links?: string[];
  truncated?: boolean;
  warning?: string;
  /** Metadata of the main content, where it was computed (content.ts). */
  mainContentHash?: string;
  simhash?: string;
  image?: string | null;
}

/** What content extraction needs of a parsed page (what crosses to a worker thread). */
export type ParsedPage = Pick<PageLinks, 'links' | 'text' | 'depth' | 'elements'>;

/**
 * Runs {@link pageContent}: in this thread by default; the crawl and render
 * workers run it in a worker thread with a deadline (CRAWL_MAX_CONTENT_MS).
 */
export type ContentRunner = (...args: Parameters<typeof pageContent>) => Promise<Content>;

/** {@link pageContent} in this thread. */
export const runContentHere: ContentRunner = async (...args) => pageContent(...args);

/**
 * The content `formats` asks for. A page past the depth or element bound is
 * not parsed into a tree (each parser is quadratic in depth): its markdown
 * and text are then the tokenizer's text, and `warning` says why.
 */
export function pageContent(
  html: string | null,
  parsed: ParsedPage | null,
  pageUrl: string,
  formats: readonly ContentFormat[],
  onlyMainContent: boolean,
  limits: ContentLimits,
): Content {
  const content: Content = {};
  if (formats.includes('links')) content.links = parsed?.links ?? [];
  if (html === null || parsed === null) {
    if (formats.some((format) => format !== 'links')) content.warning = 'not HTML: no content extracted';
    return content;
  }
  const wanted = {
    markdown: formats.includes('markdown'),
    text: formats.includes('text'),
    html: formats.includes('html'),
    onlyMainContent,
  };
  if (!wanted.markdown && !wanted.text && !wanted.html) return content;
  const tooDeep = parsed.depth > limits.maxContentDepth;
  if (tooDeep || parsed.elements > limits.maxContentElements) {
    const warning = tooDeep
      ? `elements nest ${parsed.depth} deep, over CRAWL_MAX_CONTENT_DEPTH (${limits.maxContentDepth}): text only`
      : `${parsed.elements} elements, over CRAWL_MAX_CONTENT_ELEMENTS (${limits.maxContentElements}): text only`;
    return textOnly(content, wanted, html, parsed.text, warning);
  }
  try {
    return { ...content, ...extractContent(html, pageUrl, { ...wanted, maxDepth: limits.maxContentDepth }) };
  } catch (err) {
    // Nested past the bound once parsed, or deep enough to exhaust the stack anyway: text only, never a failure.
    if (!(err instanceof TooDeepError) && !(err instanceof RangeError)) throw err;
    const why =
      err instanceof TooDeepError
        ? `elements nest ${err.depth} deep once parsed, over CRAWL_MAX_CONTENT_DEPTH (${limits.maxContentDepth})`
        : 'elements nest too deep to convert';
    return textOnly(content, wanted, html, parsed.text, `${why}: text only`);
  }
}

/** The tokenizer's text as markdown and text (and the page as html), with `warning` saying why. */
export function textOnly(
  content: Content,
  wanted: { markdown: boolean; text: boolean; html: boolean },
  html: string,
  text: string,
  warning: string,
): Content {
  const out: Content = { ...content, warning };
  if (wanted.markdown) out.markdown = text;
  if (wanted.text) out.text = text;
  if (wanted.html) out.html = html;
  return out;
}

/** `text` cut to at most `bytes` bytes of UTF-8, never inside a character. */
function cutUtf8(text: string, bytes: number): string {
  const encoded = Buffer.from(text, 'utf8');
  if (encoded.length <= bytes) return text;
  let end = bytes;
  // Back up to the start of a character (continuation bytes are 10xxxxxx).
  while (end > 0 && (encoded[end] & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end).toString('utf8');
}

/**
 * Keeps a page's content within `maxBytes` in all, fields in the order
 * markdown, text, html, links; what is cut or left out sets `truncated`.
 */
export function capContent(content: Content, maxBytes: number): Content {
  let left = maxBytes;
  const out: Content = { ...content };
  for (const field of ['markdown', 'text', 'html'] as const) {
    const value = content[field];
    if (value === undefined) continue;
    const size = Buffer.byteLength(value, 'utf8');
    if (size > left) {
      out[field] = cutUtf8(value, left);
      out.truncated = true;
    }
    left = Math.max(0, left - size);
  }
  if (content.links) {
    const kept: string[] = [];
    for (const link of content.links) {
      // As in JSON: the link, its quotes and a comma.
      left -= Buffer.byteLength(link, 'utf8') + 3;
      if (left < 0) {
        out.truncated = true;
        break;
      }
      kept.push(link);
    }
    out.links = kept;
  }
  return out;
}
