export { buildApp, BODY_LIMIT } from './app.js';
export { JobQueues, REPLICA_WAIT_MS } from './plugins/job-queues.js';
export { toJobView } from '@crawlfleet/core';
export type { JobWaiter } from './jobs/job-waiter.js';
