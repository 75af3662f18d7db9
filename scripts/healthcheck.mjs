#!/usr/bin/env node
// The image's HEALTHCHECK: the API when WORKER_QUEUE is unset (GET /healthz),
// else a worker, which is healthy while its Redis answers PING.
import { createRedis, loadConfig } from '@crawlfleet/core';

const config = loadConfig({}, process.env, process.env.WORKER_QUEUE ? 'worker' : 'api');
const timer = setTimeout(() => process.exit(1), 4000);
try {
  if (config.workerQueue) {
    const redis = createRedis(config, 'fail-fast');
    await new Promise((resolve, reject) => {
      redis.once('ready', resolve);
      redis.once('error', reject);
    });
    await redis.ping();
    redis.disconnect();
  } else {
    const reply = await fetch(`http://127.0.0.1:${config.port}/healthz`);
    if (!reply.ok) process.exit(1);
  }
  clearTimeout(timer);
  process.exit(0);
} catch {
  process.exit(1);
}
