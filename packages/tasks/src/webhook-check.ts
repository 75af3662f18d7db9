import { ValidationError, type Config, type WebhookSpec } from '@crawlfleet/core/runtime';
import { addressPolicy } from './crawl/address-policy.js';
import { checkFetchUrl } from './crawl/safe-fetch.js';

/**
 * Headers a sender may not set: what a delivery sets itself, what only the
 * HTTP client may set, and credentials (a webhook must not carry someone's
 * session or login to a URL of the sender's choosing).
 */
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
  'authorization',
  'proxy-authorization',
  'cookie',
]);

/** Why a sender's header name is refused, or null when it may be sent. */
export function forbiddenHeader(name: string): string | null {
  const lower = name.toLowerCase();
  if (RESERVED.has(lower) || lower.startsWith('x-crawlfleet-') || lower.startsWith('webhook-'))
    return 'may not be set on a webhook (credentials, and what crawlfleet sets itself)';
  return null;
}

/**
 * Refuses, at submit, a webhook that can never be delivered: a URL the
 * crawler's address policy refuses (an IP literal in a private range while
 * CRAWL_ALLOW_PRIVATE_NETWORKS is off), and headers it sets itself. Names
 * are judged again after DNS at each delivery.
 */
export function checkWebhook(spec: WebhookSpec | undefined, config: Config, at = 'body'): void {
  if (!spec) return;
  try {
    checkFetchUrl(spec.url, addressPolicy(config.crawlAllowPrivateNetworks));
  } catch (err) {
    throw new ValidationError(`${at}.webhook.url`, `is refused: ${(err as Error).message}`);
  }
  for (const name of Object.keys(spec.headers ?? {})) {
    const problem = forbiddenHeader(name);
    if (problem) throw new ValidationError(`${at}.webhook.headers.${name}`, problem);
  }
}
