import { describe, expect, it } from 'vitest';
import { fibonacci } from './fibonacci.js';

/** Plain iteration, as a reference for the fast-doubling version. */
function slowFib(n: number): bigint {
  let [a, b] = [0n, 1n];
  for (let i = 0; i < n; i++) [a, b] = [b, a + b];
  return a;
}

describe('fibonacci', () => {
  it('matches the definition for 0..300', () => {
    for (let n = 0; n <= 300; n++) {
      const result = fibonacci({ n }, 1000);
      expect(result.value).toBe(slowFib(n).toString());
      expect(result.digits).toBe(result.value.length);
      expect(result.n).toBe(n);
    }
  });

  it('computes fib(1,000,000) exactly', () => {
    const result = fibonacci({ n: 1_000_000 }, 1_000_000);
    expect(result.digits).toBe(208_988);
    expect(result.value.slice(0, 20)).toBe('19532821287077577316');
    // The last ten digits, checked by 2x2 matrix powers modulo 10^10.
    expect(result.value.slice(-10)).toBe('8242546875');
  });

  it.each([-1, 1.5, 1001, Number.NaN, '10', null])('refuses n = %s', (n) => {
    expect(() => fibonacci({ n } as { n: number }, 1000)).toThrow(/n must be an integer from 0 to 1000/);
  });

  it('refuses an input that is not an object, as invalid (never retried)', () => {
    expect(() => fibonacci(null as unknown as { n: number }, 1000)).toThrow(
      expect.objectContaining({ code: 'CF_ERR_INVALID_INPUT' }),
    );
  });
});
