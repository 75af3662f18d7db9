import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/* Where things live, as docs/architecture.md says: checked, not just written. */

const root = join(import.meta.dirname, '..');

/** The TypeScript sources (not tests) under `dir`, relative to the repository. */
function sources(dir: string, found: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name === 'bundle') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, found);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) found.push(relative(root, path));
  }
  return found;
}

const all = [...sources(join(root, 'packages')), ...sources(join(root, 'services'))];
const text = (path: string) => readFileSync(join(root, path), 'utf8');

describe('layout', () => {
  it('imports bullmq only in the queue adapters: the API, the worker and the frontier hand-out', () => {
    const importers = all.filter((path) => /from 'bullmq'/.test(text(path))).sort();
    expect(importers).toEqual([
      'packages/crawl/src/page-jobs.ts',
      'services/api/src/plugins/job-queues.ts',
      'services/worker/src/bullmq.ts',
    ]);
  });

  it('spells Redis keys and channels in one module (packages/core/src/keys.ts)', () => {
    // A key is QUEUE_PREFIX, ':' and its parts; a hash tag is a part in braces.
    const spelled = all.filter(
      (path) => path !== 'packages/core/src/keys.ts' && /`\$\{[\w.]*[pP]refix\}:|:\{\$\{/.test(text(path)),
    );
    expect(spelled).toEqual([]);
  });

  it('starts every crawl through the crawls door (packages/crawl): the API and schedules alike', () => {
    const launching = all.filter((path) => /\blaunchCrawl\(/.test(text(path))).sort();
    expect(launching).toEqual(['packages/crawl/src/crawls.ts', 'packages/crawl/src/launch.ts']);
    // And nothing outside it builds the door's parts itself.
    const elsewhere = all.filter((path) => !path.startsWith('packages/crawl/') && /new CrawlEnds\(/.test(text(path)));
    expect(elsewhere).toEqual([]);
  });

  it('writes no Lua inside TypeScript: every script is a file of packages/core/lua', () => {
    expect(all.filter((path) => /redis\.p?call\(/.test(text(path)))).toEqual([]);
  });
});
