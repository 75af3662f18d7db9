import { readdirSync, readFileSync } from 'node:fs';

/*
 * A process and the processes under it (a render worker and its browser's),
 * read from /proc: their memory and CPU time, for the render worker's
 * metrics and the bench.
 */

/** `root` and every live process under it. */
export function processTree(root = process.pid): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(Number(entry));
    if (stat) parents.set(Number(entry), Number(stat[1]));
  }
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, parent] of parents)
      if (tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
  }
  return [...tree];
}

/** The fields of /proc/<pid>/stat after the command name (which may hold spaces): state, ppid, …; null when gone. */
function statOf(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/**
 * Resident memory in bytes of `root` and every process under it. Each
 * process counts its proportional share (Pss): Chromium's processes share
 * most of their pages, and summing their RSS would count those pages once a
 * process (about 2.7x too much, measured).
 */
export function treeRssBytes(root = process.pid): number {
  return processTree(root).reduce((sum, pid) => sum + memoryOf(pid), 0);
}

/**
 * CPU time (user + system, ms) of `root` and the processes under it, with
 * the children each has reaped (a page's renderer processes end with the page).
 */
export function treeCpuMs(root = process.pid): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const fields = statOf(pid);
    // utime, stime, cutime, cstime: fields 14-17 of stat, 12-15 here (after pid and comm), in ticks of 10 ms.
    if (fields) ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  }
  return ticks * 10;
}

/** A process's proportional resident memory (its RSS where smaps_rollup is not readable), in bytes. */
function memoryOf(pid: number): number {
  for (const [file, field] of [
    ['smaps_rollup', 'Pss'],
    ['status', 'VmRSS'],
  ] as const) {
    try {
      const kb = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync(`/proc/${pid}/${file}`, 'utf8'))?.[1];
      if (kb !== undefined) return Number(kb) * 1024;
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return 0;
}
