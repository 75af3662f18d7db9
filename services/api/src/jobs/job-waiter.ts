import type { QueueEvents } from '../plugins/job-queues.js';

/** How a wait ended: the job's last event, or the time ran out. */
export type WaitOutcome = 'completed' | 'failed' | 'timeout';

/** Finished job ids remembered for waits registered just after the event. */
const RECENT_LIMIT = 20_000;

/**
 * Waits for jobs to finish through one listener per queue on BullMQ's public
 * QueueEvents, instead of one listener and a state read per waiting request
 * (BullMQ's waitUntilFinished). Events that arrive before a wait is
 * registered (the job finished before the add's reply was read) are found in
 * a bounded memory of recent ids.
 */
export class JobWaiter {
  private readonly waiting = new Map<string, Set<(outcome: WaitOutcome) => void>>();
  private readonly recent = new Map<string, WaitOutcome>();

  constructor(events: QueueEvents) {
    events.on('completed', ({ jobId }) => this.settle(jobId, 'completed'));
    events.on('failed', ({ jobId }) => this.settle(jobId, 'failed'));
  }

  private settle(jobId: string, outcome: WaitOutcome): void {
    this.recent.set(jobId, outcome);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
    const callbacks = this.waiting.get(jobId);
    if (!callbacks) return;
    this.waiting.delete(jobId);
    for (const callback of callbacks) callback(outcome);
  }

  /** Forgets a finished job, so a retried job's next wait is not answered by its old event. */
  forget(jobId: string): void {
    this.recent.delete(jobId);
  }

  /** Resolves with the job's next finishing event, or `timeout` after `ms`. */
  wait(jobId: string, ms: number): Promise<WaitOutcome> {
    const known = this.recent.get(jobId);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const callbacks = this.waiting.get(jobId) ?? new Set();
      this.waiting.set(jobId, callbacks);
      const done = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      const timer = setTimeout(() => {
        callbacks.delete(done);
        if (callbacks.size === 0) this.waiting.delete(jobId);
        resolve('timeout');
      }, ms);
      callbacks.add(done);
    });
  }
}
