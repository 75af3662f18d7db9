import type { Worker } from './bullmq.js';

/**
 * One WORKER_CONCURRENCY for a process that serves several queues (the crawl
 * queue and its page shards), as a Celery worker's pool serves all its queues:
 * at most `limit` jobs run at once over all of them. Each BullMQ Worker is
 * told how many more it may take (its concurrency: what it runs plus the free
 * slots), so a busy process stops taking jobs from every queue and leaves
 * them to other workers; the few taken in the same instant wait here for a slot.
 */
export class SharedSlots {
  private active = 0;
  private readonly byWorker = new Map<Worker, number>();
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {}

  /** Adds a worker whose jobs count against the limit. */
  attach(worker: Worker): void {
    this.byWorker.set(worker, 0);
    this.tune();
  }

  /** Runs `work` for a job of `worker` once a slot is free. */
  async run<T>(worker: Worker, work: () => Promise<T>): Promise<T> {
    // A slot given back while jobs wait passes to the first of them, never counted free in between.
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    this.byWorker.set(worker, (this.byWorker.get(worker) ?? 0) + 1);
    this.tune();
    try {
      return await work();
    } finally {
      this.byWorker.set(worker, (this.byWorker.get(worker) ?? 1) - 1);
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
      this.tune();
    }
  }

  /** Jobs running now, over all the queues. */
  get running(): number {
    return this.active;
  }

  private tune(): void {
    const free = Math.max(0, this.limit - this.active - this.waiting.length);
    for (const [worker, running] of this.byWorker) worker.concurrency = Math.max(1, running + free);
  }
}
