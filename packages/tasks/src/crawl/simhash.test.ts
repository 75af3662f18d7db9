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

  it('keeps its values: words of every script, astral letters, lone surrogates (stored hashes stay comparable)', () => {
    // Values of the first definition (words matched by /[\p{L}\p{N}]+/gu, each hashed as a string).
    const pinned: [string, string][] = [
      ['Ceci n’est pas une pipe — façade, naïve, Œuvre; São Paulo 2026', '7fc2077521092d95'],
      ['Москва: ПРАВИТЕЛЬСТВО заявило, что цены выросли на 3,5%', '7666506669643730'],
      ['東京都は、新しい計画を発表した。市民の声を聞く', 'bd802e007176b955'],
      ['قال المتحدث، إن ٣ مشاريع جديدة ستبدأ', '3151434ed146b25c'],
      ['emoji 😀 between words, 𝐀𝐁𝐂 bold math letters and 𠀀𠀁 ext-B ideographs', '50c8531393306080'],
      ['lone \ud800 high and \udc00 low surrogates, e\u0301 combining, İstanbul', 'e18203906568448e'],
    ];
    for (const [text, hash] of pinned) expect(simhash(text)).toBe(hash);
  });

  it('is linear: a million words in well under a second', () => {
    const words = 'alpha beta gamma delta epsilon '.repeat(200_000);
    const started = performance.now();
    simhash(words);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
