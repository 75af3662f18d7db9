import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyWaitsError } from '../errors.js';
import { ApiKeys } from './api-keys.js';
import { ClientSlots } from './client-slots.js';
import { OpenStreams } from './open-streams.js';

/**
 * Who calls, and what each caller holds open: `apiKeys` (the configured keys
 * and each request's caller), `streams` (open event streams, capped per
 * caller, ended before the app closes) and `waits` (concurrent ?wait
 * requests per caller).
 */
export default fp(
  async function callers(app: FastifyInstance) {
    const { config } = app;
    app.decorate('apiKeys', new ApiKeys(config.apiKeys, config.adminKeys));
    app.decorate('streams', new OpenStreams(config.maxStreamsPerClient));
    app.decorate('waits', new ClientSlots(config.maxWaitsPerClient, TooManyWaitsError));
    // Before the server stops taking connections: an open stream would keep close() waiting for ever.
    app.addHook('preClose', async () => app.streams.closeAll());
  },
  { name: 'callers' },
);
