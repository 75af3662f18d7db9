/*
 * A 64-bit simhash (Charikar) of a text: each 3-word shingle of its words
 * hashed to 64 bits (two 32-bit FNV-1a hashes, mixed), bits voted up or down
 * by every shingle. Texts that share most of their shingles get fingerprints
 * a few bits apart (Hamming distance), unlike a sha256 that changes whole on
 * one word. Linear in the text: one pass over the words, 64 counters.
 */

/** Words as compared: lower case, letters and digits (any script), split at everything else. */
function wordsOf(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
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

/** FNV-1a (32 bits) of `text` from `basis`. */
function fnv(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h;
}

const rotl = (x: number, by: number) => (x << by) | (x >>> (32 - by));

/** The 64-bit simhash of `text` as 16 hex digits, or undefined for a text of no words. */
export function simhash(text: string): string | undefined {
  const words = wordsOf(text);
  if (words.length === 0) return undefined;
  // Each word hashed once (two halves); a shingle's hash combines its words', in order.
  const low = new Int32Array(words.length);
  const high = new Int32Array(words.length);
  words.forEach((word, index) => {
    low[index] = fnv(word, 0x811c9dc5);
    high[index] = fnv(word, 0x050c5d1f);
  });
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
