export * from './runtime.js';
export {
  SqrtInput,
  SqrtResult,
  fibonacciInput,
  FibonacciResult,
  CrawlInput,
  CrawlResult,
  jobSchemas,
  CRAWL_SCOPES,
  CRAWL_STATES,
  CrawlRequest,
  CrawlStats,
  PageRecord,
  crawlOptions,
} from './schemas.js';
