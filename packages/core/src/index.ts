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
  PageMetadata,
  CONTENT_FORMATS,
  webhookSpec,
} from './schemas.js';
export {
  CRAWL_SCOPES,
  CRAWL_STATES,
  CrawlOptionsView,
  CrawlRequest,
  CrawlStats,
  PageRecord,
  SITEMAP_MODES,
} from './crawl-schemas.js';
