#!/usr/bin/env node
import { WORKER_KINDS, isWorkerKind } from '@crawlfleet/tasks/kinds';
import { parseArgs } from 'node:util';
import { ConfigError, describeRedis, loadConfig, type Config } from '@crawlfleet/core/runtime';
import { logDestination, loggerOptions } from '@crawlfleet/core/log-format';
import { pino } from 'pino';
import { serveMetrics } from './metrics.js';
import { startWorker } from './start-worker.js';

const USAGE = `Usage: crawlfleet-worker --queue ${WORKER_KINDS.join('|')} [--concurrency N] [--shards 0,1|0-3]
  (or WORKER_QUEUE, WORKER_CONCURRENCY, WORKER_SHARDS in the environment)`;

function readConfig(): Config {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        queue: { type: 'string' },
        concurrency: { type: 'string' },
        shards: { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  try {
    const config = loadConfig(
      {
        workerQueue: { flag: '--queue', value: values.queue },
        workerConcurrency: { flag: '--concurrency', value: values.concurrency },
        workerShards: { flag: '--shards', value: values.shards },
      },
      process.env,
      'worker',
    );
    if (!config.workerQueue)
      throw new ConfigError(`WORKER_QUEUE or --queue is required (one of ${WORKER_KINDS.join(', ')})`);
    if (!isWorkerKind(config.workerQueue))
      throw new ConfigError(
        `${values.queue ? '--queue' : 'WORKER_QUEUE'} must be one of ${WORKER_KINDS.join(', ')} (got ${JSON.stringify(config.workerQueue)})`,
      );
    const beyond = config.workerShards?.find((shard) => shard >= config.crawlQueueShards);
    if (beyond !== undefined)
      throw new ConfigError(
        `${values.shards ? '--shards' : 'WORKER_SHARDS'} names shard ${beyond}; CRAWL_QUEUE_SHARDS is ${config.crawlQueueShards} (0 to ${config.crawlQueueShards - 1})`,
      );
    return config;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

const config = readConfig();
const queue = config.workerQueue!;
const logger = pino(loggerOptions(config, { service: 'worker' }), logDestination(config));
logger.info({ redis: describeRedis(config), prefix: config.queuePrefix }, 'starting worker');
const running = await startWorker({ config, queue, logger, warmUp: true }).catch((err: Error) => {
  // Chromium's sandbox cannot start and is required: one line saying how to fix it, exit 2 (not retried).
  if (err.name === 'SandboxUnavailableError') {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  throw err;
});
const metricsServer =
  config.workerMetricsPort === undefined
    ? null
    : await serveMetrics(running.metrics, config.workerMetricsPort, config.workerMetricsHost);
if (metricsServer)
  logger.info({ host: config.workerMetricsHost, port: config.workerMetricsPort }, 'metrics on /metrics');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal, timeoutMs: config.workerShutdownTimeoutMs }, 'stopping: finishing active jobs');
  metricsServer?.close();
  const finished = await running.close(config.workerShutdownTimeoutMs);
  logger.info({ finished }, 'worker stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
