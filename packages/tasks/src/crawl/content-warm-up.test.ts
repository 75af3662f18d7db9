import { describe, expect, it } from 'vitest';
import { warmUpContent, warmUpPage } from './content-warm-up.js';
import { extractLinks } from './extract-links.js';
import { pageContent } from './page-content.js';

const limits = { maxStoredBytes: 1 << 20, maxContentDepth: 512, maxContentElements: 100_000 };

describe('content warm-up', () => {
  it('runs a page through the paths real pages take: main content chosen, furniture dropped', () => {
    for (const seed of [0, 7]) {
      const html = warmUpPage(seed);
      const parsed = extractLinks(html, 'http://warm-up.invalid/news/story');
      // Under the inline bound (content-pool.ts): the worker's own thread converts pages like it.
      expect(parsed.elements).toBeGreaterThan(300);
      expect(parsed.elements).toBeLessThanOrEqual(1000);
      const content = pageContent(html, parsed, 'http://warm-up.invalid/news/story', ['markdown'], true, limits);
      const markdown = content.markdown ?? '';
      expect(markdown).toContain('| name');
      expect(markdown).toContain('```');
      expect(markdown).toMatch(/\[[^\]]+\]\(http:\/\/warm-up\.invalid\/story\/0\?/);
      for (const furniture of ['Section 3', 'reader4', 'Subscribe to read more', 'Share'])
        expect(markdown).not.toContain(furniture);
      expect(content.mainContentHash).toMatch(/^[0-9a-f]{64}$/);
      expect(content.image).toBe('http://warm-up.invalid/lead.jpg');
    }
    // Different pages each round, so no one page's shape is all the compiler sees.
    expect(warmUpPage(1)).not.toBe(warmUpPage(2));
  });

  it('warms without throwing and within a bounded time', () => {
    const started = performance.now();
    warmUpContent(3);
    // Generous: the point is that a worker's start is not held for seconds.
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
