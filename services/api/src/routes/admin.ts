import type { FastifyInstance } from 'fastify';
import dashboard from '../plugins/dashboard.js';

/** The /admin context: the same guards as /v1, then Bull Board. */
export default async function admin(app: FastifyInstance): Promise<void> {
  for (const guard of app.guards) app.addHook('onRequest', guard);
  await app.register(dashboard);
}
