import robotsParserModule from 'robots-parser';

// robots-parser is CommonJS (module.exports = function); its types declare an
// ES default export, which NodeNext sees as the module object.
const robotsParser = robotsParserModule as unknown as typeof robotsParserModule.default;

/** What robots.txt says for one origin and user agent. */
export interface RobotsRules {
  isAllowed(url: string): boolean;
  /** Crawl-delay in ms, or null when robots.txt gives none. */
  crawlDelayMs: number | null;
  /**
   * Why robots.txt could not be read, when that is why nothing is allowed
   * (a 5xx, or no answer and the reason); null when the rules are its own.
   */
  unavailable: string | null;
}

/** How a robots.txt fetch went, in a form that can be cached as JSON. */
export interface RobotsFetch {
  /** HTTP status, or 0 when the host could not be reached. */
  status: number;
  body: string;
  /** With status 0: why there was no answer (e.g. the address was refused). */
  error?: string;
}

const allowAll: RobotsRules = { isAllowed: () => true, crawlDelayMs: null, unavailable: null };
const disallowAll = (unavailable: string): RobotsRules => ({ isAllowed: () => false, crawlDelayMs: null, unavailable });

/**
 * Rules from a robots.txt fetch, as crawlers agree: 2xx is parsed; 4xx
 * (no robots.txt) allows everything; 5xx or unreachable disallows everything
 * for now (the server may be in trouble; the cache period decides when to ask again).
 */
export function robotsRules(origin: string, fetched: RobotsFetch, userAgent: string): RobotsRules {
  if (fetched.status >= 200 && fetched.status < 300) {
    const robots = robotsParser(`${origin}/robots.txt`, fetched.body);
    const agent = userAgent.split('/')[0] ?? userAgent;
    const delay = robots.getCrawlDelay(agent);
    return {
      isAllowed: (url) => robots.isAllowed(url, agent) !== false,
      crawlDelayMs: typeof delay === 'number' && Number.isFinite(delay) ? Math.round(delay * 1000) : null,
      unavailable: null,
    };
  }
  if (fetched.status >= 400 && fetched.status < 500) return allowAll;
  if (fetched.status > 0) return disallowAll(`robots.txt of ${origin} answered HTTP ${fetched.status}`);
  return disallowAll(`robots.txt of ${origin} could not be fetched: ${fetched.error ?? 'no answer'}`);
}
