// The latency reference: plain BullMQ `add` + `job.waitUntilFinished`, as the
// BullMQ docs show it, against the plain worker of plain-worker.ts.
import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { startNode, stopProcess, until } from './processes.js';
import { LATENCY_WARM_UP, percentile } from './stats.js';

/** p50/p99 of `count` sequential add + waitUntilFinished, in ms. */
export async function plainWaitLatency(redisUrl: string, count = 200): Promise<{ p50: number; p99: number }> {
  const prefix = `bench-${randomUUID()}`;
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  const queue = new Queue('sqrt', { connection, prefix });
  const events = new QueueEvents('sqrt', { connection: { url: redisUrl }, prefix });
  const worker = startNode('bench/dist/plain-worker.js', [redisUrl, prefix, '50'], {});
  try {
    await events.waitUntilReady();
    await until(async () => (await queue.getWorkersCount()) > 0);
    const once = async (value: number): Promise<unknown> =>
      (await queue.add('sqrt', { value })).waitUntilFinished(events, 5000);
    for (let i = 0; i < LATENCY_WARM_UP; i++) await once(i);
    const samples: number[] = [];
    for (let i = 0; i < count; i++) {
      const started = performance.now();
      await once(i);
      samples.push(performance.now() - started);
    }
    return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
  } finally {
    await stopProcess(worker);
    await events.close();
    await queue.close();
    connection.disconnect();
  }
}
