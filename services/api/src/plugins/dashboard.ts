import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { createRedis, type Config } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import { isLoopback } from './keyless-guard.js';

/**
 * Whether Bull Board may change queues (pause, retry, remove, clean):
 * `DASHBOARD_READ_ONLY`, else read-only when nothing guards it, that is
 * without API_KEYS on an address other hosts can reach.
 */
export function dashboardReadOnly(
  config: Pick<Config, 'dashboardReadOnly' | 'apiKeys' | 'adminKeys' | 'host'>,
): boolean {
  return config.dashboardReadOnly ?? (!config.apiKeys?.length && !config.adminKeys?.length && !isLoopback(config.host));
}

/**
 * Bull Board at /admin/queues (registered in the /admin context, behind its
 * key check and operator rights), showing every queue, webhook included. Read-only mode is enforced by Bull
 * Board's own handlers (405 on every action). Its queues have their own
 * connection, which waits for Redis instead of failing fast, so the
 * dashboard comes back by itself.
 */
export default async function dashboard(admin: FastifyInstance): Promise<void> {
  const { config } = admin;
  const connection = createRedis(config, 'blocking', (err) =>
    admin.log.warn({ err: err.message }, 'dashboard: Redis unreachable'),
  );
  const queues = admin.jobQueues.queuesOn(connection);
  const readOnlyMode = dashboardReadOnly(config);
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({
    queues: queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'crawlfleet' } },
  });
  await admin.register(serverAdapter.registerPlugin(), { prefix: '/queues' });
  admin.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()));
    connection.disconnect();
  });
}
