import { JOB_TYPES } from '@crawlfleet/core';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Joins BullMQ's per-queue exports so each metric family has one HELP and TYPE. */
export function mergeExpositions(texts: string[]): string {
  const families = new Map<string, { meta: string[]; samples: string[] }>();
  for (const line of texts.join('\n').split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+)/.exec(line);
    const name = meta ? meta[2] : /^([^{\s]+)/.exec(line)?.[1];
    if (!name) continue;
    const family = families.get(name) ?? { meta: [], samples: [] };
    families.set(name, family);
    if (meta && !family.meta.some((known) => known.startsWith(`# ${meta[1]} `))) family.meta.push(line);
    else if (!meta) family.samples.push(line);
  }
  return [...families.values()].map((family) => [...family.meta, ...family.samples].join('\n')).join('\n');
}

/**
 * /metrics in Prometheus text format: HTTP request durations by route and
 * status, the process's own metrics, and per-queue job counts by state as
 * BullMQ exports them (bullmq_job_count, including completed and failed).
 */
export default fp(
  async function metrics(app: FastifyInstance) {
    const queues = app.jobQueues;
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'crawlfleet_api_' });
    const duration = new Histogram({
      name: 'crawlfleet_http_request_duration_seconds',
      help: 'HTTP request durations by method, route and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    });
    app.addHook('onResponse', async (request, reply) => {
      const route = request.routeOptions.url ?? 'unmatched';
      duration.observe(
        { method: request.method, route, status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
    });
    app.get('/metrics', { schema: { tags: ['health'], summary: 'Prometheus metrics' } }, async (_request, reply) => {
      let queueMetrics = '';
      if (queues.ready) {
        const texts = await Promise.allSettled(JOB_TYPES.map((type) => queues.queue(type).exportPrometheusMetrics()));
        queueMetrics = mergeExpositions(texts.map((text) => (text.status === 'fulfilled' ? text.value : '')));
      }
      reply.type(registry.contentType);
      return `${await registry.metrics()}\n${queueMetrics}\n`;
    });
  },
  { name: 'metrics', dependencies: ['job-queues'] },
);
