import { queueKeyPrefix } from '@crawlfleet/core';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig } from '@crawlfleet/testkit';

/* A fibonacci worker in this process: its jobs run in threads that start with it. */

// fib(10,000,000) takes most of a second (fib(1e6) as little as 60 ms): long enough that a small job added after it surely ends first.
const BIG = 10_000_000;
const config = testConfig(inject('redisUrl'), { FIBONACCI_MAX_N: String(BIG) });
let connection: Redis;
let queue: Queue;
let worker: RunningWorker;

beforeAll(async () => {
  connection = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
  queue = new Queue('fibonacci', { connection, prefix: queueKeyPrefix(config.queuePrefix, 'fibonacci') });
  worker = await startWorker({ config, queue: 'fibonacci', logger: silentLogger, concurrency: 2 });
});
afterAll(async () => {
  await worker.close(5000);
  await queue.close();
  connection.disconnect();
});

async function finished(id: string) {
  await eventually(
    async () => ['completed', 'failed'].includes(await queue.getJobState(id)),
    20_000,
    `job ${id} finished`,
  );
  return (await queue.getJob(id))!;
}

describe('fibonacci worker', () => {
  it('runs a small job beside fib(10,000,000) from its first jobs on, without waiting for a thread', async () => {
    const big = await queue.add('fibonacci', { n: BIG }, { attempts: 1 });
    await eventually(async () => (await big.getState()) === 'active', 5000, 'fib(1e7) active');
    const small = await queue.add('fibonacci', { n: 10 }, { attempts: 1 });
    const [smallDone, bigDone] = [await finished(small.id!), await finished(big.id!)];
    expect(smallDone.returnvalue).toEqual({ n: 10, value: '55', digits: 2 });
    // F(n) has floor(n log10(phi) - log10(5) / 2) + 1 digits.
    expect(bigDone.returnvalue.digits).toBe(
      Math.floor(BIG * Math.log10((1 + Math.sqrt(5)) / 2) - Math.log10(5) / 2) + 1,
    );
    expect(smallDone.finishedOn!).toBeLessThan(bigDone.finishedOn!);
    // A thread started on demand would hold the small job for a good part of the big one.
    expect(smallDone.finishedOn! - smallDone.processedOn!).toBeLessThan(
      (bigDone.finishedOn! - bigDone.processedOn!) / 2,
    );
  });

  it('fails a job over its FIBONACCI_MAX_N at once, without retries, saying why', async () => {
    const own = testConfig(config.redisUrl, { FIBONACCI_MAX_N: '100' });
    const limited = await startWorker({ config: own, queue: 'fibonacci', logger: silentLogger });
    const ownQueue = new Queue('fibonacci', { connection, prefix: queueKeyPrefix(own.queuePrefix, 'fibonacci') });
    try {
      const job = await ownQueue.add('fibonacci', { n: 500 }, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
      await eventually(async () => (await job.getState()) === 'failed', 10_000, 'job failed');
      const failed = (await ownQueue.getJob(job.id!))!;
      expect(failed.attemptsMade).toBe(1);
      expect(failed.failedReason).toMatch(/^CF_ERR_INVALID_INPUT: .*n must be an integer from 0 to 100 \(got 500\)/);
      const fine = await ownQueue.add('fibonacci', { n: 100 }, { attempts: 1 });
      await eventually(async () => (await fine.getState()) === 'completed', 10_000, 'n = 100 completed');
    } finally {
      await limited.close(5000);
      await ownQueue.close();
    }
  });
});
