/*
 * A crawl's one home: the door every crawl goes through (start, get, watch,
 * cancel), its launch, its pushed end and its schedules' runs.
 */
export { Crawls, type CrawlDeps, type CrawlListQuery, type StartOptions } from './crawls.js';
export { CrawlEnds, type CrawlLogger } from './crawl-ends.js';
export { launchCrawl, type CrawlLaunch } from './launch.js';
export {
  CRAWL_SCHEDULE_JOB,
  crawlSchedulerId,
  lastCrawlKey,
  lastErrorKey,
  redactedWebhook,
  hasSecrets,
  scopedScheduleId,
  splitScheduleId,
  startScheduledCrawl,
  type CrawlScheduleData,
} from './schedules.js';
export { CrawlStore } from './crawl-store.js';
export { Recrawls } from './recrawls.js';
export { fetchedPageRecord, unfetchedPageRecord, type Validators } from './page-record.js';
export { fleetPoliteness } from './host-keys.js';
export {
  PAGE_JOB,
  PageQueues,
  laneOf,
  paceOf,
  pageData,
  pageJobId,
  pageJobOptions,
  pageQueueNames,
  shardOf,
} from './page-jobs.js';
export {
  Frontier,
  decodeEntry,
  encodeEntry,
  runInProcess,
  type Begun,
  type CrawlPace,
  type Dispatched,
  type FrontierEntry,
  type Lane,
  type PageClaim,
} from './frontier.js';
