import { HostUnavailableError, RobotsDisallowedError } from '@crawlfleet/core/errors';
import type { HostGate, Lease } from './host-gate.js';
import type { RobotsCache } from './robots-cache.js';

/** A redirect's next hop cannot be fetched now: its host has no free lease, or is paused, or its circuit is open. */
export class HopMustWaitError extends Error {
  constructor(
    readonly next: string,
    readonly waitMs: number,
  ) {
    super(`the redirect to ${next} waits ${waitMs} ms for its host`);
  }
}

/** The lease a page's fetch holds now: its first host's, then each redirect hop's own. */
export interface LeaseRef {
  lease: Lease;
}

/**
 * Each redirect hop answers for itself (Scrapy charges each hop to its own
 * host's download slot): before a hop to another host, the lease in hand goes
 * back (the redirect's response is in) and the hop's host's is taken, so a
 * page holds one lease at a time and a 429/503, failure or stall is booked to
 * the host that answered; a hop that must wait ends the fetch
 * ({@link HopMustWaitError}: the page goes back to the queue, to resume at
 * the hop, instead of waiting in a slot); robots.txt is asked for every hop.
 */
export function hopHandler(
  deps: { gate: HostGate; robots: RobotsCache | null; hostFailureLimit: number },
  held: LeaseRef,
  crawlId: string | null,
  crawlCap: number | null,
  asker: string,
) {
  return async (next: string): Promise<void> => {
    if (deps.robots) {
      const rules = await deps.robots.rulesFor(next);
      if (!rules.isAllowed(next)) throw new RobotsDisallowedError();
    }
    const host = new URL(next).host;
    if (held.lease.host === host) return;
    await deps.gate.release(held.lease, 'ok');
    const now = Date.now();
    const admission = await deps.gate.admit(next, crawlId, crawlCap, asker, now);
    if ('lease' in admission) {
      held.lease = admission.lease;
      return;
    }
    if ('failUntil' in admission) throw new HostUnavailableError(host, deps.hostFailureLimit);
    throw new HopMustWaitError(next, admission.waitUntil - now);
  };
}
