import { describe, expect, it } from 'vitest';
import { outcomeOf, retryAfterMs } from './host-gate.js';

describe('Retry-After', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');
  it('reads seconds and HTTP dates, and nothing else', () => {
    expect(retryAfterMs('2', now)).toBe(2000);
    expect(retryAfterMs(' 120 ', now)).toBe(120_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
    for (const bad of [null, '', 'soon', '-5', '1e9', '99999999999'])
      expect(retryAfterMs(bad, now), String(bad)).toBe(-1);
  });
});

describe('outcomeOf', () => {
  it('counts connect failures, timeouts and 5xx toward the circuit; 429 only pauses', () => {
    expect(outcomeOf({ code: 'CF_ERR_FETCH_FAILED' })).toBe('failure');
    expect(outcomeOf({ code: 'CF_ERR_FETCH_TIMEOUT' })).toBe('failure');
    expect(outcomeOf({ code: 'CF_ERR_UPSTREAM_STATUS' })).toBe('failure');
    expect(outcomeOf({ code: 'CF_ERR_HOST_BUSY', message: 'http://a/ answered HTTP 503: …' })).toBe('busy-failure');
    expect(outcomeOf({ code: 'CF_ERR_HOST_BUSY', message: 'http://a/ answered HTTP 429: …' })).toBe('busy');
    expect(outcomeOf({ code: 'CF_ERR_BODY_TOO_LARGE' })).toBe('other');
    expect(outcomeOf(new Error('x'))).toBe('other');
  });
});
