import type { TenantUsage } from '@crawlfleet/core/runtime';

/** How often finished jobs are given back to their tenants' queued-jobs counts. */
export const RELEASE_EVERY_MS = 200;

/**
 * Finished jobs given back to their tenants' TENANT_MAX_QUEUED_JOBS counts
 * in batches: one DECRBY per tenant every RELEASE_EVERY_MS instead of one
 * command per job (a command a job cost the sqrt worker ~40% of its
 * throughput, bench/README.md). A worker killed between two flushes leaves
 * its last batch counted: its tenant's count reads high by that many.
 */
export class BatchedRelease {
  private readonly pending = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly usage: TenantUsage,
    private readonly onError: (err: Error) => void,
  ) {}

  add(tenant: string): void {
    this.pending.set(tenant, (this.pending.get(tenant) ?? 0) + 1);
    this.timer ??= setTimeout(() => void this.flush(), RELEASE_EVERY_MS);
  }

  async flush(): Promise<void> {
    this.timer = null;
    const batch = [...this.pending];
    this.pending.clear();
    await Promise.all(
      batch.map(([tenant, count]) => this.usage.releaseJobs(tenant, count).catch((err: Error) => this.onError(err))),
    );
  }

  /** Gives back what is pending now (the worker is stopping). */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    await this.flush();
  }
}
