import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeHtml, extractContent } from '@crawlfleet/tasks';

/*
 * `npm run bench:snippets [dir]`: main content on trafilatura's evaluation
 * set (adbar/trafilatura's `tests`: evaldata.json, cache/ and eval/; 990 real
 * pages in many languages; bench/snippet-pages, the default, holds 43 of them). Each page is annotated with up to six snippets its
 * main text must hold (`with`) and up to six it must not (`without`); the
 * score is its evaluate.py's: a snippet counts when it is a substring of the
 * text, whitespace runs made one space; precision, recall and F1 over all
 * snippets of all pages. Pages are decoded as the crawler decodes a page
 * served without a charset (BOM, `<meta>`, else UTF-8).
 */

interface Annotation {
  file: string;
  with: string[];
  without: string[];
}

export interface SnippetRun {
  pages: number;
  empty: string[];
  precision: number;
  recall: number;
  f1: number;
  /** Pages whose every `with` snippet was missed (file names). */
  missedAll: string[];
}

const flat = (text: string) => text.replace(/\s+/g, ' ').trim();

/** 43 of trafilatura's annotated pages (bench/snippet-pages/README.md). */
export const SNIPPET_PAGES = fileURLToPath(new URL('../snippet-pages', import.meta.url));

export function scoreSnippets(dir: string): SnippetRun {
  const annotations = JSON.parse(readFileSync(join(dir, 'evaldata.json'), 'utf8')) as Record<string, Annotation>;
  let found = 0;
  let leaked = 0;
  let missed = 0;
  let pages = 0;
  const empty: string[] = [];
  const missedAll: string[] = [];
  for (const [url, page] of Object.entries(annotations)) {
    const path = ['cache', 'eval'].map((sub) => join(dir, sub, page.file)).find((file) => existsSync(file));
    if (!path) continue;
    pages++;
    const { html } = decodeHtml(readFileSync(path), null);
    const text = flat(
      extractContent(html, url, { markdown: false, text: true, html: false, onlyMainContent: true }).text ?? '',
    );
    if (!text) empty.push(page.file);
    const hits = page.with.filter((snippet) => text.includes(flat(snippet))).length;
    if (hits === 0) missedAll.push(page.file);
    found += hits;
    missed += page.with.length - hits;
    leaked += page.without.filter((snippet) => text.includes(flat(snippet))).length;
  }
  return {
    pages,
    empty,
    precision: found / (found + leaked),
    recall: found / (found + missed),
    f1: (2 * found) / (2 * found + leaked + missed),
    missedAll,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? SNIPPET_PAGES;
  if (!existsSync(join(dir, 'evaldata.json'))) {
    process.stderr.write('usage: npm run bench:snippets <trafilatura tests dir (evaldata.json, cache/, eval/)>\n');
    process.exit(2);
  }
  const run = scoreSnippets(dir);
  console.log(`pages with no text: ${run.empty.join(', ') || 'none'}`);
  console.log(`pages with every wanted snippet missed: ${run.missedAll.length}`);
  console.log(
    `${run.pages} pages: F1 ${run.f1.toFixed(3)}  precision ${run.precision.toFixed(3)}  recall ${run.recall.toFixed(3)}`,
  );
}
