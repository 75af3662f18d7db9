import { type WorkerKind } from '@crawlfleet/tasks/kinds';
import { buildApp } from '@crawlfleet/api';
import { silentLogger, testApi, testConfig } from '@crawlfleet/testkit';
import { startWorker, type RunningWorker } from '@crawlfleet/worker';
import type { FastifyInstance } from 'fastify';
import { inject } from 'vitest';

/** The API and workers of `queues`, in this process, on the test run's Redis, with `env` as their environment. */
export async function inProcessFleet(
  env: Record<string, string>,
  queues: readonly WorkerKind[] = ['crawl'],
): Promise<{ app: FastifyInstance; workers: RunningWorker[]; close(): Promise<void> }> {
  const app = await testApi(buildApp, inject('redisUrl'), env);
  const config = { ...testConfig(inject('redisUrl'), env), queuePrefix: app.config.queuePrefix };
  const workers = await Promise.all(queues.map((queue) => startWorker({ config, queue, logger: silentLogger })));
  return {
    app,
    workers,
    close: async () => {
      await Promise.all(workers.map((worker) => worker.close(3000)));
      await app.close();
    },
  };
}
