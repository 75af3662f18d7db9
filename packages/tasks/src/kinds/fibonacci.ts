import { availableParallelism } from 'node:os';
import type { FibonacciInput } from '@crawlfleet/core/runtime';
import { fibonacci } from '../fibonacci.js';
import { defineKind, loadCore } from './kind.js';

/**
 * The exact n-th Fibonacci number: CPU work, one thread per core, so a large
 * n never blocks the worker's event loop. Its main thread only hands jobs to
 * the threads, so a small young generation costs it nothing (bench/README.md).
 */
export const fibonacciKind = defineKind({
  name: 'fibonacci',
  submitted: true,
  summary: 'the exact n-th Fibonacci number (n up to FIBONACCI_MAX_N)',
  concurrency: () => Math.max(1, availableParallelism()),
  nodeArgs: ['--max-semi-space-size=4'],
  schemas: async (config) => {
    const { fibonacciInput, FibonacciResult } = await loadCore();
    return { input: fibonacciInput(config.fibonacciMaxN), result: FibonacciResult };
  },
  module: import.meta.url,
  run: { mode: 'thread', process: (data, config) => fibonacci(data as FibonacciInput, config.fibonacciMaxN) },
});
