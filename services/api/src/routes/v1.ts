import type { FastifyInstance } from 'fastify';
import crawlRoutes from './crawls.js';
import eventRoutes from './events.js';
import jobRoutes from './jobs.js';
import queueRoutes from './queues.js';
import { requireRedis } from './require-redis.js';
import crawlScheduleRoutes from './crawl-schedules.js';
import scheduleRoutes from './schedules.js';
import usageRoutes from './usage.js';
import webhookJobRoutes from './webhook-jobs.js';

/**
 * The /v1 context: what every route under it needs, once (the guards: rate
 * limit, key check; then Redis up, and memory to spare on submit routes),
 * and its route modules. Registered with the `/v1` prefix, so its hooks see
 * every spelling of a path the router takes.
 */
export default async function v1(app: FastifyInstance): Promise<void> {
  for (const guard of app.guards) app.addHook('onRequest', guard);
  app.addHook('preHandler', requireRedis);
  for (const routes of [
    jobRoutes,
    crawlRoutes,
    eventRoutes,
    queueRoutes,
    crawlScheduleRoutes,
    scheduleRoutes,
    usageRoutes,
    webhookJobRoutes,
  ])
    await app.register(routes);
}
