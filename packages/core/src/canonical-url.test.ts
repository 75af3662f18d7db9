import { describe, expect, it } from 'vitest';
import { canonicalUrl, isTrackingParameter } from './canonical-url.js';

describe('canonicalUrl', () => {
  it.each([
    ['http://a.test/p?b=2&a=1', 'http://a.test/p?a=1&b=2'],
    ['http://a.test/p?a=2&a-b=1&a=1', 'http://a.test/p?a=1&a=2&a-b=1'],
    ['http://a.test/p?', 'http://a.test/p'],
    ['http://a.test/p?&&', 'http://a.test/p'],
    ['http://a.test/p?x=1&&y', 'http://a.test/p?x=1&y'],
    ['http://a.test/p?utm_source=news&id=7&fbclid=abc&GCLID=z', 'http://a.test/p?id=7'],
    ['http://a.test/p?utm_medium=x', 'http://a.test/p'],
    ['http://a.test/p', 'http://a.test/p'],
    // Parameters keep their own encoding: only their order changes.
    ['http://a.test/p?q=a%20b&a=%2F', 'http://a.test/p?a=%2F&q=a%20b'],
  ])('%s → %s', (url, canonical) => {
    expect(canonicalUrl(url)).toBe(canonical);
  });

  it('keeps tracking parameters, or drops the whole query, when a crawl says so', () => {
    const url = 'http://a.test/p?utm_source=x&b=1';
    expect(canonicalUrl(url, { keepTrackingParameters: true })).toBe('http://a.test/p?b=1&utm_source=x');
    expect(canonicalUrl(url, { ignoreQueryParameters: true })).toBe('http://a.test/p');
  });

  it('names tracking parameters by prefix or name, case-insensitively', () => {
    expect(['utm_campaign', 'UTM_X', 'fbclid', 'gclid', 'msclkid'].every(isTrackingParameter)).toBe(true);
    expect(['utm', 'id', 'page', 'gclidx'].some(isTrackingParameter)).toBe(false);
  });

  it('stays fast for a URL of thousands of parameters (the sort is the only non-linear part)', () => {
    const url = `http://a.test/p?${Array.from({ length: 4000 }, (_, i) => `k${4000 - i}=v`).join('&')}`;
    const started = performance.now();
    const canonical = canonicalUrl(url);
    expect(performance.now() - started).toBeLessThan(200);
    expect(canonical.startsWith('http://a.test/p?k1=v&k10=v&k100=v')).toBe(true);
  });
});
