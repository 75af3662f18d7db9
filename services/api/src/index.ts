export { buildApp, BODY_LIMIT } from './app.js';
export { JobQueues } from './plugins/job-queues.js';
