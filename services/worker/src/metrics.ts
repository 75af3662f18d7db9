import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Worker } from './bullmq.js';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * A worker's own Prometheus metrics: job durations by queue and outcome,
 * finished jobs, and the process's own metrics (event loop lag included,
 * which shows whether CPU work blocks the loop).
 */
export function workerMetrics(workers: Worker[]): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'crawlfleet_worker_' });
  const duration = new Histogram({
    name: 'crawlfleet_job_duration_seconds',
    help: 'Time from a job being taken to its end, by queue and outcome',
    labelNames: ['queue', 'outcome'],
    buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const finished = new Counter({
    name: 'crawlfleet_jobs_finished_total',
    help: 'Jobs this worker finished, by queue and outcome',
    labelNames: ['queue', 'outcome'],
    registers: [registry],
  });
  type Finished = { processedOn?: number | undefined; finishedOn?: number | undefined };
  const observe = (queue: string, outcome: string, job?: Finished) => {
    finished.inc({ queue, outcome });
    if (job?.processedOn)
      duration.observe({ queue, outcome }, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
  };
  // By queue: a crawl worker's page shards each have theirs.
  for (const worker of workers) {
    worker.on('completed', (job) => observe(worker.name, 'completed', job));
    worker.on('failed', (job) => observe(worker.name, 'failed', job));
  }
  return registry;
}

/** Serves `GET /metrics` from the registry on `host`:`port` (WORKER_METRICS_HOST, loopback unless set). */
export async function serveMetrics(registry: Registry, port: number, host: string): Promise<Server> {
  const server = createServer((req, res) => void respond(req, res));
  async function respond(req: IncomingMessage, res: ServerResponse) {
    if (req.url !== '/metrics') {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', registry.contentType);
    return res.end(await registry.metrics());
  }
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  return server;
}
