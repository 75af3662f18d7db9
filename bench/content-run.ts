import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'cheerio/slim';
import { decodeHtml, extractContent } from '@crawlfleet/tasks';
import { meanScore, scorePage, type PageScore } from './content-score.js';

/*
 * `npm run bench:content [dir]`: main-content quality on annotated real pages.
 * Each folder of `dir` (default bench/content-pages; bench/news-pages is the other set) holds `source.html` and
 * `expected.html` (the article as an annotator kept it: mozilla/readability's
 * test pages have this shape). Prints each page's F1 (content-score.ts), the
 * means, and the median and p95 ms of extraction (text, onlyMainContent).
 */

export const CONTENT_PAGES = fileURLToPath(new URL('../content-pages', import.meta.url));
/** 33 news pages of the scrapinghub article-extraction benchmark (bench/news-pages/README.md). */
export const NEWS_PAGES = fileURLToPath(new URL('../news-pages', import.meta.url));

export interface ContentRun {
  pages: { name: string; score: PageScore; ms: number; chars: number }[];
  mean: PageScore;
  medianMs: number;
  p95Ms: number;
}

/**
 * A stored page's HTML: UTF-8 when its bytes are (readability's test pages were saved so, whatever
 * their <meta> says), else as the crawler decodes a page served without a charset (BOM, <meta>).
 */
function decoded(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return decodeHtml(bytes, null).html;
  }
}

export function scoreDir(dir = CONTENT_PAGES): ContentRun {
  const pages: ContentRun['pages'] = [];
  for (const name of readdirSync(dir).sort()) {
    const source = join(dir, name, 'source.html');
    const expectedFile = join(dir, name, 'expected.html');
    if (!existsSync(source) || !existsSync(expectedFile)) continue;
    const html = decoded(readFileSync(source));
    const expected = load(readFileSync(expectedFile, 'utf8')).root().text();
    const started = performance.now();
    const text =
      extractContent(html, 'http://fixture.test/page', {
        markdown: false,
        text: true,
        html: false,
        onlyMainContent: true,
      }).text ?? '';
    const ms = performance.now() - started;
    pages.push({ name, score: scorePage(text, expected), ms, chars: text.length });
  }
  const times = pages.map((page) => page.ms).sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0;
  return { pages, mean: meanScore(pages.map((page) => page.score)), medianMs: at(0.5), p95Ms: at(0.95) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const run = scoreDir(process.argv[2]);
  for (const page of run.pages)
    console.log(
      `${page.name.padEnd(40)} F1 ${page.score.f1.toFixed(3)}  P ${page.score.precision.toFixed(3)}  R ${page.score.recall.toFixed(3)}  ${page.ms.toFixed(1)} ms`,
    );
  const { f1, precision, recall } = run.mean;
  // The benchmark's evaluate.py reports the harmonic mean of the mean precision and the mean recall.
  const benchmarkF1 = (2 * precision * recall) / (precision + recall);
  console.log(
    `\n${run.pages.length} pages: F1 ${f1.toFixed(3)} (mean of pages; ${benchmarkF1.toFixed(3)} as evaluate.py reports it)  ` +
      `precision ${precision.toFixed(3)}  recall ${recall.toFixed(3)}  ` +
      `median ${run.medianMs.toFixed(1)} ms  p95 ${run.p95Ms.toFixed(1)} ms`,
  );
}
