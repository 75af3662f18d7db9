export { JOB_TYPES, JOB_STATES, isJobType, cancelChannel, crawlCancelChannel, type JobType, type JobState } from './job-types.js';
export {
  SqrtInput,
  SqrtResult,
  fibonacciInput,
  FibonacciResult,
  CrawlInput,
  CrawlResult,
  jobSchemas,
  type FibonacciInput,
  type JobInputs,
  type JobResults,
} from './schemas.js';
export { loadConfig, isConfigured, redactRedisUrl, CONFIG_FIELDS, VERSION, type Config, type ConfigFlags } from './config.js';
export { createRedis, redisOptions, type RedisRole } from './redis.js';
export { ConfigError, RedisUnavailableError } from './errors.js';
export {
  CRAWL_SCOPES,
  CRAWL_STATES,
  CrawlRequest,
  CrawlStats,
  PageRecord,
  crawlOptions,
  type CrawlOptions,
  type CrawlScope,
  type CrawlState,
  type CrawlPageData,
} from './schemas.js';
export { CrawlStore, urlHash, pageJobId, type CrawlRecord, type ChildLink } from './crawl-store.js';
