export { startWorker, type RunningWorker, type StartWorkerOptions } from './start-worker.js';
export { defaultConcurrency, workerNodeArgs } from './defaults.js';
export { toBullmqError } from './bullmq.js';
export { workerMetrics, serveMetrics } from './metrics.js';
export { ContentPool } from './crawl/content-pool.js';
