const root = '/work/main';
const { startRedis } = await import(`${root}/bench/dist/test/helpers/redis-server.js`);
const { Queue, Worker } = await import('bullmq');
const { Redis } = await import('ioredis');
const redis = await startRedis();
const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
const prefix = 'crawlfleet';
const queue = new Queue('sqrt', { connection, prefix });
const before = Number(/used_memory:(\d+)/.exec(await connection.info('memory'))[1]);
const keep = { age: 86400 };
const N = 2000;
await queue.upsertJobScheduler(
  's',
  { every: 1000 },
  {
    name: 'sqrt',
    data: { value: 2 },
    opts: { attempts: 3, backoff: { type: 'exponential', delay: 1000 }, removeOnComplete: keep, removeOnFail: keep },
  },
);
// Jobs as the schedule makes them, finished by a worker as ours does.
await queue.addBulk(
  Array.from({ length: N }, (_, i) => ({
    name: 'sqrt',
    data: { value: 2 },
    opts: {
      jobId: `repeat:s:${i}`,
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: keep,
      removeOnFail: keep,
    },
  })),
);
const worker = new Worker('sqrt', async (job) => ({ value: job.data.value, sqrt: Math.sqrt(job.data.value) }), {
  connection: new Redis(redis.url, { maxRetriesPerRequest: null }),
  prefix,
  concurrency: 50,
  removeOnComplete: keep,
  removeOnFail: keep,
  metrics: { maxDataPoints: 10080 },
});
while ((await queue.getCompletedCount()) < N) await new Promise((r) => setTimeout(r, 100));
await worker.close();
const after = Number(/used_memory:(\d+)/.exec(await connection.info('memory'))[1]);
const one = await connection.memory('USAGE', `${prefix}:sqrt:repeat:s:5`);
console.log(
  'per job (used_memory delta / N):',
  Math.round((after - before) / N),
  'bytes; MEMORY USAGE of one job hash:',
  one,
);
await queue.close();
connection.disconnect();
await redis.destroy();
