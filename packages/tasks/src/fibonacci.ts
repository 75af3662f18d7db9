import type { FibonacciInput, FibonacciResult } from '@crawlfleet/core';
import { InvalidInputError } from './errors.js';

/**
 * F(n) and F(n+1) by fast doubling: O(log n) BigInt multiplications.
 * F(2k) = F(k) * (2F(k+1) - F(k)), F(2k+1) = F(k)^2 + F(k+1)^2.
 */
function fibPair(n: number): [bigint, bigint] {
  let a = 0n;
  let b = 1n;
  for (let bit = 31 - Math.clz32(n); n > 0 && bit >= 0; bit--) {
    const c = a * (2n * b - a);
    const d = a * a + b * b;
    if ((n >>> bit) & 1) {
      a = d;
      b = c + d;
    } else {
      a = c;
      b = d;
    }
  }
  return [a, b];
}

/**
 * The n-th Fibonacci number, exact, as a decimal string with its digit count.
 * @param maxN the largest n accepted (`FIBONACCI_MAX_N`)
 */
export function fibonacci(input: FibonacciInput, maxN: number): FibonacciResult {
  // As in sqrt: a job added by other means may hold anything, null included.
  const n: unknown = (input as Partial<FibonacciInput> | null)?.n;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0 || n > maxN) {
    throw new InvalidInputError(`n must be an integer from 0 to ${maxN} (got ${String(n)})`);
  }
  const value = fibPair(n)[0].toString();
  return { n, value, digits: value.length };
}
