export { sqrt } from './sqrt.js';
export { fibonacci } from './fibonacci.js';
export { crawlPage, isHtml, pageResult, type PageResponse } from './crawl/crawl-page.js';
export { SafeFetcher, checkFetchUrl, type SafeFetchOptions, type FetchedPage } from './crawl/safe-fetch.js';
export {
  extractLinks,
  resolveLink,
  DEFAULT_LINK_LIMITS,
  type PageLinks,
  type LinkLimits,
} from './crawl/extract-links.js';
export {
  addressPolicy,
  addressRange,
  publicOnly,
  anyAddress,
  isIpLiteral,
  type AddressPolicy,
} from './crawl/address-policy.js';
export { checkWebhook, forbiddenHeader } from './webhook-check.js';
export { guardedLookup, type LookupFunction } from './crawl/guarded-agent.js';
export {
  InvalidInputError,
  FetchRefusedError,
  FetchTimeoutError,
  BodyTooLargeError,
  RedirectError,
  UpstreamStatusError,
  FetchFailedError,
  HostBusyError,
  CancelledError,
  InvalidGlobError,
  isRetryable,
} from './errors.js';
export { normalizeUrl } from './crawl/normalize-url.js';
export { CrawlScopeFilter } from './crawl/scope.js';
export { robotsRules, DEFAULT_MAX_ROBOTS_RULES, type RobotsRules, type RobotsFetch } from './crawl/robots.js';
export { globMatcher, globProblem } from './crawl/glob.js';
export { LinkedAbort } from './crawl/linked-abort.js';
export { DEFAULT_PAGE_LIMITS, type PageLimits } from './crawl/crawl-page.js';
export { extractContent, type ContentOptions } from './crawl/content.js';
export { hammingDistance, simhash } from './crawl/simhash.js';
export { capContent, pageContent, type Content, type ContentLimits } from './crawl/page-content.js';
export { parseSitemap, sitemapOf, sitemapUrls, type SitemapFile, type SitemapLimits } from './crawl/sitemap.js';
export { decodeHtml } from './crawl/charset.js';
