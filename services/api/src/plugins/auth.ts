import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { UnauthorizedError } from '../errors.js';

const PROTECTED = /^\/(v1|admin)(\/|$|\?)/;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * With `API_KEYS` set, /v1/* and /admin/* need `Authorization: Bearer <key>`.
 * Keys are compared as SHA-256 digests with timingSafeEqual, so neither the
 * key nor its length leaks through timing. /healthz, /readyz, /docs and
 * /metrics stay open.
 */
export function installAuth(app: FastifyInstance, keys: readonly string[] | undefined): void {
  if (!keys?.length) return;
  const digests = keys.map(digest);
  app.addHook('onRequest', async (request, reply) => {
    if (!PROTECTED.test(request.url)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const offered = digest(match?.[1] ?? '');
    let ok = false;
    for (const known of digests) ok = timingSafeEqual(offered, known) || ok;
    if (!ok) {
      reply.header('www-authenticate', 'Bearer realm="crawlfleet"');
      throw new UnauthorizedError(match ? 'the API key is not valid' : 'send Authorization: Bearer <key>');
    }
  });
}
