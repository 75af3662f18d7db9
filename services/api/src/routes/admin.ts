import type { FastifyInstance } from 'fastify';
import dashboard from '../plugins/dashboard.js';

/**
 * The /admin context: the key may come by HTTP Basic auth (a browser's login
 * box), then the same guards as /v1, then operator rights, then Bull Board.
 */
export default async function admin(app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', app.apiKeys.acceptBasic);
  for (const guard of app.guards) app.addHook('onRequest', guard);
  app.addHook('onRequest', app.apiKeys.requireOperator);
  await app.register(dashboard);
}
