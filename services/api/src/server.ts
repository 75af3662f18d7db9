#!/usr/bin/env node
import { describeRedis, loadConfig, type Config } from '@crawlfleet/core';
import { logDestination, loggerOptions } from '@crawlfleet/core/log-format';
import { buildApp } from './app.js';
import { isLoopback } from './plugins/keyless-guard.js';

function readConfig(): Config {
  try {
    const config = loadConfig({}, process.env, 'api');
    const keys = Boolean(config.apiKeys?.length || config.adminKeys?.length);
    // Without keys anyone who reaches the API acts as the operator: only on loopback, unless said on purpose.
    if (!keys && !isLoopback(config.host) && !config.apiAllowAnonymous)
      throw new Error(
        `Invalid configuration: HOST=${config.host} is reachable from other machines and API_KEYS is unset: ` +
          'set API_KEYS (and ADMIN_KEYS), or API_ALLOW_ANONYMOUS=true to serve without keys',
      );
    return config;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

const config = readConfig();
const app = await buildApp(config, {
  logger: { ...loggerOptions(config, { service: 'api' }), stream: logDestination(config) },
  // Let in-flight requests finish on close, then drop idle keep-alive sockets.
  forceCloseConnections: 'idle',
});

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info({ signal, timeoutMs: config.apiShutdownTimeoutMs }, 'stopping: finishing in-flight requests');
  // Open event streams are ended by the app's preClose hook; anything else that holds on is cut here.
  setTimeout(() => {
    app.log.warn({ timeoutMs: config.apiShutdownTimeoutMs }, 'requests still open; exiting anyway');
    process.exit(1);
  }, config.apiShutdownTimeoutMs).unref();
  await app.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

if (app.apiKeys.legacyOperators > 0)
  app.log.warn(
    { keys: app.apiKeys.legacyOperators },
    "ADMIN_KEYS is unset, so bare API_KEYS entries keep operator rights (pause, dashboard, every tenant's objects); " +
      'they lose them once ADMIN_KEYS is set',
  );
try {
  await app.listen({ host: config.host, port: config.port });
  app.log.info({ redis: describeRedis(config), prefix: config.queuePrefix }, 'API listening');
} catch (err) {
  // A taken port is the user's to change: one line, no stack, and no restart (npm start stops everything).
  if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(`port ${config.port} on ${config.host} is in use: set PORT to a free one\n`);
    process.exit(2);
  }
  app.log.error({ err }, `could not listen on ${config.host}:${config.port}`);
  process.exit(1);
}
