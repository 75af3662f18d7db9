import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ContentPool } from '@crawlfleet/worker';
import { afterEach, describe, expect, it } from 'vitest';

/* The crawl worker's content threads: started by the first large page that asks for content, then readied. */

const root = join(import.meta.dirname, '..');
const limits = { maxStoredBytes: 1 << 20, maxContentDepth: 512, maxContentElements: 100_000 };
/** Over the inline bound (1,000 elements): converted in a thread. */
const large = `<html><body><nav><a href="/x">menu</a></nav><main><h1>Large</h1>${Array.from(
  { length: 600 },
  (_, i) => `<p>Paragraph ${i} of a long article, with <em>words</em> enough.</p>`,
).join('')}</main></body></html>`;
const parsed = { links: [], text: '', depth: 5, elements: 1_205 };

let pools: ContentPool[] = [];
afterEach(async () => {
  await Promise.all(pools.map((pool) => pool.close()));
  pools = [];
});

describe('content pool', () => {
  it('starts no thread before a page asks for content, warm or not (a crawl without formats costs none)', async () => {
    const warm = new ContentPool(10_000, true);
    const cold = new ContentPool(10_000);
    pools.push(warm, cold);
    expect(warm.threads).toBe(0);
    expect(cold.threads).toBe(0);
    const content = await warm.run(large, parsed, 'http://site.test/a', ['markdown'], true, limits);
    expect(content.markdown).toContain('Paragraph 599 of a long article');
    expect(content.markdown).not.toContain('menu');
    expect(warm.threads).toBe(1);
    // The thread readies itself between pages (content-thread.ts): the next page finds it, none started for it.
    const again = await warm.run(large, parsed, 'http://site.test/b', ['markdown'], true, limits);
    expect(again.markdown).toContain('Paragraph 0 of a long article');
    expect(warm.threads).toBe(1);
    // Links only: no content, no thread.
    const linksOnly = await cold.run(
      large,
      { ...parsed, links: ['http://site.test/x'] },
      'http://site.test/c',
      ['links'],
      true,
      limits,
    );
    expect(linksOnly.links).toEqual(['http://site.test/x']);
    expect(cold.threads).toBe(0);
  });

  it('starts a thread with the first page that asks for content, small or not, so a large page after it finds one up', async () => {
    const pool = new ContentPool(10_000);
    pools.push(pool);
    // A small page is converted in this thread...
    const small = await pool.run(
      '<p>short</p>',
      { links: [], text: 'short', depth: 1, elements: 1 },
      'http://site.test/c',
      ['markdown'],
      true,
      limits,
    );
    expect(small.markdown).toBe('short');
    // ...and a thread is on its way for the pages after it, one only, however many pages come meanwhile.
    expect(pool.threads).toBe(1);
    const pages = await Promise.all(
      [1, 2, 3].map((i) =>
        pool.run(
          `<p>small ${i}</p>`,
          { links: [], text: '', depth: 1, elements: 1 },
          'http://site.test/d',
          ['markdown'],
          true,
          limits,
        ),
      ),
    );
    expect(pages.map((page) => page.markdown)).toEqual(['small 1', 'small 2', 'small 3']);
    expect(pool.threads).toBe(1);
    const content = await pool.run(large, parsed, 'http://site.test/a', ['markdown'], true, limits);
    expect(content.markdown).toContain('Paragraph 599 of a long article');
  });

  it("loads no Redis client, queue or schema compiler into a content thread (a thread's start: ~100 ms, was ~400)", () => {
    // Every module the content entry resolves, as a content thread loads it.
    const hook = `export async function resolve(s, c, next) { const r = await next(s, c); console.error('LOADED ' + r.url); return r; }`;
    const run = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});
         await import('@crawlfleet/tasks/content'); await import('@crawlfleet/tasks/content-warm-up');`,
      ],
      { cwd: join(root, 'services/worker'), encoding: 'utf8' },
    );
    expect(run.status).toBe(0);
    const loaded = run.stderr.split('\n').filter((line) => line.startsWith('LOADED '));
    expect(loaded.some((line) => line.includes('/node_modules/cheerio/'))).toBe(true);
    const heavy = loaded.filter((line) => /\/node_modules\/(ioredis|bullmq|typebox|undici|pino)\//.test(line));
    expect(heavy).toEqual([]);
  });
});
