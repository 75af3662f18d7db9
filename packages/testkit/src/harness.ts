import { randomUUID } from 'node:crypto';
import { loadConfig, type Config } from '@crawlfleet/core';
import { pino } from 'pino';

/** A logger that writes nothing, for in-process services under test. */
export const silentLogger = pino({ level: 'silent' });

/**
 * Configuration for a test: the run's Redis, a queue prefix of its own (so
 * test files never see each other's jobs) and quiet logs.
 */
export function testConfig(redisUrl: string, env: Record<string, string> = {}): Config {
  return loadConfig({}, { REDIS_URL: redisUrl, QUEUE_PREFIX: `test-${randomUUID()}`, LOG_LEVEL: 'silent', ...env });
}

/** Polls `check` every 20 ms until it returns true, or fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A fetch reply's JSON body, loosely typed for assertions (fetch types it as unknown). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests assert on fields of any shape
export async function bodyOf(reply: Response): Promise<any> {
  return reply.json();
}

/** An app under test: buildApp's result, as far as the kit needs it. */
interface TestableApp {
  jobQueues: { ready: boolean };
}

/**
 * Builds the API for a test with {@link testConfig} and quiet logs, and waits
 * for its Redis connection. `build` is buildApp (the kit does not import the API).
 */
export async function testApi<A extends TestableApp>(
  build: (config: Config, options: { logger: false }) => Promise<A>,
  redisUrl: string,
  env: Record<string, string> = {},
): Promise<A> {
  const app = await build(testConfig(redisUrl, env), { logger: false });
  await eventually(() => app.jobQueues.ready, 10_000, 'Redis connection');
  return app;
}
