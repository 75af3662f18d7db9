/*
 * A 64-bit simhash (Charikar) of a text: each 3-word shingle of its words
 * hashed to 64 bits (two 32-bit FNV-1a hashes, mixed), bits voted up or down
 * by every shingle. Texts that share most of their shingles get fingerprints
 * a few bits apart (Hamming distance), unlike a sha256 that changes whole on
 * one word. Linear in the text: one pass over the words, 64 counters.
 */

/** A letter or digit of any script (one code point). */
const WORD_CHARACTER = /^[\p{L}\p{N}]$/u;
/** Of each UTF-16 code unit below U+10000: 0 not yet asked, 1 a word's, 2 not (filled as met). */
const BMP_WORD = new Uint8Array(0x10000);
for (let code = 0; code < 128; code++) {
  const ascii = (code >= 48 && code <= 57) || (code >= 97 && code <= 122) || (code >= 65 && code <= 90);
  BMP_WORD[code] = ascii ? 1 : 2;
}

/** Whether the code point `point` is a letter or a digit. */
function wordPoint(point: number): boolean {
  if (point < 0x10000) {
    let known = BMP_WORD[point];
    if (known === 0) BMP_WORD[point] = known = WORD_CHARACTER.test(String.fromCharCode(point)) ? 1 : 2;
    return known === 1;
  }
  return WORD_CHARACTER.test(String.fromCodePoint(point));
}

/**
 * The words of `text` as compared (lower case, runs of letters and digits of any script, split at everything
 * else), each hashed by FNV-1a (32 bits, over its UTF-16 code units) from two bases, in one pass with no word made a
 * string.
 */
function hashedWords(text: string): { low: number[]; high: number[] } {
  const lower = text.toLowerCase();
  const low: number[] = [];
  const high: number[] = [];
  let inWord = false;
  let a = 0;
  let b = 0;
  for (let i = 0; i < lower.length; i++) {
    const unit = lower.charCodeAt(i);
    // A surrogate pair is one code point: a letter of another plane is a word's (both its units hashed).
    const pair = unit >= 0xd800 && unit <= 0xdbff && i + 1 < lower.length ? lower.charCodeAt(i + 1) : 0;
    const isPair = pair >= 0xdc00 && pair <= 0xdfff;
    const point = isPair ? (unit - 0xd800) * 0x400 + (pair - 0xdc00) + 0x10000 : unit;
    if (wordPoint(point)) {
      if (!inWord) {
        inWord = true;
        a = 0x811c9dc5;
        b = 0x050c5d1f;
      }
      a = Math.imul(a ^ unit, 0x01000193);
      b = Math.imul(b ^ unit, 0x01000193);
      if (isPair) {
        a = Math.imul(a ^ pair, 0x01000193);
        b = Math.imul(b ^ pair, 0x01000193);
      }
    } else if (inWord) {
      inWord = false;
      low.push(a);
      high.push(b);
    }
    if (isPair) i++;
  }
  if (inWord) {
    low.push(a);
    high.push(b);
  }
  return { low, high };
}

/** murmur3's finishing mix: nearby inputs spread over all 32 bits. */
function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const rotl = (x: number, by: number) => (x << by) | (x >>> (32 - by));

/** The 64-bit simhash of `text` as 16 hex digits, or undefined for a text of no words. */
export function simhash(text: string): string | undefined {
  // Each word hashed once (two halves); a shingle's hash combines its words', in order.
  const { low, high } = hashedWords(text);
  const words = low;
  if (words.length === 0) return undefined;
  // How many shingles set each bit (walking set bits only); a bit is set in the result when most do.
  const counts = new Int32Array(64);
  const size = Math.min(3, words.length);
  const vote = (half: number, offset: number) => {
    for (let x = half; x !== 0;) {
      const lowest = x & -x;
      counts[offset + 31 - Math.clz32(lowest)]++;
      x ^= lowest;
    }
  };
  for (let at = 0; at + size <= words.length; at++) {
    let a = 0;
    let b = 0;
    for (let k = 0; k < size; k++) {
      a ^= rotl(low[at + k], 11 * k);
      b ^= rotl(high[at + k], 7 * k);
    }
    vote(mix(a), 0);
    vote(mix(b), 32);
  }
  const shingles = words.length - size + 1;
  let lowBits = 0;
  let highBits = 0;
  for (let bit = 0; bit < 32; bit++) {
    if (2 * counts[bit] > shingles) lowBits |= 1 << bit;
    if (2 * counts[bit + 32] > shingles) highBits |= 1 << bit;
  }
  return (highBits >>> 0).toString(16).padStart(8, '0') + (lowBits >>> 0).toString(16).padStart(8, '0');
}

/** Bits that differ between two simhashes (0: the same, up to 64). */
export function hammingDistance(a: string, b: string): number {
  let distance = 0;
  for (let i = 0; i < 16; i += 8) {
    let x = (Number.parseInt(a.slice(i, i + 8), 16) ^ Number.parseInt(b.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      distance++;
    }
  }
  return distance;
}
