import type { Config } from '@crawlfleet/core';
import Fastify, { type FastifyInstance, type FastifyServerOptions, type onRequestAsyncHookHandler } from 'fastify';
import { JobStore } from './jobs/job-store.js';
import { TooManyWaitsError } from './errors.js';
import { ApiKeys } from './plugins/api-keys.js';
import { ClientSlots } from './plugins/client-slots.js';
import { OpenStreams } from './plugins/open-streams.js';
import { installDashboard } from './plugins/dashboard.js';
import { installDocs } from './plugins/docs.js';
import { installErrorHandler, installNotFound, MAX_PARAM_LENGTH, routerError } from './plugins/error-handler.js';
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
import { requireRedis } from './routes/require-redis.js';
import { registerScheduleRoutes } from './routes/schedules.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    jobQueues: JobQueues;
    apiKeys: ApiKeys;
    streams: OpenStreams;
    waits: ClientSlots;
  }
  interface FastifyContextConfig {
    /** The route adds data to Redis: refused while Redis is short of memory. */
    submits?: boolean;
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
 *
 * Who may call what is decided by context: `/v1` and `/admin` are
 * encapsulated contexts whose onRequest hooks (rate limit, then key check)
 * run for every route in them, whatever spelling of the path the router
 * took; the 404 handler runs the same hooks. /healthz, /readyz, /docs and
 * /metrics sit at the root, open.
 */
export async function buildApp(config: Config, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({ bodyLimit: BODY_LIMIT, routerOptions: { maxParamLength: MAX_PARAM_LENGTH }, frameworkErrors: routerError, ...options });
  installValidation(app);
  installErrorHandler(app);
  app.decorate('config', config);
  app.decorate('jobQueues', new JobQueues(config, app.log));
  app.decorate('apiKeys', new ApiKeys(config.apiKeys));
  app.decorate('streams', new OpenStreams(config.maxStreamsPerClient));
  app.decorate('waits', new ClientSlots(config.maxWaitsPerClient, TooManyWaitsError));
  // Before the server stops taking connections: an open stream would keep close() waiting for ever.
  app.addHook('preClose', async () => app.streams.closeAll());
  app.addHook('onClose', async () => app.jobQueues.close());
  const limit = await installRateLimit(app, config, app.jobQueues.redis, app.apiKeys);
  const guards: onRequestAsyncHookHandler[] = [...(limit ? [limit] : []), ...(app.apiKeys.enabled ? [app.apiKeys.require] : [])];
  await installDocs(app, config.version);
  installMetrics(app, app.jobQueues);
  registerHealthRoutes(app);
  await app.register(async (v1) => {
    for (const guard of guards) v1.addHook('onRequest', guard);
    v1.addHook('preHandler', requireRedis);
    const jobs = new JobStore(v1.jobQueues);
    const crawls = new CrawlService(v1.jobQueues);
    registerJobRoutes(v1, jobs);
    registerCrawlRoutes(v1, crawls);
    registerEventRoutes(v1, v1.jobQueues, jobs, crawls);
    registerQueueRoutes(v1);
    registerScheduleRoutes(v1, v1.jobQueues, jobs);
  }, { prefix: '/v1' });
  await app.register(async (admin) => {
    for (const guard of guards) admin.addHook('onRequest', guard);
    await installDashboard(admin, config);
  }, { prefix: '/admin' });
  installNotFound(app, guards);
  await app.ready();
  return app;
}
