/** One line of crawl progress: a bar of fetched/discovered, counts and rate. */
export function progressLine(
  stats: { fetched: number; failed: number; discovered: number; queued: number },
  seconds: number,
  width = 30,
): string {
  const done = stats.fetched + stats.failed;
  const total = Math.max(stats.queued, 1);
  const filled = Math.min(width, Math.round((done / total) * width));
  const rate = seconds > 0 ? done / seconds : 0;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const counts = `(${stats.discovered} discovered, ${stats.failed} failed)`;
  return `${bar} ${done}/${stats.queued} pages ${counts} ${rate.toFixed(1)} pages/s`;
}
