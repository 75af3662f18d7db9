import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ErrorReply } from '../schemas/job.js';
import { finishSpec } from './openapi-finish.js';

/**
 * OpenAPI generated from the TypeBox schemas the routes validate with,
 * served at /docs/json and as a UI at /docs. Registered before the routes so
 * it sees them all.
 */
export default fp(
  async function docs(app: FastifyInstance) {
    const { version } = app.config;
    await app.register(swagger, {
      hideUntagged: true,
      // operationIds, the errors every route can answer, shared schemas (openapi-finish.ts).
      transformObject: (documents) =>
        finishSpec(
          'openapiObject' in documents ? (documents.openapiObject as Record<string, unknown>) : {},
          JSON.parse(JSON.stringify(ErrorReply)) as Record<string, unknown>,
        ),
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'crawlfleet',
          version,
          description: 'Jobs (sqrt, fibonacci, crawl) and recursive crawls over HTTP, run by BullMQ workers.',
        },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
        tags: [
          { name: 'jobs', description: 'Submit, read, wait for and remove jobs' },
          { name: 'crawls', description: 'Recursive crawls' },
          { name: 'queues', description: 'Queue counts, pause and resume' },
          { name: 'schedules', description: 'Periodic jobs' },
          { name: 'events', description: 'Live server-sent events' },
          { name: 'health', description: 'Liveness and readiness' },
        ],
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs' });
  },
  { name: 'docs' },
);
