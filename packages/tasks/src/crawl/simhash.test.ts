import { describe, expect, it } from 'vitest';
import { hammingDistance, simhash } from './simhash.js';

const article = Array.from(
  { length: 60 },
  (_, i) => `Sentence ${i} tells how the council voted to reopen the river ferry after forty years of campaigning.`,
).join(' ');

describe('simhash', () => {
  it('is 16 hex digits, the same for the same words however spaced or cased', () => {
    const hash = simhash(article)!;
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(simhash(article.toUpperCase().replace(/ /g, '\n  '))).toBe(hash);
    expect(simhash('')).toBeUndefined();
  });

  it('puts near-duplicates a few bits apart and other texts far apart', () => {
    const edited = `${article} One more sentence about the ferry's timetable.`.replace('Sentence 7', 'Line 7');
    const other = Array.from(
      { length: 60 },
      (_, i) => `Item ${i}: a recipe for bread needs flour, water and salt.`,
    ).join(' ');
    expect(hammingDistance(simhash(article)!, simhash(edited)!)).toBeLessThanOrEqual(6);
    expect(hammingDistance(simhash(article)!, simhash(other)!)).toBeGreaterThan(15);
  });

  it('is linear: a million words in well under a second', () => {
    const words = 'alpha beta gamma delta epsilon '.repeat(200_000);
    const started = performance.now();
    simhash(words);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
