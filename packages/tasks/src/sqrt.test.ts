import { describe, expect, it } from 'vitest';
import { sqrt } from './sqrt.js';
import { isRetryable } from './errors.js';

describe('sqrt', () => {
  it('returns the value and its square root', () => {
    expect(sqrt({ value: 16 })).toEqual({ value: 16, sqrt: 4 });
    expect(sqrt({ value: 0 })).toEqual({ value: 0, sqrt: 0 });
    expect(sqrt({ value: 2 }).sqrt).toBeCloseTo(1.41421356, 8);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])('refuses %s without retries', (value) => {
    let error: unknown;
    try {
      sqrt({ value });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CF_ERR_INVALID_INPUT' });
    expect((error as Error).message).toMatch(/value must be a finite number >= 0/);
    expect(isRetryable(error)).toBe(false);
  });
});
