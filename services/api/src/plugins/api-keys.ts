import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UnauthorizedError } from '../errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * The configured API keys and who a request is. Keys are compared as SHA-256
 * digests with timingSafeEqual, so neither a key nor its length leaks through
 * timing. A request counts as its key only when that key is configured; any
 * other token counts as the request's address, so random tokens neither
 * escape nor reset per-client limits.
 */
export class ApiKeys {
  private readonly digests: Buffer[];
  private readonly callers = new WeakMap<FastifyRequest, string>();

  constructor(keys: readonly string[] | undefined) {
    this.digests = (keys ?? []).map(digest);
  }

  /** True when keys are configured, so protected contexts need one. */
  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** The id of the configured key the request carries, or null. */
  private keyOf(request: FastifyRequest): string | null {
    const offered = BEARER.exec(request.headers.authorization ?? '')?.[1];
    if (offered === undefined || !this.enabled) return null;
    const hashed = digest(offered);
    let match: Buffer | null = null;
    for (const known of this.digests) if (timingSafeEqual(hashed, known)) match = known;
    return match ? match.toString('hex').slice(0, 16) : null;
  }

  /** Who a request counts as for limits: `key:<id>` for a configured key, else `ip:<address>`. */
  caller(request: FastifyRequest): string {
    let caller = this.callers.get(request);
    if (caller === undefined) {
      const key = this.keyOf(request);
      caller = key ? `key:${key}` : `ip:${request.ip}`;
      this.callers.set(request, caller);
    }
    return caller;
  }

  /** An onRequest hook: 401 unless the request carries a configured key. */
  readonly require = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.caller(request).startsWith('key:')) return;
    reply.header('www-authenticate', 'Bearer realm="crawlfleet"');
    const sent = BEARER.test(request.headers.authorization ?? '');
    throw new UnauthorizedError(sent ? 'the API key is not valid' : 'send Authorization: Bearer <key>');
  };
}
