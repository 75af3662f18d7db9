import { queueKeyPrefix } from '@crawlfleet/core';
import { Worker, type Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, silentLogger, testConfig } from '@crawlfleet/testkit';
import { JobQueues, toJobView, type JobWaiter } from '@crawlfleet/api';

/*
 * The API's waiter, wired as the API wires it, against the run's real
 * redis-server and a real BullMQ worker.
 */

let queues: JobQueues;
let queue: Queue;
let worker: Worker;
let waiter: JobWaiter;

beforeAll(async () => {
  const config = testConfig(inject('redisUrl'));
  queues = new JobQueues(config, silentLogger);
  await eventually(() => queues.ready, 10_000, 'Redis connection');
  queue = queues.queue('sqrt');
  waiter = queues.waiter('sqrt');
  worker = new Worker(
    'sqrt',
    async (job) => {
      // Long enough that `active` and `completed` reach the API in separate reads.
      await new Promise((resolve) => setTimeout(resolve, 50));
      await job.updateProgress(job.data.progress ?? 0);
      if (job.attemptsMade === 0 && job.data.failFirst) throw new Error('first attempt fails');
      return { value: job.data.value, sqrt: Math.sqrt(job.data.value) };
    },
    { connection: { url: config.redisUrl }, prefix: queueKeyPrefix(config.queuePrefix, 'sqrt'), concurrency: 5 },
  );
  await Promise.all([queues.queueEvents('sqrt').waitUntilReady(), worker.waitUntilReady()]);
});
afterAll(async () => {
  await worker.close();
  await queues.close();
});

describe('JobWaiter', () => {
  it('ends with the completed event, and the job then reads finished through Job.fromId', async () => {
    const job = await queue.add('sqrt', { value: 16, progress: 40 });
    expect(await waiter.wait(job.id!, 5000)).toBe('completed');
    const stored = await queues.getJob('sqrt', job.id!);
    expect(toJobView('sqrt', stored!, 'completed')).toMatchObject({
      result: { value: 16, sqrt: 4 },
      progress: 40,
      attempts: 1,
      input: { value: 16, progress: 40 },
    });
  });

  it('waits through a retried attempt to the completion: attempts and the earlier error', async () => {
    const job = await queue.add(
      'sqrt',
      { value: 9, failFirst: true },
      { attempts: 2, backoff: { type: 'fixed', delay: 10 } },
    );
    // A retried attempt sends no `failed`: the wait ends with the completion.
    expect(await waiter.wait(job.id!, 5000)).toBe('completed');
    const stored = await queues.getJob('sqrt', job.id!);
    expect(toJobView('sqrt', stored!, 'completed')).toMatchObject({ attempts: 2, error: 'first attempt fails' });
  });

  it('answers a wait registered after the event from its memory of recent ids', async () => {
    const job = await queue.add('sqrt', { value: 4 });
    await eventually(async () => (await job.getState()) === 'completed', 5000, 'the job done');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await waiter.wait(job.id!, 5000)).toBe('completed');
  });

  it('times out without an outcome', async () => {
    expect(await waiter.wait('no-such-job', 50)).toBe('timeout');
  });
});
