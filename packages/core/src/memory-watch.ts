import { dataNodes, type RedisClient } from './redis.js';

/** Share of Redis's maxmemory past which new work waits (noeviction would fail it mid-write). */
export const MEMORY_PRESSURE = 0.9;

/**
 * Redis's used_memory as a share of its maxmemory (the fullest master of a
 * cluster), read every `intervalMs`: the API refuses submissions past
 * MEMORY_PRESSURE, and workers stop claiming crawl pages and starting
 * scheduled crawls (they wait; nothing fails).
 */
export class MemoryWatch {
  /** The last reading (0 without maxmemory, or before the first). */
  use = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: RedisClient,
    intervalMs = 1000,
  ) {
    this.timer = setInterval(() => void this.read(), intervalMs);
    this.timer.unref();
  }

  /** Reads the memory use of every Redis holding data now. */
  async read(): Promise<number> {
    if (this.redis.status !== 'ready') return this.use;
    const uses = await Promise.all(
      dataNodes(this.redis).map(async (node) => {
        const info = await node.info('memory').catch(() => '');
        const used = Number(/^used_memory:(\d+)/m.exec(info)?.[1] ?? 0);
        const max = Number(/^maxmemory:(\d+)/m.exec(info)?.[1] ?? 0);
        return max > 0 ? used / max : 0;
      }),
    );
    this.use = Math.max(0, ...uses);
    return this.use;
  }

  /** True past MEMORY_PRESSURE of maxmemory. */
  get pressure(): boolean {
    return this.use > MEMORY_PRESSURE;
  }

  close(): void {
    clearInterval(this.timer);
  }
}
