import type { Config, WebhookSpec } from '@crawlfleet/core';
import { addressPolicy, checkFetchUrl } from '@crawlfleet/tasks';
import { ValidationError } from './errors.js';

/** Headers a delivery sets itself, or that only the HTTP client may set. */
const RESERVED = new Set([
  'host',
  'content-length',
  'content-type',
  'transfer-encoding',
  'connection',
  'upgrade',
  'te',
]);

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
    const lower = name.toLowerCase();
    if (RESERVED.has(lower) || lower.startsWith('x-crawlfleet-'))
      throw new ValidationError(`${at}.webhook.headers.${name}`, 'is set by crawlfleet itself');
  }
}
