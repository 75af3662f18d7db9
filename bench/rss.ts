import { readFileSync } from 'node:fs';

/**
 * Peak resident set size of a live process in MB, from the kernel's
 * high-water mark (VmHWM), which counts every thread of the process.
 */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Number(kb) / 1024;
}
