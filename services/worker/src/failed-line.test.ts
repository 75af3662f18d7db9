import type { Job } from './bullmq.js';
import { describe, expect, it } from 'vitest';
import { failedLine } from './start-worker.js';

/* A failed attempt says what happens next, as Celery's "Retry in Ns" does. */

const job = (made: number, attempts: number, finishedOn?: number) =>
  ({ attemptsMade: made, finishedOn, opts: { attempts, backoff: { type: 'exponential', delay: 1000 } } }) as Job;

describe('failedLine', () => {
  it('says when it will retry, with the exponential backoff, and which attempt this was', () => {
    expect(failedLine(job(1, 3))).toBe('job failed: will retry in 1000 ms (attempt 1 of 3)');
    expect(failedLine(job(2, 3))).toBe('job failed: will retry in 2000 ms (attempt 2 of 3)');
  });

  it('says it gave up on the last attempt, or when the error ended it early', () => {
    expect(failedLine(job(3, 3, Date.now()))).toBe('job failed: gave up (attempt 3 of 3)');
    expect(failedLine(job(1, 3, Date.now()))).toBe('job failed: gave up (attempt 1 of 3)');
  });
});
