import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Crawls, type CrawlDeps } from '@crawlfleet/crawl';
import { withRedis } from '@crawlfleet/core';
import { JobStore } from '../jobs/job-store.js';

/** Decorates the app with its job store (`app.jobs`) and crawl service (`app.crawls`). */
export default fp(
  async function services(app: FastifyInstance) {
    app.decorate('jobs', new JobStore(app.jobQueues, app.apiKeys.enabled));
    const queues = app.jobQueues;
    const deps: CrawlDeps = {
      redis: queues.redis,
      config: queues.config,
      // Read when used: the queues open once the plugin that holds them is ready.
      get pages() {
        return queues.pages;
      },
      get webhooks() {
        return queues.webhooks;
      },
      replicated: (...keys) => queues.replicated(...keys),
      guard: withRedis,
      logger: app.log,
    };
    const crawls = new Crawls(deps, app.apiKeys.enabled);
    app.addHook('onClose', () => crawls.close());
    app.decorate('crawls', crawls);
  },
  { name: 'services', dependencies: ['job-queues', 'callers'] },
);
