import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { withRedis } from '@crawlfleet/core';
import { countSchedules } from '../schedules/schedule-quota.js';
import { ErrorReply } from '../schemas/job.js';

const Use = Type.Object(
  { used: Type.Integer(), limit: Type.Integer({ description: '0 = unlimited' }) },
  { title: 'QuotaUse' },
);

/** GET /v1/usage: the caller's tenant's use of each quota, and its limits. */
export default async function usageRoutes(app: FastifyInstance): Promise<void> {
  app.get<{ Querystring: { tenant?: string } }>(
    '/usage',
    {
      schema: {
        tags: ['tenants'],
        summary: "Your tenant's use of its quotas and their limits (operators: ?tenant= any tenant's)",
        querystring: Type.Object(
          { tenant: Type.Optional(Type.String({ maxLength: 32 })) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            tenant: Type.String(),
            quotasApply: Type.Boolean({ description: 'false without API keys: no quota applies' }),
            runningCrawls: Use,
            queuedJobs: Use,
            schedules: Use,
            pagesToday: Use,
          }),
          401: ErrorReply,
          503: ErrorReply,
        },
      },
    },
    async (request) => {
      const scope = app.apiKeys.scope(request);
      const tenant = scope.operator && request.query.tenant ? request.query.tenant : scope.tenant;
      const schedules = await countSchedules(app.jobQueues, tenant);
      return withRedis(() => app.crawls.usage.view(tenant, schedules, app.apiKeys.enabled));
    },
  );
}
