import { randomUUID } from 'node:crypto';
import { buildApp } from '@crawlfleet/api';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually, testConfig, raw } from '@crawlfleet/testkit';

/* Two requests racing with one Idempotency-Key can never both create a job. */

let app: FastifyInstance;
let port: number;

beforeAll(async () => {
  app = await buildApp(testConfig(inject('redisUrl')), { logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  port = (app.server.address() as { port: number }).port;
  await eventually(() => app.jobQueues.ready);
});
afterAll(async () => {
  await app.close();
});

const post = (path: string, key: string, body: unknown) =>
  raw(port, 'POST', path, { 'content-type': 'application/json', 'idempotency-key': key }, JSON.stringify(body));

/** Two POSTs of `first` and `second` with one new key, sent at once. */
const race = (path: string, first: unknown, second: unknown) => {
  const key = randomUUID();
  return Promise.all([post(path, key, first), post(path, key, second)]);
};

describe('Idempotency-Key under a race', () => {
  it('different bodies at once: exactly one 202, the other 409, 30 rounds', async () => {
    for (let round = 0; round < 30; round++) {
      const replies = await race('/v1/jobs/sqrt', { value: 1 }, { value: 2 });
      expect(replies.map((reply) => reply.status).sort(), `round ${round}`).toEqual([202, 409]);
      const winner = JSON.parse(replies.find((reply) => reply.status === 202)!.body);
      const job = JSON.parse((await raw(port, 'GET', winner.url)).body);
      expect(job.input.value).toBe(replies[0].status === 202 ? 1 : 2);
    }
  });

  it('the same body at once: both 202 with one id, one of them marked replayed', async () => {
    for (let round = 0; round < 10; round++) {
      const replies = await race('/v1/jobs/sqrt', { value: 3 }, { value: 3 });
      expect(replies.map((reply) => reply.status)).toEqual([202, 202]);
      expect(new Set(replies.map((reply) => JSON.parse(reply.body).id)).size).toBe(1);
      expect(replies.filter((reply) => reply.headers['idempotent-replayed'] === 'true')).toHaveLength(1);
    }
  });

  it('batches racing with other inputs: one 202, one 409', async () => {
    for (let round = 0; round < 10; round++) {
      const replies = await race('/v1/jobs/sqrt/batch', [{ value: 1 }], [{ value: 1 }, { value: 2 }]);
      expect(replies.map((reply) => reply.status).sort()).toEqual([202, 409]);
    }
  });
});
