import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CrawlService } from '../crawls/crawl-service.js';
import { JobStore } from '../jobs/job-store.js';

/** Decorates the app with its job store (`app.jobs`) and crawl service (`app.crawls`). */
export default fp(
  async function services(app: FastifyInstance) {
    app.decorate('jobs', new JobStore(app.jobQueues, app.apiKeys.enabled));
    app.decorate('crawls', new CrawlService(app.jobQueues, app.apiKeys.enabled));
  },
  { name: 'services', dependencies: ['job-queues', 'callers'] },
);
