import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import { JOB_TYPES, createRedis, type Config } from '@crawlfleet/core';
import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';

/**
 * Bull Board at /admin/queues, showing the three queues (behind the same API
 * keys as /v1). Its queues have their own connection, which waits for Redis
 * instead of failing fast, so the dashboard comes back by itself.
 */
export async function installDashboard(app: FastifyInstance, config: Config): Promise<void> {
  const connection = createRedis(config.redisUrl, 'blocking', (err) => app.log.warn({ err: err.message }, 'dashboard: Redis unreachable'));
  const queues = JOB_TYPES.map((type) => new Queue(type, { connection, prefix: config.queuePrefix }));
  const serverAdapter = new FastifyAdapter();
  serverAdapter.setBasePath('/admin/queues');
  createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter, options: { uiConfig: { boardTitle: 'crawlfleet' } } });
  await app.register(serverAdapter.registerPlugin(), { prefix: '/admin/queues' });
  app.addHook('onClose', async () => {
    await Promise.allSettled(queues.map((queue) => queue.close()));
    connection.disconnect();
  });
}
