import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { globMatcher, globProblem } from './glob.js';
import { robotsRules } from './robots.js';
import { compileWildcard } from './wildcard-match.js';

/* Globs and robots.txt rules: the expected meaning, and linear time on the inputs that backtrack. */

describe('globMatcher', () => {
  it.each([
    ['/docs/**', '/docs', true],
    ['/docs/**', '/docs/a/b.html', true],
    ['/docs/**', '/docsx', false],
    ['**/*.pdf', '/a/b/c.pdf', true],
    ['**/*.pdf', '/c.pdf', true],
    ['**/*.pdf', '/c.pdf.html', false],
    ['/search?*', '/search?q=1', true],
    ['/a/*.html', '/a/b/c.html', false],
    ['/a/{b,c}/*', '/a/c/x', true],
    ['/a/{b,c}/*', '/a/d/x', false],
    ['/[abc]*', '/b-page', true],
    ['/[!abc]*', '/b-page', false],
    ['/a.b', '/aXb', false],
    ['/a\\*', '/a*', true],
    ['/a\\*', '/ab', false],
  ])('%s on %s is %s', (glob, path, expected) => {
    expect(globMatcher([glob])(path)).toBe(expected);
  });

  it('names what is wrong with a glob it cannot compile', () => {
    expect(globProblem('/a/[bc')).toBe('The glob "/a/[bc" has a [ without its ]');
    expect(globProblem('/a/{b,c')).toBe('The glob "/a/{b,c" has a { without its }');
    expect(globProblem('/{{{{{{a}}}}}}')).toMatch(/nests \{ \} more than 5 deep/);
    expect(globProblem('/docs/**')).toBeNull();
  });

  it('matches a backtracking glob on an 8 KiB path in linear time', () => {
    const match = globMatcher(['**/*a*a*a*a*a*a*a*a*b']);
    for (const length of [32, 8192]) {
      const started = performance.now();
      expect(match(`/${'a'.repeat(length)}`)).toBe(false);
      expect(performance.now() - started).toBeLessThan(1000); // backtracking: years
    }
  });
});

/** A reference matcher: the pattern as a backtracking RegExp (fine on the small inputs fast-check makes). */
function reference(pattern: string, path: string): boolean {
  const anchored = pattern.endsWith('$');
  const body = (anchored ? pattern.slice(0, -1) : pattern)
    .split('*')
    .map((piece) => piece.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}${anchored ? '$' : ''}`, 's').test(path);
}

describe('compileWildcard (robots.txt patterns)', () => {
  it('agrees with a regular-expression reference on generated patterns and paths', () => {
    const text = (chars: string[], max: number) =>
      fc.array(fc.constantFrom(...chars), { maxLength: max }).map((list) => list.join(''));
    fc.assert(
      fc.property(text(['/', 'a', 'b', '*'], 8), fc.boolean(), text(['/', 'a', 'b'], 12), (pattern, anchored, path) => {
        const full = `/${pattern}${anchored ? '$' : ''}`;
        expect(compileWildcard(full).matches(`/${path}`)).toBe(reference(full, `/${path}`));
      }),
      { numRuns: 3000 },
    );
  });

  it('matches 2,000 long wildcard rules against 8 KiB paths in linear time', () => {
    const rule = `/${'*a'.repeat(1000)}*b`;
    const body = `User-agent: *\n${Array.from({ length: 5000 }, () => `Disallow: ${rule}`).join('\n')}\n`;
    const rules = robotsRules('https://a.test', { status: 200, body }, 'crawlfleet/1');
    const started = performance.now();
    for (let i = 0; i < 20; i++) expect(rules.isAllowed(`https://a.test/${'a'.repeat(8192)}${i}`)).toBe(true);
    // 20 links x 2,000 kept rules (of 5,000) x 8 KiB, each rule one pass over the path.
    expect(performance.now() - started).toBeLessThan(3000);
  });
});

describe('robotsRules (RFC 9309)', () => {
  const body = [
    'User-agent: CrawlFleet',
    'Disallow: /private',
    'Allow: /private/open',
    'Disallow: /*.json$',
    'Crawl-delay: 1.5',
    '',
    'User-agent: *',
    'Disallow: /',
    'Sitemap: https://a.test/sitemap.xml',
  ].join('\n');
  const rules = robotsRules('https://a.test', { status: 200, body }, 'crawlfleet/0.1.0');

  it.each([
    ['https://a.test/private/x', false],
    ['https://a.test/private/open/x', true],
    ['https://a.test/data.json', false],
    ['https://a.test/data.json?x', true],
    ['https://a.test/public', true],
    ['https://a.test/robots.txt', true],
  ])('%s allowed: %s', (url, allowed) => {
    expect(rules.isAllowed(url)).toBe(allowed);
  });

  it('reads Crawl-delay and Sitemap lines, and keeps other agents to the * group', () => {
    expect(rules.crawlDelayMs).toBe(1500);
    expect(rules.sitemaps).toEqual(['https://a.test/sitemap.xml']);
    expect(robotsRules('https://a.test', { status: 200, body }, 'otherbot').isAllowed('https://a.test/public')).toBe(
      false,
    );
  });

  it('lets an allow win a tie and compares percent-escapes as URLs serialize them', () => {
    const tie = robotsRules(
      'https://a.test',
      { status: 200, body: 'User-agent: *\nDisallow: /page\nAllow: /page\nDisallow: /caf%c3%a9\n' },
      'x',
    );
    expect(tie.isAllowed('https://a.test/page')).toBe(true);
    expect(tie.isAllowed('https://a.test/café')).toBe(false);
  });

  it('keeps at most maxRules rules and drops rules over 2,048 characters', () => {
    const rules = Array.from({ length: 10 }, (_, i) => `Disallow: /r${i}`).join('\n');
    const many = `User-agent: *\n${rules}\nDisallow: /${'x'.repeat(3000)}\n`;
    const capped = robotsRules('https://a.test', { status: 200, body: many }, 'x', 5);
    expect(capped.isAllowed('https://a.test/r4')).toBe(false);
    expect(capped.isAllowed('https://a.test/r5')).toBe(true);
    expect(
      robotsRules('https://a.test', { status: 200, body: many }, 'x').isAllowed(`https://a.test/${'x'.repeat(3000)}`),
    ).toBe(true);
  });
});
