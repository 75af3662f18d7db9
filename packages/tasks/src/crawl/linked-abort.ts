/**
 * An abort signal that follows a parent signal and, optionally, fires after a
 * deadline: what `AbortSignal.any([parent, AbortSignal.timeout(ms)])` gives,
 * for less: those two showed in a crawl worker's profile, a few per page
 * (bench/README.md). Call dispose() when the work is done.
 */
export class LinkedAbort {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout | undefined;
  private expired = false;
  private readonly follow = () => this.controller.abort(this.parent?.reason);

  constructor(
    private readonly parent?: AbortSignal,
    timeoutMs?: number,
  ) {
    if (parent?.aborted) this.follow();
    else parent?.addEventListener('abort', this.follow, { once: true });
    if (timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.expired = true;
        this.controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
      }, timeoutMs);
      this.timer.unref();
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** True when the deadline, not the parent or abort(), fired. */
  get timedOut(): boolean {
    return this.expired;
  }

  abort(reason?: unknown): void {
    this.controller.abort(reason);
  }

  /** Stops the deadline and stops following the parent. */
  dispose(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.follow);
  }
}
