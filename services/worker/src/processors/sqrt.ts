import type { SqrtInput } from '@crawlfleet/core';
import { sqrt } from '@crawlfleet/tasks/sqrt';
import type { Job } from 'bullmq';
import { toBullmqError } from '../to-bullmq-error.js';

/** The sqrt queue's processor: pure and instant, in the worker's own event loop. */
export function sqrtProcessor() {
  return async (job: Job) => {
    try {
      return sqrt(job.data as SqrtInput);
    } catch (err) {
      throw toBullmqError(err);
    }
  };
}
