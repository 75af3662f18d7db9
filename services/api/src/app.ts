import type { Config } from '@crawlfleet/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { JobStore } from './jobs/job-store.js';
import { installAuth } from './plugins/auth.js';
import { installDashboard } from './plugins/dashboard.js';
import { installDocs } from './plugins/docs.js';
import { installErrorHandler, MAX_PARAM_LENGTH, routerError } from './plugins/error-handler.js';
import { installMetrics } from './plugins/metrics.js';
import { installRateLimit } from './plugins/rate-limit.js';
import { JobQueues } from './plugins/job-queues.js';
import { installValidation } from './plugins/validation.js';
import { CrawlService } from './crawls/crawl-service.js';
import { registerCrawlRoutes } from './routes/crawls.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerQueueRoutes } from './routes/queues.js';
import { registerScheduleRoutes } from './routes/schedules.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    jobQueues: JobQueues;
  }
  // Documentation fields, read by the OpenAPI generator.
  interface FastifySchema {
    tags?: readonly string[];
    summary?: string;
    hide?: boolean;
  }
}

/** Largest request body accepted; larger ones get 413. */
export const BODY_LIMIT = 1024 * 1024;

/**
 * The whole API as one Fastify instance, not listening yet. Closing it closes
 * its Redis connections.
 */
export async function buildApp(config: Config, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, frameworkErrors: routerError, ...options });
  installValidation(app);
  installErrorHandler(app);
  app.decorate('config', config);
  app.decorate('jobQueues', new JobQueues(config, app.log));
  app.addHook('onClose', async () => app.jobQueues.close());
  installAuth(app, config.apiKeys);
  await installRateLimit(app, config, app.jobQueues.redis);
  await installDocs(app, config.version);
  installMetrics(app, app.jobQueues);
  await installDashboard(app, config);
  registerHealthRoutes(app);
  const jobs = new JobStore(app.jobQueues);
  registerJobRoutes(app, jobs);
  const crawls = new CrawlService(app.jobQueues, jobs);
  registerCrawlRoutes(app, crawls);
  registerEventRoutes(app, app.jobQueues, jobs, crawls);
  registerQueueRoutes(app);
  registerScheduleRoutes(app, app.jobQueues, jobs);
  await app.ready();
  return app;
}
