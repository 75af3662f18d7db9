import { describe, expect, it } from 'vitest';
import { sqrt } from './sqrt.js';
import { isRetryable } from './errors.js';

describe('sqrt', () => {
  it('returns the value and its square root', () => {
    expect(sqrt({ value: 16 })).toEqual({ value: 16, sqrt: 4 });
    expect(sqrt({ value: 0 })).toEqual({ value: 0, sqrt: 0 });
    expect(sqrt({ value: 2 }).sqrt).toBeCloseTo(1.41421356, 8);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY, 'x', null])('refuses %s without retries', (value) => {
    let error: unknown;
    try {
      sqrt({ value } as { value: number });
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ code: 'CF_ERR_INVALID_INPUT' });
    expect((error as Error).message).toMatch(/value must be a finite number >= 0/);
    expect(isRetryable(error)).toBe(false);
  });

  it('refuses an input that is not an object without retries', () => {
    expect(() => sqrt(null as unknown as { value: number })).toThrow(
      expect.objectContaining({ code: 'CF_ERR_INVALID_INPUT', message: expect.stringMatching(/got undefined/) }),
    );
  });
});
