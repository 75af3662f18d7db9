import type { Lease } from './host-gate.js';

/**
 * A host's next page claimed ahead, while a request to the host is in
 * flight, and the lease of that request handed to it once the response is
 * in: the next request starts at once, with no round trip to Redis between
 * a host's responses and its next request (the lease's books are written
 * beside it). One page a relay; every method is safe in any order.
 *
 * The page running ahead (`take`, `close`) and the request in flight
 * (`offer`, `refuse`) meet here; the frontier's answer (`answer`) says
 * whether a page was claimed at all.
 */
export class Relay {
  /** Whether the frontier answered, and with a page. */
  private claimed: boolean | null = null;
  private readonly answered: (() => void)[] = [];
  /** The lease handed over: undefined until offered or refused, null when refused. */
  private lease: Lease | null | undefined = undefined;
  private waiter: ((lease: Lease | null) => void) | null = null;
  /** The page ended before it took a lease: nothing is handed to it any more. */
  private closed = false;
  /** The page asked for the lease (it is fetching, or waits to). */
  private taking = false;

  /** The frontier's answer: a page was claimed ahead (it runs, then calls {@link take}), or none. */
  answer(claimed: boolean): void {
    if (this.claimed !== null) return;
    this.claimed = claimed;
    for (const wake of this.answered.splice(0)) wake();
  }

  /**
   * The response is in: hands `lease` to the page claimed ahead (waiting
   * for the frontier's answer if it has not come yet). @returns false when
   * no page takes it (none was claimed, or it ended first): give it back.
   */
  async offer(lease: Lease): Promise<boolean> {
    if (this.claimed === null) await new Promise<void>((resolve) => this.answered.push(resolve));
    if (!this.claimed || this.closed || this.lease !== undefined) return false;
    this.lease = lease;
    this.waiter?.(lease);
    return true;
  }

  /** The request ended without a lease to hand over (it failed, or a redirect swapped its lease). */
  refuse(): void {
    if (this.lease !== undefined) return;
    this.lease = null;
    this.waiter?.(null);
  }

  /** The page claimed ahead is ready to fetch: the lease, once handed over, or null (go back to the frontier). */
  take(): Promise<Lease | null> {
    this.taking = true;
    if (this.lease !== undefined) return Promise.resolve(this.lease);
    return new Promise((resolve) => (this.waiter = resolve));
  }

  /**
   * The page claimed ahead ends without fetching. @returns a lease already
   * handed to it, which the caller gives back; else null.
   */
  close(): Lease | null {
    if (this.closed || this.taking) return null;
    this.closed = true;
    return this.lease ?? null;
  }
}
