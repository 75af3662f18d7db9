import { HTTP_URL_FORMAT, type Config } from '@crawlfleet/core';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Crawls } from '@crawlfleet/crawl';
import type { JobStore } from './jobs/job-store.js';
import type { ApiKeys } from './plugins/api-keys.js';
import callers from './plugins/callers.js';
import type { ClientSlots } from './plugins/client-slots.js';
import docs from './plugins/docs.js';
import { errorHandler, MAX_PARAM_LENGTH, notFound, routerError } from './plugins/error-handler.js';
import jobQueues, { type JobQueues } from './plugins/job-queues.js';
import metrics from './plugins/metrics.js';
import type { OpenStreams } from './plugins/open-streams.js';
import guards, { type Guard } from './plugins/guards.js';
import services from './plugins/services.js';
import validation from './plugins/validation.js';
import admin from './routes/admin.js';
import healthRoutes from './routes/health.js';
import v1 from './routes/v1.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    jobQueues: JobQueues;
    apiKeys: ApiKeys;
    streams: OpenStreams;
    waits: ClientSlots;
    guards: Guard[];
    jobs: JobStore;
    crawls: Crawls;
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
 * As fastify/demo composes an app: plugins that decorate it (each a
 * fastify-plugin naming its dependencies), then contexts of routes. Who may
 * call what is decided by context: `/v1` and `/admin` are encapsulated
 * contexts whose onRequest hooks (the guards) run for every route in them,
 * whatever spelling of the path the router took; the 404 handler runs them
 * too. /healthz, /readyz, /docs and /metrics sit at the root, open.
 */
export async function buildApp(config: Config, options: FastifyServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => void routerError(err, request, reply),
    // The reply serializer only tells union members apart; it need not check URLs, but must know the format.
    serializerOpts: { ajv: { formats: { [HTTP_URL_FORMAT]: true } } },
    // Request logs at debug, one line each (at info they were most of what npm start printed).
    logController: new LogController({ disableRequestLogging: true }),
    ...options,
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.debug(
      { method: request.method, url: request.url.slice(0, 200), status: reply.statusCode, ms: reply.elapsedTime },
      'request',
    );
  });
  app.decorate('config', config);
  // In this order: each fastify-plugin checks that those it depends on came before.
  for (const plugin of [validation, errorHandler, jobQueues, callers, guards, services, docs, metrics, healthRoutes]) {
    await app.register(plugin);
  }
  await app.register(v1, { prefix: '/v1' });
  await app.register(admin, { prefix: '/admin' });
  await app.register(notFound);
  await app.ready();
  return app;
}
