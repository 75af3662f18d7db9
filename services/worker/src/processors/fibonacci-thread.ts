// Runs in the fibonacci worker's threads (see fibonacci.ts): imports only the
// task and the failure description, so a thread starts in milliseconds.
import type { FibonacciInput, FibonacciResult } from '@crawlfleet/core';
import { fibonacci } from '@crawlfleet/tasks/fibonacci';
import { describeFailure, type TaskFailure } from '../task-failure.js';

/** One job for a thread: its input and the largest n accepted (`FIBONACCI_MAX_N`). */
export interface FibonacciTask {
  input: FibonacciInput;
  maxN: number;
}

/**
 * A thread's answer. A failure comes back as data: an Error crossing the
 * thread boundary would lose its code, which decides whether BullMQ retries.
 */
export type FibonacciOutcome = { result: FibonacciResult } | { failure: TaskFailure };

export default function computeFibonacci({ input, maxN }: FibonacciTask): FibonacciOutcome {
  try {
    return { result: fibonacci(input, maxN) };
  } catch (err) {
    return { failure: describeFailure(err) };
  }
}
