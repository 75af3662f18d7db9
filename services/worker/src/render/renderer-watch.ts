import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { processTree } from './process-tree.js';

/** How often the renderers' memory is read while pages render. */
const EVERY_MS = 250;
/** How long after a kill a page's crash is put down to its memory. */
const BLAME_MS = 5000;

function read(pid: number, file: string): string {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Stops a page's renderer past RENDER_MAX_PAGE_MB of resident memory: its
 * JavaScript heap, buffers and everything else the process holds (V8's own
 * heap limit, set too, misses array buffers and the like). Read from /proc
 * every 250 ms while pages render; the renderer is killed, its page crashes,
 * and the page fails with CF_ERR_RENDER_MEMORY; the browser goes on.
 */
export class RendererWatch {
  private timer: NodeJS.Timeout | null = null;
  private active = 0;
  private killedAt = 0;

  constructor(
    private readonly limitBytes: number,
    private readonly logger: Logger,
    private readonly root = process.pid,
  ) {}

  /** Watches while `work` runs (pages overlap: the watch runs while any does). */
  async during<T>(work: () => Promise<T>): Promise<T> {
    this.active += 1;
    this.timer ??= setInterval(() => this.check(), EVERY_MS);
    try {
      return await work();
    } finally {
      this.active -= 1;
      if (this.active === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    }
  }

  /** True when a renderer was stopped for its memory lately: a page that crashed now crashed for that. */
  get killedLately(): boolean {
    return Date.now() - this.killedAt < BLAME_MS;
  }

  private check(): void {
    for (const pid of processTree(this.root)) {
      if (!read(pid, 'cmdline').includes('--type=renderer')) continue;
      const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(read(pid, 'status'))?.[1] ?? 0);
      if (kb * 1024 <= this.limitBytes) continue;
      try {
        process.kill(pid, 'SIGKILL');
        this.killedAt = Date.now();
        this.logger.warn(
          { pid, rssMb: Math.round(kb / 1024) },
          'a page went past RENDER_MAX_PAGE_MB: renderer stopped',
        );
      } catch {
        // Gone meanwhile.
      }
    }
  }
}
