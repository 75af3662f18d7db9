/*
 * crawlfleet's internal test kit, used by the tests and the bench (never
 * shipped): redis-servers the run starts itself, child processes that die
 * with the run, local fixture sites, network namespaces, compose files read
 * as compose reads them, and HTTP helpers.
 */
export * from './compose.js';
export * from './crawl-site.js';
export * from './fixture-site.js';
export * from './harness.js';
export * from './http.js';
export * from './netns.js';
export * from './processes.js';
export * from './redis-cluster.js';
export * from './redis-server.js';
