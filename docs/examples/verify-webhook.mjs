// Verifies a crawlfleet webhook delivery as the Standard Webhooks spec says: the signature is
// base64(HMAC-SHA256(key, `${webhook-id}.${webhook-timestamp}.${raw body}`)), where the key is the
// base64 part of a `whsec_` secret, else the secret's UTF-8 bytes. A delivery older (or newer) than
// `toleranceSeconds` is refused, so a captured delivery cannot be replayed later.
// Use it on the raw body bytes as received, before parsing the JSON.
import { Buffer } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * @param {Record<string, string | string[] | undefined>} headers the request's headers (lower-case names)
 * @param {string | Buffer} body the raw body
 * @param {string} secret the webhook's secret
 * @returns {boolean} true when the delivery is genuine and fresh
 */
export function verifyWebhook(headers, body, secret, { toleranceSeconds = 300, now = Date.now() } = {}) {
  const id = String(headers['webhook-id'] ?? '');
  const timestamp = String(headers['webhook-timestamp'] ?? '');
  const signatures = String(headers['webhook-signature'] ?? '');
  if (!id || !/^\d+$/.test(timestamp) || !signatures) return false;
  if (Math.abs(now / 1000 - Number(timestamp)) > toleranceSeconds) return false;
  const key = secret.startsWith('whsec_') ? Buffer.from(secret.slice(6), 'base64') : Buffer.from(secret, 'utf8');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest();
  // The header may hold several space-separated signatures (v1,<base64>) while a secret is rotated.
  return signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',');
    const given = Buffer.from(value ?? '', 'base64');
    return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
  });
}
