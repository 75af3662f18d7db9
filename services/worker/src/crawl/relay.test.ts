import { describe, expect, it } from 'vitest';
import type { Lease } from './host-gate.js';
import { Relay } from './relay.js';

/* A lease passed from a request in flight to the page claimed ahead, whichever side comes first. */

const lease = { id: 'p0-1', host: 'a.test' } as Lease;

describe('Relay', () => {
  it('hands the lease to a page waiting for it, and to one that comes for it later', async () => {
    const waiting = new Relay();
    waiting.answer(true);
    const taken = waiting.take();
    expect(await waiting.offer(lease)).toBe(true);
    expect(await taken).toBe(lease);
    expect(waiting.close()).toBeNull();

    const late = new Relay();
    const offered = late.offer(lease);
    late.answer(true);
    expect(await offered).toBe(true);
    expect(await late.take()).toBe(lease);
  });

  it('keeps the lease when no page was claimed or the page ended first, and sends a waiting page back on refusal', async () => {
    const none = new Relay();
    none.answer(false);
    expect(await none.offer(lease)).toBe(false);

    const ended = new Relay();
    ended.answer(true);
    expect(ended.close()).toBeNull();
    expect(await ended.offer(lease)).toBe(false);

    const refused = new Relay();
    refused.answer(true);
    const taken = refused.take();
    refused.refuse();
    expect(await taken).toBeNull();
    expect(await refused.offer(lease)).toBe(false);
  });

  it('gives a page that ends without fetching the lease handed to it, to give back', async () => {
    const relay = new Relay();
    relay.answer(true);
    expect(await relay.offer(lease)).toBe(true);
    expect(relay.close()).toBe(lease);
    expect(relay.close()).toBeNull();
  });
});
