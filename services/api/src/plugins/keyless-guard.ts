import { isIP } from 'node:net';
import type { Config } from '@crawlfleet/core';
import type { FastifyRequest } from 'fastify';
import { ForbiddenError } from '../errors.js';
import type { Guard } from './guards.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The host name of a Host header or an Origin, lowercased, without port and brackets; null if unreadable. */
function hostnameOf(value: string): string | null {
  try {
    return new URL(value.includes('://') ? value : `http://${value}`).hostname.replace(/^\[|\]$/g, '').toLowerCase();
  } catch {
    return null;
  }
}

/** True for the names and addresses of this machine's loopback interface. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    bare === 'localhost' ||
    bare.endsWith('.localhost') ||
    bare === '::1' ||
    (isIP(bare) === 4 && bare.startsWith('127.'))
  );
}

/**
 * Without keys, the API trusts whoever reaches it, so it must be reached on
 * purpose: a Host header must be a loopback name, HOST, one of
 * API_ALLOWED_HOSTS, or an address (DNS rebinding needs a name), and a
 * state-changing request must not come from another site (a page's form or
 * fetch: `Sec-Fetch-Site`, else `Origin`). With keys there is no such guard:
 * a browser does not send a key on its own.
 */
export function keylessGuard(config: Pick<Config, 'host' | 'apiAllowedHosts'>): Guard {
  const allowed = new Set([config.host.toLowerCase(), ...(config.apiAllowedHosts ?? [])]);
  const hostAllowed = (host: string | null) =>
    host !== null && (isLoopback(host) || isIP(host) !== 0 || allowed.has(host));
  return async (request: FastifyRequest) => {
    const host = hostnameOf(request.headers.host ?? '');
    if (!hostAllowed(host))
      throw new ForbiddenError(
        `Host ${JSON.stringify(String(request.headers.host ?? '').slice(0, 100))} is not a name of this API ` +
          '(loopback, HOST or API_ALLOWED_HOSTS)',
      );
    if (SAFE_METHODS.has(request.method)) return;
    const site = request.headers['sec-fetch-site'];
    const origin = request.headers.origin;
    const crossSite =
      site !== undefined
        ? site !== 'same-origin' && site !== 'none'
        : origin !== undefined && !hostAllowed(hostnameOf(origin));
    if (crossSite)
      throw new ForbiddenError('requests from another site may not change anything on an API without keys');
  };
}
