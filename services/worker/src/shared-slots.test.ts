import type { Worker } from './bullmq.js';
import { describe, expect, it } from 'vitest';
import { SharedSlots } from './shared-slots.js';

/** Stands in for a BullMQ Worker: SharedSlots only sets its concurrency. */
const fakeWorker = () => ({ concurrency: 0 }) as unknown as Worker;

describe('SharedSlots', () => {
  it('runs at most the limit over all workers, and tells each how many more it may take', async () => {
    const slots = new SharedSlots(3);
    const [a, b] = [fakeWorker(), fakeWorker()];
    slots.attach(a);
    slots.attach(b);
    expect([a.concurrency, b.concurrency]).toEqual([3, 3]);
    let running = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const job = (worker: Worker) =>
      slots.run(worker, async () => {
        running++;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
      });
    const jobs = [job(a), job(a), job(b), job(b), job(a)];
    await new Promise((resolve) => setImmediate(resolve));
    expect(running).toBe(3);
    // Full: each worker may hold what it runs (at least one), so neither takes more from its queue.
    expect([a.concurrency, b.concurrency]).toEqual([2, 1]);
    while (releases.length > 0) {
      releases.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(jobs);
    expect(most).toBe(3);
    expect(slots.running).toBe(0);
    expect([a.concurrency, b.concurrency]).toEqual([3, 3]);
  });
});
