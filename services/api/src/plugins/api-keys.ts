import { createHash, timingSafeEqual } from 'node:crypto';
import { OPERATOR, type KeyEntry, type Scope } from '@crawlfleet/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, UnauthorizedError } from '../errors.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

const BEARER = /^Bearer\s+(\S+)$/i;
const BASIC = /^Basic\s+([A-Za-z0-9+/=]{1,1024})$/i;

/** A configured key: its digest, who it acts as, and a short id for limits. */
interface KnownKey {
  readonly digest: Buffer;
  readonly scope: Scope;
  readonly id: string;
}

/** What a request proved: the configured key it carries, or nothing. */
type Identity = KnownKey | null;

/**
 * The configured keys (API_KEYS, ADMIN_KEYS) and who a request is: its
 * tenant and whether it has operator rights. Keys are compared as SHA-256
 * digests with timingSafeEqual against every configured key, so neither a
 * key, its length nor its position leaks through timing. Operator rights
 * come from ADMIN_KEYS; while none is set, from bare API_KEYS entries (the
 * rights they had before tenants); with no keys at all, the anonymous tenant
 * `default` has them.
 */
export class ApiKeys {
  private readonly known: KnownKey[];
  private readonly identities = new WeakMap<FastifyRequest, Identity>();
  /** Requests in the dashboard's context, where a browser sends the key by HTTP Basic auth. */
  private readonly basic = new WeakSet<FastifyRequest>();
  /** Bare keys that keep operator rights only because ADMIN_KEYS is unset. */
  readonly legacyOperators: number;

  constructor(apiKeys: readonly KeyEntry[] | undefined, adminKeys: readonly KeyEntry[] | undefined) {
    const legacy = !adminKeys?.length;
    const make = (entry: KeyEntry, operator: boolean): KnownKey => {
      const hashed = digest(entry.key);
      return { digest: hashed, scope: { tenant: entry.tenant, operator }, id: hashed.toString('hex').slice(0, 16) };
    };
    this.known = [
      ...(apiKeys ?? []).map((entry) => make(entry, legacy && entry.bare)),
      ...(adminKeys ?? []).map((entry) => make(entry, true)),
    ];
    this.legacyOperators = legacy ? (apiKeys ?? []).filter((entry) => entry.bare).length : 0;
  }

  /** True when keys are configured, so protected contexts need one. */
  get enabled(): boolean {
    return this.known.length > 0;
  }

  /** The key a request offers: a Bearer token, or (where `basic`) the password of HTTP Basic auth. */
  private offered(request: FastifyRequest, basic: boolean): string | undefined {
    const header = request.headers.authorization ?? '';
    const bearer = BEARER.exec(header)?.[1];
    if (bearer !== undefined || !basic) return bearer;
    const encoded = BASIC.exec(header)?.[1];
    if (encoded === undefined) return undefined;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }

  /** The configured key the request carries, or null; read once per request. */
  private identify(request: FastifyRequest): Identity {
    if (this.identities.has(request)) return this.identities.get(request)!;
    let found: Identity = null;
    const offered = this.enabled ? this.offered(request, this.basic.has(request)) : '';
    if (offered) {
      const hashed = digest(offered);
      // Every key is compared, whichever matches: the time does not depend on which one it is.
      for (const key of this.known) if (timingSafeEqual(hashed, key.digest)) found = key;
    }
    this.identities.set(request, found);
    return found;
  }

  /** Who a request counts as for limits: `key:<id>` for a configured key, else `ip:<address>`. */
  caller(request: FastifyRequest): string {
    const key = this.identify(request);
    return key ? `key:${key.id}` : `ip:${request.ip}`;
  }

  /** Who a request acts as: its key's tenant and rights; with no keys configured, the operator. */
  scope(request: FastifyRequest): Scope {
    if (!this.enabled) return OPERATOR;
    const key = this.identify(request);
    if (!key) throw new UnauthorizedError('send Authorization: Bearer <key>');
    return key.scope;
  }

  /** An onRequest hook of the dashboard's context, before the guards: the key may come by HTTP Basic auth. */
  readonly acceptBasic = async (request: FastifyRequest): Promise<void> => {
    this.basic.add(request);
  };

  /**
   * An onRequest hook: 401 unless the request carries a configured key. In
   * the dashboard's context the 401 asks for Basic auth, so a browser shows
   * its login box (any user name, an operator key as password).
   */
  readonly require = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    if (this.identify(request)) return;
    const basic = this.basic.has(request);
    reply.header('www-authenticate', `${basic ? 'Basic' : 'Bearer'} realm="crawlfleet"`);
    const sent = /^(Bearer|Basic)\s/i.test(request.headers.authorization ?? '');
    throw new UnauthorizedError(sent ? 'the API key is not valid' : 'send Authorization: Bearer <key>');
  };

  /** An onRequest hook of operator routes: 403 for a key without operator rights. */
  readonly requireOperator = async (request: FastifyRequest): Promise<void> => {
    if (!this.scope(request).operator)
      throw new ForbiddenError('this needs an operator key (ADMIN_KEYS); yours is a tenant key');
  };
}
