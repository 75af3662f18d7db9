export { JOB_TYPES, JOB_STATES, isJobType, cancelChannel, type JobType, type JobState } from './job-types.js';
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
