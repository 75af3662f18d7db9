import type { TestProject } from 'vitest/node';
import { startRedis } from '@crawlfleet/testkit';

/*
 * One redis-server for the whole run, on a free port; each test file keeps to
 * its own queue prefix. Tests that stop Redis start their own.
 */
export default async function setup(project: TestProject) {
  const redis = await startRedis();
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.destroy();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}
