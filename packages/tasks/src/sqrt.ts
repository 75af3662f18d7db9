import type { SqrtInput, SqrtResult } from '@crawlfleet/core';
import { InvalidInputError } from './errors.js';

/** The square root of a finite number >= 0. */
export function sqrt(input: SqrtInput): SqrtResult {
  // The worker trusts the API's validation, but a job added to the queue by
  // other means may hold anything, null included: refuse it for good.
  const value: unknown = (input as Partial<SqrtInput> | null)?.value;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new InvalidInputError(`value must be a finite number >= 0 (got ${String(value)})`);
  }
  return { value, sqrt: Math.sqrt(value) };
}
