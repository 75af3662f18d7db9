export { buildApp, BODY_LIMIT } from './app.js';
export { JobQueues } from './plugins/job-queues.js';
export { toJobView } from './jobs/job-view.js';
export type { JobWaiter } from './jobs/job-waiter.js';
