/*
 * The article-extraction score of the scrapinghub article-extraction
 * benchmark: a page's extracted text and its annotated article text as
 * multisets of 4-word shingles (words: runs of letters and digits, lowercased),
 * precision = shared / extracted, recall = shared / expected, F1 per page,
 * then averaged over the pages (the benchmark's evaluate.py reports instead
 * the harmonic mean of the mean precision and the mean recall, a little
 * higher: content-run.ts prints both). Expected texts keep the annotation's
 * line breaks: words of two paragraphs run together would be a word of
 * neither.
 */

const SHINGLE = 4;

/** The words of `text`, lowercased (letters and digits of any script). */
export function words(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Shingles of `SHINGLE` words, counted; a text shorter than that is one shingle of what it has. */
export function shingles(text: string): Map<string, number> {
  const list = words(text);
  const counts = new Map<string, number>();
  const add = (shingle: string) => counts.set(shingle, (counts.get(shingle) ?? 0) + 1);
  if (list.length > 0 && list.length < SHINGLE) add(list.join(' '));
  for (let i = 0; i + SHINGLE <= list.length; i++) add(list.slice(i, i + SHINGLE).join(' '));
  return counts;
}

export interface PageScore {
  precision: number;
  recall: number;
  f1: number;
}

/** One page's scores: an empty expected text and an empty extraction agree (1); one empty side scores 0. */
export function scorePage(extracted: string, expected: string): PageScore {
  const got = shingles(extracted);
  const want = shingles(expected);
  const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, n) => sum + n, 0);
  const gotTotal = total(got);
  const wantTotal = total(want);
  if (gotTotal === 0 && wantTotal === 0) return { precision: 1, recall: 1, f1: 1 };
  if (gotTotal === 0 || wantTotal === 0) return { precision: 0, recall: 0, f1: 0 };
  let shared = 0;
  for (const [shingle, count] of got) shared += Math.min(count, want.get(shingle) ?? 0);
  const precision = shared / gotTotal;
  const recall = shared / wantTotal;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}

/** Means of page scores. */
export function meanScore(scores: PageScore[]): PageScore {
  const mean = (pick: (score: PageScore) => number) =>
    scores.length === 0 ? 0 : scores.reduce((sum, score) => sum + pick(score), 0) / scores.length;
  return { precision: mean((s) => s.precision), recall: mean((s) => s.recall), f1: mean((s) => s.f1) };
}
