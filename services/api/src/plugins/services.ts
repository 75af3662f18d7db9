import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { CrawlEnds } from '../crawls/crawl-ends.js';
import { CrawlService } from '../crawls/crawl-service.js';
import { JobStore } from '../jobs/job-store.js';

/** Decorates the app with its job store (`app.jobs`) and crawl service (`app.crawls`). */
export default fp(
  async function services(app: FastifyInstance) {
    app.decorate('jobs', new JobStore(app.jobQueues, app.apiKeys.enabled));
    const ends = new CrawlEnds(app.config, app.log);
    app.addHook('onClose', () => ends.close());
    app.decorate('crawls', new CrawlService(app.jobQueues, app.apiKeys.enabled, ends));
  },
  { name: 'services', dependencies: ['job-queues', 'callers'] },
);
