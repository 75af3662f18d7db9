import { sqrt } from '../sqrt.js';
import type { SqrtInput } from '@crawlfleet/core/runtime';
import { defineKind, loadCore } from './kind.js';

/** The square root of a number: pure and instant, many at once on the event loop (they hide Redis round trips). */
export const sqrtKind = defineKind({
  name: 'sqrt',
  submitted: true,
  summary: 'the square root of a number',
  concurrency: () => 50,
  nodeArgs: [],
  schemas: async () => {
    const { SqrtInput, SqrtResult } = await loadCore();
    return { input: SqrtInput, result: SqrtResult };
  },
  run: { mode: 'inline', process: (data) => sqrt(data as SqrtInput) },
});
