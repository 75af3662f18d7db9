/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * Requests sent before latency is measured, on both sides alike. The JIT
 * takes thousands of requests to settle: in a fresh API the ?wait p50 falls
 * from ~2.8 ms over the first 200 requests to ~1.3 ms after 3,000, and
 * plain BullMQ's from ~1.6 to ~0.6 ms. A running service is the warm case.
 */
export const LATENCY_WARM_UP = 2000;
