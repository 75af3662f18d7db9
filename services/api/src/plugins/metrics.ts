import { JOB_TYPES } from '@crawlfleet/tasks/kinds';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { fleetPoliteness } from '@crawlfleet/crawl';

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
 * BullMQ exports them (bullmq_job_count, including completed and failed; webhook deliveries too),
 * and the fleet's politeness: hosts leased, leases in use, hosts paused, circuits open.
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
    // The fleet's politeness toward hosts, read from Redis at each scrape.
    const gauges = {
      hosts: ['crawlfleet_hosts_active', 'Hosts the crawl queue leased in the last hour'],
      leases: ['crawlfleet_host_leases_in_use', 'Requests in flight to hosts, fleet-wide (held leases)'],
      paused: ['crawlfleet_hosts_paused', 'Hosts paused after a 429 or 503'],
      circuitsOpen: ['crawlfleet_host_circuits_open', 'Open circuits (a crawl and a host that kept failing)'],
    } as const;
    const politeness = Object.fromEntries(
      Object.entries(gauges).map(([key, [name, help]]) => [
        key,
        new Gauge({ name, help, labelNames: ['queue'], registers: [registry] }),
      ]),
    ) as Record<keyof typeof gauges, Gauge>;
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
        const now = await fleetPoliteness(queues.redis, app.config.queuePrefix, app.config.crawlQueueShards).catch(
          () => null,
        );
        if (now)
          for (const key of Object.keys(gauges) as (keyof typeof gauges)[])
            politeness[key].set({ queue: 'crawl' }, now[key]);
        // The page shards are queues of their own (queue="crawl-shard-<n>").
        const all = [...JOB_TYPES.map((type) => queues.queue(type)), queues.render, queues.webhooks, ...queues.shards];
        const texts = await Promise.allSettled(all.map((queue) => queue.exportPrometheusMetrics()));
        queueMetrics = mergeExpositions(texts.map((text) => (text.status === 'fulfilled' ? text.value : '')));
      }
      reply.type(registry.contentType);
      return `${await registry.metrics()}\n${queueMetrics}\n`;
    });
  },
  { name: 'metrics', dependencies: ['job-queues'] },
);
