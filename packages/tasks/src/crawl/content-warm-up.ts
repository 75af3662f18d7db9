import { extractLinks } from './extract-links.js';
import { pageContent } from './page-content.js';

const WORDS = (
  'the fleet crawls every page once and keeps what it found; a worker takes the next host when its ' +
  'lease is free, while the queue waits: readers, editors and their sources said so in March, and ' +
  'nobody — not even the council — asked why 42 servers answered slowly, or whether prices rose again'
).split(' ');

/** `count` words of made-up prose, different for each `seed`. */
function prose(seed: number, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(WORDS[(seed * 7 + i * 3) % WORDS.length]);
  return out.join(' ');
}

/**
 * A made-up news page with what real ones carry: navigation, a headline and
 * byline, paragraphs with inline markup and links, a figure, lists, a quote,
 * a table, code, share and related-story furniture, comments, a footer,
 * scripts and styles (480-590 elements by seed, under the inline bound).
 */
export function warmUpPage(seed = 0): string {
  const nav = Array.from({ length: 12 }, (_, i) => `<li><a href="/section/${i}">Section ${i}</a></li>`).join('');
  const paragraphs = Array.from(
    { length: 30 + (seed % 4) * 5 },
    (_, i) =>
      `<p>${prose(i + seed, 30)}, <a href="/story/${i}?utm_source=x&amp;b=2">${prose(i + 1, 3)}</a> ` +
      `<em>${prose(i + 2, 4)}</em> and <strong>${prose(i + 3, 2)}</strong> &rsquo;${prose(i + 4, 12)}` +
      `<sup>${i}</sup>.<br>${prose(i + seed + 5, 9)} <span class="note">${prose(i, 4)}</span></p>` +
      (i % 8 === 4 ? `<h${2 + (i % 3)}>${prose(i, 5)}</h${2 + (i % 3)}>` : '') +
      (i % 11 === 6 ? `<div class="ad-slot"><iframe src="/ad/${i}"></iframe></div><hr>` : ''),
  ).join('');
  const list = Array.from({ length: 8 }, (_, i) => `<li>${prose(i, 8)} <code>x${i}</code></li>`).join('');
  const rows = Array.from({ length: 6 }, (_, i) => `<tr><td>${prose(i, 2)}</td><td>${i * 17}</td></tr>`).join('');
  const related = Array.from(
    { length: 10 },
    (_, i) => `<div class="teaser"><a href="/more/${i}"><img src="/t${i}.jpg" alt=""><h3>${prose(i, 6)}</h3></a></div>`,
  ).join('');
  const comments = Array.from(
    { length: 12 },
    (_, i) => `<li class="comment"><span class="author">reader${i}</span><p>${prose(i + 9, 20)}</p></li>`,
  ).join('');
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Warm-up | The Fleet</title>' +
    '<meta property="og:image" content="/lead.jpg"><style>body{margin:0}</style>' +
    '<script>window.dataLayer=[];</script></head><body>' +
    `<header class="site-header"><nav class="menu"><ul>${nav}</ul></nav></header>` +
    '<main id="content"><article class="post"><h1>A page that readies the content code</h1>' +
    '<div class="byline">By <a href="/by/someone">Someone</a>, 6 December 2026</div>' +
    '<div class="share-bar"><a href="/share/a">Share</a><a href="/share/b">Post</a></div>' +
    `<div class="entry-content" itemprop="articleBody">${paragraphs}` +
    `<figure><img src="/lead.jpg" alt="lead"><figcaption>${prose(3, 9)}</figcaption></figure>` +
    `<ul>${list}</ul><ol>${list}</ol><blockquote><p>${prose(5, 25)}</p></blockquote>` +
    `<table><thead><tr><th>name</th><th>count</th></tr></thead><tbody>${rows}</tbody></table>` +
    `<pre><code>const x = 1;\nconsole.log(x);</code></pre>` +
    `<dl><dt>${prose(seed, 2)}</dt><dd>${prose(seed + 1, 9)}</dd></dl>` +
    '<picture><source srcset="/lead.webp"><img src="/lead-2.jpg" alt="second"></picture>' +
    `<noscript><p>${prose(seed + 2, 14)}</p></noscript></div>` +
    '<div class="subscribe">Subscribe to read more</div></article>' +
    `<section class="related-stories">${related}</section>` +
    `<section id="comments"><ol>${comments}</ol>` +
    '<form action="/comment"><textarea name="c"></textarea><button>Post</button></form></section></main>' +
    `<aside class="sidebar"><ul>${nav}</ul></aside>` +
    `<footer><p>${prose(8, 10)}</p><ul>${nav}</ul></footer>` +
    '<script>console.log(1)</script></body></html>'
  );
}

/** Rounds of a warm-up: about what V8 needs to compile the content code's hot paths (bench/README.md). */
export const WARM_UP_ROUNDS = 20;

/**
 * Runs a made-up page through link extraction and every content format
 * `rounds` times, so a fresh process or thread has its modules loaded and
 * its hot code compiled before a real page waits on it (a cold worker's
 * first pages took 3-10x a warm one's).
 */
export function warmUpContent(rounds = WARM_UP_ROUNDS, first = 0): void {
  const url = 'http://warm-up.invalid/news/story';
  const limits = { maxStoredBytes: 1 << 20, maxContentDepth: 512, maxContentElements: 100_000 };
  // Round `round` runs page `round`: a warm-up in steps sees the pages one in one go would.
  for (let round = first; round < first + rounds; round++) {
    const html = warmUpPage(round);
    const parsed = extractLinks(html, url);
    pageContent(html, parsed, url, ['markdown', 'text'], round % 3 !== 2, limits);
  }
}
