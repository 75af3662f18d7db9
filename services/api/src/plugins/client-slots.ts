import type { FastifyError } from 'fastify';

/**
 * A per-client cap on something held open (event streams, ?wait requests).
 * Clients are named by ApiKeys.caller: their configured key, else their address.
 */
export class ClientSlots {
  private readonly held = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly tooMany: new (count: number) => FastifyError,
  ) {}

  /**
   * Takes one of `caller`'s slots.
   * @returns the release, which may be called more than once
   * @throws the 429 given at construction when the caller holds `max`
   */
  take(caller: string): () => void {
    const count = this.held.get(caller) ?? 0;
    if (count >= this.max) throw new this.tooMany(count);
    this.held.set(caller, count + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.held.get(caller) ?? 1) - 1;
      if (left > 0) this.held.set(caller, left);
      else this.held.delete(caller);
    };
  }
}
