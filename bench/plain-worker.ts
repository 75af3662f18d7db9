// The reference: a plain BullMQ worker, as a user would write one, in its own process.
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';

const [redisUrl, prefix, concurrency] = process.argv.slice(2);
const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
const worker = new Worker(
  'sqrt',
  async (job: Job<{ value: number }>) => ({ value: job.data.value, sqrt: Math.sqrt(job.data.value) }),
  { connection, prefix: prefix, concurrency: Number(concurrency), removeOnComplete: { age: 3600 } },
);
await worker.waitUntilReady();
process.on(
  'SIGTERM',
  () =>
    void (async () => {
      await worker.close();
      connection.disconnect();
      process.exit(0);
    })(),
);
