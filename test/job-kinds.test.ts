import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import './fixtures/register-kinds.mjs';
import { JOB_KINDS, JOB_TYPES, WORKER_KINDS, isWorkerKind } from '@crawlfleet/tasks/kinds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inProcessFleet } from './in-process-fleet.js';

/*
 * A job kind is its module and a line in the registry: the kinds of
 * fixtures/kinds.mjs, registered by fixtures/register-kinds.mjs (imported first), get their routes, validation, OpenAPI
 * description, queue listing and workers without a change anywhere else.
 */

let fleet: Awaited<ReturnType<typeof inProcessFleet>>;

beforeAll(async () => {
  fleet = await inProcessFleet({}, ['shout' as never, 'words' as never]);
});
afterAll(async () => {
  await fleet?.close();
});

async function post(url: string, body: unknown) {
  const reply = await fleet.app.inject({ method: 'POST', url, payload: body as object });
  return { status: reply.statusCode, body: reply.json<Record<string, unknown>>() };
}

describe('a job kind added in a module of its own', () => {
  it('is listed with the built-in kinds', () => {
    expect(JOB_TYPES).toEqual(['sqrt', 'fibonacci', 'crawl', 'shout', 'words']);
    expect(WORKER_KINDS).toEqual(['sqrt', 'fibonacci', 'crawl', 'webhook', 'render', 'shout', 'words']);
    // A kind that rides another's queue is in the registry, with no worker (nor --queue) of its own.
    expect(JOB_KINDS.find((kind) => kind.name === 'crawl-schedule')).toMatchObject({
      rides: 'crawl',
      submitted: false,
    });
    expect(isWorkerKind('crawl-schedule')).toBe(false);
  });

  it('is submitted over HTTP and run by its worker, inline or in threads', async () => {
    const shout = await post('/v1/jobs/shout?wait=10000', { text: 'hello' });
    expect(shout.status).toBe(200);
    expect(shout.body).toMatchObject({ type: 'shout', state: 'completed', result: { text: 'HELLO' } });
    const words = await post('/v1/jobs/words?wait=10000', { text: 'one two  three' });
    expect(words.body).toMatchObject({ type: 'words', state: 'completed', result: { words: 3 } });
    // A thread's failure comes back with its message (and the worker's config reached the thread).
    const failed = await post('/v1/jobs/words?wait=10000&attempts=1', { text: 'fail' });
    expect(failed.body).toMatchObject({ state: 'failed' });
    expect(String(failed.body.error)).toMatch(/refused in a thread of a worker with prefix test-/);
  });

  it('validates its input by its own schema, naming the field', async () => {
    const reply = await post('/v1/jobs/shout', { text: 5 });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(/text/);
    expect((await post('/v1/jobs/shout', { text: 'x'.repeat(101) })).status).toBe(400);
  });

  it('is in the OpenAPI description and the queue list', async () => {
    const doc = (await fleet.app.inject({ url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/jobs/shout', '/v1/jobs/words/{id}']));
    const queues = (await fleet.app.inject({ url: '/v1/queues' })).json<{ queues: { type: string }[] }>();
    expect(queues.queues.map((queue) => queue.type)).toEqual(expect.arrayContaining(['shout', 'words']));
  });

  it('is named in no source file outside its module', () => {
    const found: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        if (name === 'node_modules' || name === 'dist' || name === 'bundle') continue;
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (
          /\.(ts|mjs|json|yml)$/.test(name) &&
          /\b(shout|words)Kind\b|'shout'|'words'/.test(readFileSync(path, 'utf8'))
        )
          found.push(path);
      }
    };
    for (const dir of ['packages', 'services', 'scripts']) walk(join(import.meta.dirname, '..', dir));
    expect(found).toEqual([]);
  });
});
