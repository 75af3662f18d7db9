/** The median of a list of numbers. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** The p-th percentile (0..100), nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const fmt = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/**
 * Requests sent before latency is measured, on both sides alike. The JIT
 * takes thousands of requests to settle, the tail longest: from a fresh
 * start, blocks of 1,000 ?wait requests measured p50 1.62, 1.13, 0.94, then
 * ~0.88 ms, and p99 6.7, 4.8, 3.8, 2.8, 2.5, then 1.9-3.3 ms; plain BullMQ
 * p99 4.5, 2.6, 2.0, then 0.7-1.4 ms. A running service is the warm case.
 */
export const LATENCY_WARM_UP = 5000;

/** BENCH_RUNS: how many times each figure is measured (its median is printed). */
export const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** Runs `measure` RUNS times and returns the samples. */
export async function runs<T>(measure: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let run = 0; run < RUNS; run++) out.push(await measure());
  return out;
}

/** Prints one figure: its label, value and note in columns (`width`: the label's). */
export function line(label: string, value: string, note = '', width = 52): void {
  process.stdout.write(`${label.padEnd(width)} ${value.padStart(14)}  ${note}\n`);
}
