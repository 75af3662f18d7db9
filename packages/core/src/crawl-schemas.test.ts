import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { CRAWL_DEFAULTS, LEGACY_OPTIONS, crawlOptions } from './crawl-record.js';
import { CrawlOptionsView, CrawlRequest } from './crawl-schemas.js';

/* A crawl's options: one schema (the request's), one table of defaults, filled in by crawlOptions. */

describe('crawl options', () => {
  it('take every default from CRAWL_DEFAULTS, and what a request gives over it', () => {
    expect(crawlOptions({})).toEqual(CRAWL_DEFAULTS);
    expect(crawlOptions({ maxDepth: 0, scope: 'path' })).toMatchObject({ maxDepth: 0, scope: 'path', maxPages: 1000 });
    // Fresh arrays, never the frozen defaults'.
    expect(Object.isFrozen(crawlOptions({}).include)).toBe(false);
    // The request's schema quotes the same defaults.
    const described = (field: string) =>
      (CrawlRequest.properties as Record<string, { description?: string }>)[field]?.description;
    expect(described('maxDepth')).toContain(`(default ${CRAWL_DEFAULTS.maxDepth})`);
    expect(described('maxPages')).toContain(`(default ${CRAWL_DEFAULTS.maxPages})`);
    expect(described('respectRobots')).toContain(`(default ${CRAWL_DEFAULTS.respectRobots})`);
  });

  it('are the request schema: every option the schema has, and no other, has a default', () => {
    const fields = Object.keys(CrawlRequest.properties).filter((field) => field !== 'url' && field !== 'webhook');
    expect(Object.keys(CRAWL_DEFAULTS).sort()).toEqual(fields.sort());
  });

  it('are shown as the schema derives them: every option, null where none is the default', () => {
    // Every option, in the request's order.
    expect(Object.keys(CrawlOptionsView.properties)).toEqual(
      Object.keys(CrawlRequest.properties).filter((field) => field !== 'url' && field !== 'webhook'),
    );
    expect(Object.keys(CrawlOptionsView.properties).sort()).toEqual(Object.keys(CRAWL_DEFAULTS).sort());
    expect(Value.Check(CrawlOptionsView, crawlOptions({}))).toBe(true);
    const given = crawlOptions({ maxDepth: 0, delayMs: 250, formats: ['markdown'], recrawlOf: 'old' });
    expect(Value.Check(CrawlOptionsView, given)).toBe(true);
    // A crawl stored before an option existed is shown with the legacy fill.
    expect(Value.Check(CrawlOptionsView, { ...crawlOptions({}), ...LEGACY_OPTIONS })).toBe(true);
    expect(Value.Check(CrawlOptionsView, { ...crawlOptions({}), maxPages: null })).toBe(false);
  });
});
