import { describe, expect, it } from 'vitest';
import { normalizeUrl } from './normalize-url.js';
import { robotsRules } from './robots.js';
import { CrawlScopeFilter } from './scope.js';

describe('normalizeUrl', () => {
  it.each([
    ['HTTP://Example.ORG:80/a?b=1#frag', 'http://example.org/a?b=1'],
    ['https://example.org:443', 'https://example.org/'],
    ['http://example.org:8080/A', 'http://example.org:8080/A'],
    ['../x#y', 'http://site.test/x'],
    ['/list?b=2&a=1&', 'http://site.test/list?a=1&b=2'],
    ['/list?', 'http://site.test/list'],
    // Tracking parameters are the crawl's choice (CrawlScopeFilter.canonical): kept here.
    ['/list?utm_source=x&a=1', 'http://site.test/list?a=1&utm_source=x'],
  ])('%s -> %s', (raw, expected) => {
    expect(normalizeUrl(raw, 'http://site.test/dir/page')).toBe(expected);
  });

  it('refuses other schemes and junk', () => {
    expect(normalizeUrl('mailto:a@b')).toBeNull();
    expect(normalizeUrl('http://[bad')).toBeNull();
  });
});

describe('CrawlScopeFilter', () => {
  const none = { include: [], exclude: [] };
  it('keeps to the seed host', () => {
    const scope = new CrawlScopeFilter('https://www.example.org/', { scope: 'host', ...none });
    expect(scope.allows('https://www.example.org/a')).toBe(true);
    expect(scope.allows('https://docs.example.org/a')).toBe(false);
    expect(scope.allows('https://www.example.org:8443/a')).toBe(false);
  });

  it('takes subdomains in domain scope, and anything in any', () => {
    const domain = new CrawlScopeFilter('https://www.example.org/', { scope: 'domain', ...none });
    expect(domain.allows('https://docs.example.org/a')).toBe(true);
    expect(domain.allows('https://example.org/a')).toBe(true);
    expect(domain.allows('https://badexample.org/a')).toBe(false);
    expect(new CrawlScopeFilter('https://a.test/', { scope: 'any', ...none }).allows('https://b.test/')).toBe(true);
  });

  it.each([
    ['https://a.test/docs/', ['/docs', '/docs/', '/docs/a/b.html'], ['/', '/docsx', '/doc', '/other/docs/']],
    ['https://a.test/docs', ['/docs', '/docs/a'], ['/docs-old/', '/']],
    ['https://a.test/docs/a.html', ['/docs/b.html', '/docs/x/y'], ['/a.html', '/docsa']],
    ['https://a.test/', ['/', '/anything/at/all'], []],
  ])('keeps a path scope seeded at %s under its folder, on its host', (seed, inside, outside) => {
    const scope = new CrawlScopeFilter(seed, { scope: 'path', ...none });
    for (const path of inside) expect(scope.allows(`https://a.test${path}`), path).toBe(true);
    for (const path of outside) expect(scope.allows(`https://a.test${path}`), path).toBe(false);
    expect(scope.allows('https://b.test/docs/a')).toBe(false);
  });

  it('drops tracking parameters or the whole query as the crawl says', () => {
    const url = 'https://a.test/p?a=1&utm_source=x';
    expect(new CrawlScopeFilter('https://a.test/', { scope: 'host', ...none }).canonical(url)).toBe(
      'https://a.test/p?a=1',
    );
    const keep = { scope: 'host' as const, ...none, keepTrackingParameters: true };
    expect(new CrawlScopeFilter('https://a.test/', keep).canonical(url)).toBe(url);
    const ignore = { scope: 'host' as const, ...none, ignoreQueryParameters: true };
    expect(new CrawlScopeFilter('https://a.test/', ignore).canonical(url)).toBe('https://a.test/p');
  });

  it('applies include and exclude globs to the path', () => {
    const scope = new CrawlScopeFilter('https://a.test/', {
      scope: 'host',
      include: ['/docs/**'],
      exclude: ['**/*.pdf'],
    });
    expect(scope.allows('https://a.test/docs/intro')).toBe(true);
    expect(scope.allows('https://a.test/docs/guide.pdf')).toBe(false);
    expect(scope.allows('https://a.test/blog/post')).toBe(false);
  });
});

describe('robotsRules', () => {
  const body = 'User-agent: crawlfleet\nDisallow: /nobots\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /private\n';

  it('matches the user agent and reads Crawl-delay', () => {
    const rules = robotsRules('https://a.test', { status: 200, body }, 'crawlfleet/0.1.0');
    expect(rules.isAllowed('https://a.test/nobots/x')).toBe(false);
    expect(rules.isAllowed('https://a.test/private')).toBe(true);
    expect(rules.crawlDelayMs).toBe(2000);
    const other = robotsRules('https://a.test', { status: 200, body }, 'otherbot/1');
    expect(other.isAllowed('https://a.test/private')).toBe(false);
    expect(other.crawlDelayMs).toBeNull();
  });

  it('allows everything on 4xx and nothing on 5xx or no answer', () => {
    expect(robotsRules('https://a.test', { status: 404, body: '' }, 'x').isAllowed('https://a.test/any')).toBe(true);
    expect(robotsRules('https://a.test', { status: 503, body: '' }, 'x').isAllowed('https://a.test/any')).toBe(false);
    expect(robotsRules('https://a.test', { status: 0, body: '' }, 'x').isAllowed('https://a.test/any')).toBe(false);
  });

  it('says why nothing is allowed when robots.txt could not be read', () => {
    expect(robotsRules('https://a.test', { status: 200, body }, 'x').unavailable).toBeNull();
    expect(robotsRules('https://a.test', { status: 404, body: '' }, 'x').unavailable).toBeNull();
    expect(robotsRules('https://a.test', { status: 503, body: '' }, 'x').unavailable).toBe(
      'robots.txt of https://a.test answered HTTP 503',
    );
    const refused = {
      status: 0,
      body: '',
      error: 'CF_ERR_FETCH_REFUSED: Refused to fetch https://a.test/robots.txt: 10.0.0.1 is not a public address',
    };
    expect(robotsRules('https://a.test', refused, 'x').unavailable).toBe(
      `robots.txt of https://a.test could not be fetched: ${refused.error}`,
    );
    expect(robotsRules('https://a.test', { status: 0, body: '' }, 'x').unavailable).toBe(
      'robots.txt of https://a.test could not be fetched: no answer',
    );
  });
});
