export * from './runtime.js';
export {
  SqrtInput,
  SqrtResult,
  fibonacciInput,
  FibonacciResult,
  CrawlInput,
  CrawlResult,
  HTTP_URL_FORMAT,
  HTTP_URL_RULE,
  isFetchableUrl,
  jobSchemas,
  CRAWL_SCOPES,
  CRAWL_STATES,
  CrawlRequest,
  CrawlStats,
  PageRecord,
  crawlOptions,
} from './schemas.js';
