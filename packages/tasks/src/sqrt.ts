import type { SqrtInput, SqrtResult } from '@crawlfleet/core';
import { InvalidInputError } from './errors.js';

/** The square root of a finite number >= 0. */
export function sqrt(input: SqrtInput): SqrtResult {
  const { value } = input;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(`value must be a finite number >= 0 (got ${String(value)})`);
  }
  return { value, sqrt: Math.sqrt(value) };
}
