/*
 * The core without the TypeBox schemas: what workers need at run time.
 * Loading typebox costs a process start-up time and memory (bench/README.md),
 * and only the API validates with the schemas; `@crawlfleet/core` exports both.
 */
export {
  MAX_WAIT_MS,
  JOB_STATES,
  cancelChannel,
  crawlCancelChannel,
  frontierWakeChannel,
  crawlEndChannel,
  queueKeyPrefix,
  RENDER_QUEUE,
  type JobState,
} from './job-types.js';
export { canonicalUrl, isTrackingParameter, type CanonicalOptions } from './canonical-url.js';
export type { FibonacciInput, SqrtInput, ContentFormat, CrawlResult } from './schemas.js';
export type {
  CrawlOptions,
  CrawlRequest,
  CrawlScope,
  CrawlState,
  CrawlStats,
  CrawlPageData,
  SitemapMode,
  PageRecord,
} from './crawl-schemas.js';
export { HTTP_URL_FORMAT, HTTP_URL_RULE, isFetchableUrl } from './http-url.js';
export {
  loadConfig,
  isConfigured,
  redactRedisUrl,
  CONFIG_FIELDS,
  PROCESS_FIELDS,
  VERSION,
  type Config,
  type ConfigFlags,
  type ProcessKind,
} from './config.js';
export {
  createRedis,
  redisAway,
  onRedisBack,
  quitGracefully,
  redisOptions,
  clusterOptions,
  isCluster,
  dataNodes,
  describeRedis,
  waitForReplicas,
  quietErrors,
  type RedisRole,
  type RedisClient,
  type RedisTarget,
} from './redis.js';
export * from './errors.js';
export {
  SITEMAP_FILE,
  COUNTERS,
  LEGACY_OPTIONS,
  answeredOk,
  crawlOptions,
  crawlBase,
  crawlKeys,
  duplicateKey,
  endedFailed,
  failureLabel,
  fetchUrlOf,
  urlHash,
  type CrawlRecord,
  type ChildLink,
  type InflightPage,
} from './crawl-record.js';
export { luaScript } from './lua.js';
export { apiState, toJobView, viewState, acceptedReply, type JobView, type JobFields } from './job-view.js';
export {
  WEBHOOK_QUEUE,
  WEBHOOK_ATTEMPTS,
  CRAWL_EVENTS,
  JOB_EVENTS,
  HOOKED_JOB,
  jobWebhookKey,
  crawlDeliveriesKey,
  deliveryBody,
  deliveryHeaders,
  queueDelivery,
  type DeliveryQueue,
  type WebhookSpec,
  type WebhookDelivery,
  type SpecLocation,
  type WebhookEvent,
} from './webhooks.js';
export {
  fleetKeys,
  frontierBase,
  frontierKeys,
  hostKey,
  politeKey,
  shardOfHost,
  idempotencyKey,
  rateLimitCaller,
  rateLimitNamespace,
  robotsKey,
  runningCrawlsKey,
  scheduleKeys,
  webhookSecretsKey,
  sweepLockKey,
  untaggedQueueKey,
} from './keys.js';
export { isRedisDownError, withRedis } from './redis-errors.js';
export {
  TENANT_FIELD,
  COUNTED_FIELD,
  isCounted,
  OPERATOR,
  DEFAULT_TENANT,
  TENANT_PATTERN,
  jobTenant,
  jobInput,
  mayAct,
  tenantLimits,
  tenantWeight,
  tenantKeys,
  allCrawlsKey,
  utcDay,
  secondsToUtcMidnight,
  type Scope,
  type KeyEntry,
  type TenantLimits,
} from './tenants.js';
export { TenantUsage, type TenantUsageView } from './tenant-usage.js';
export { MemoryWatch, MEMORY_PRESSURE } from './memory-watch.js';
export { WebhookBudget, thinPage } from './webhook-budget.js';
