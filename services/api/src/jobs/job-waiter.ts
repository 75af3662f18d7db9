import type { QueueEvents } from 'bullmq';
import type { JobHash } from './job-view.js';

/** How a wait ended: the job's last event, or the time ran out. */
export type WaitOutcome = 'completed' | 'failed' | 'timeout';

/** How a wait ended, and for `completed`, the job's hash if it was read on the way. */
export interface WaitResult {
  outcome: WaitOutcome;
  /**
   * The job's hash, read over the events connection right behind the stream
   * read that delivered the event (see {@link JobWaiter}); null when the read
   * failed. It may predate the completion: check it before use.
   */
  snapshot?: Promise<JobHash | null>;
}

/** Reads a job's hash over the queue events' own connection. */
export type EventsConnectionRead = (jobId: string) => Promise<JobHash>;

/** Finished job ids remembered for waits registered just after the event. */
const RECENT_LIMIT = 20_000;

/**
 * Early reads are made only while this few jobs are waited for: each read
 * taken too early costs a wasted HGETALL, and under many concurrent waits the
 * stream read that follows a job's `active` is mostly other jobs' events.
 */
const EARLY_READ_MAX_WAITS = 4;

/**
 * Waits for jobs to finish through one listener per queue, instead of one
 * listener and a state read per waiting request (BullMQ's waitUntilFinished).
 * Events that arrive before a wait is registered (the job finished before the
 * add's reply was read) are found in a bounded memory of recent ids.
 *
 * The job's hash is read early: when a waited job turns `active` or reports
 * progress, an HGETALL is queued on the events connection, where Redis runs it
 * only once the next blocking XREAD returns. With few waits that XREAD is the
 * one the job's `completed` ends, so the finished job arrives in the same
 * reply as its event and the usual read afterwards (a round trip, ~0.3 ms
 * here) is saved. The read is sent before the reply of that XREAD is handled,
 * so it is never left waiting behind a later one; a read that ran too early
 * shows an unfinished job, and the job store then reads it again.
 */
export class JobWaiter {
  private readonly waiting = new Map<string, Set<(result: WaitResult) => void>>();
  private readonly recent = new Map<string, WaitOutcome>();
  private readonly earlyReads = new Map<string, Promise<JobHash | null>>();

  constructor(
    events: QueueEvents,
    private readonly read: EventsConnectionRead,
  ) {
    events.on('completed', ({ jobId }) => this.settle(jobId, 'completed'));
    events.on('failed', ({ jobId }) => this.settle(jobId, 'failed'));
    // A progress event ends the XREAD an earlier read waited behind: read again.
    events.on('active', ({ jobId }) => this.readEarly(jobId));
    events.on('progress', ({ jobId }) => this.readEarly(jobId));
  }

  private readEarly(jobId: string): void {
    if (!this.waiting.has(jobId) || this.waiting.size > EARLY_READ_MAX_WAITS) return;
    // After this tick, QueueEvents has sent its next XREAD: the read queues behind it.
    setImmediate(() => {
      if (this.waiting.has(jobId)) this.earlyReads.set(jobId, this.read(jobId).catch(() => null));
    });
  }

  private settle(jobId: string, outcome: WaitOutcome): void {
    this.recent.set(jobId, outcome);
    if (this.recent.size > RECENT_LIMIT) this.recent.delete(this.recent.keys().next().value!);
    const snapshot = this.earlyReads.get(jobId);
    this.earlyReads.delete(jobId);
    const callbacks = this.waiting.get(jobId);
    if (!callbacks) return;
    this.waiting.delete(jobId);
    const result = outcome === 'completed' && snapshot ? { outcome, snapshot } : { outcome };
    for (const callback of callbacks) callback(result);
  }

  /** Forgets a finished job, so a retried job's next wait is not answered by its old event. */
  forget(jobId: string): void {
    this.recent.delete(jobId);
  }

  /** Resolves with the job's next finishing event, or `timeout` after `ms`. */
  wait(jobId: string, ms: number): Promise<WaitResult> {
    const known = this.recent.get(jobId);
    if (known) return Promise.resolve({ outcome: known });
    return new Promise((resolve) => {
      const callbacks = this.waiting.get(jobId) ?? new Set();
      this.waiting.set(jobId, callbacks);
      const done = (result: WaitResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      const timer = setTimeout(() => {
        callbacks.delete(done);
        if (callbacks.size === 0) {
          this.waiting.delete(jobId);
          this.earlyReads.delete(jobId);
        }
        resolve({ outcome: 'timeout' });
      }, ms);
      callbacks.add(done);
    });
  }
}
