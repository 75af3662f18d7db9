/*
 * robots.txt (RFC 9309) for one origin and user agent, bounded for hostile
 * files: at most `maxRules` rules are kept, a rule longer than
 * MAX_RULE_LENGTH is dropped, and every rule is matched in linear time
 * (wildcard-match.ts). robots-parser, used before, matches each rule in
 * O(path x pattern) steps and keeps every rule: a file of long wildcard rules
 * froze isAllowed for seconds per link.
 */
import { compileWildcard, type Wildcard } from './wildcard-match.js';

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
  /** The sitemaps it names (at most MAX_SITEMAPS). */
  sitemaps: string[];
}

/** How a robots.txt fetch went, in a form that can be cached as JSON. */
export interface RobotsFetch {
  /** HTTP status, or 0 when the host could not be reached. */
  status: number;
  body: string;
  /** With status 0: why there was no answer (e.g. the address was refused). */
  error?: string;
}

/** Rules longer than this are dropped (Google's parser has a similar cap). */
export const MAX_RULE_LENGTH = 2048;
/** Default cap on the rules kept from one robots.txt (`CRAWL_ROBOTS_MAX_RULES`). */
export const DEFAULT_MAX_ROBOTS_RULES = 2000;
const MAX_SITEMAPS = 50;

interface Rule {
  allow: boolean;
  length: number;
  pattern: Wildcard;
}

interface Group {
  agents: string[];
  rules: Rule[];
  crawlDelay: number | null;
}

const allowAll: RobotsRules = { isAllowed: () => true, crawlDelayMs: null, unavailable: null, sitemaps: [] };
const disallowAll = (unavailable: string): RobotsRules => ({
  isAllowed: () => false,
  crawlDelayMs: null,
  unavailable,
  sitemaps: [],
});

/** Percent-escapes as WHATWG URLs serialize paths: non-ASCII encoded, hex digits upper-case. */
function normalizeEncoding(path: string): string {
  let encoded = path;
  try {
    encoded = encodeURI(decodeURI(path));
  } catch {
    // A malformed escape: compare it as written.
  }
  return encoded.replace(/%[0-9a-f]{2}/gi, (escape) => escape.toUpperCase());
}

/** The groups of a robots.txt body, each rule compiled; `maxRules` across the file. */
function parse(body: string, maxRules: number): { groups: Group[]; sitemaps: string[] } {
  const groups: Group[] = [];
  const sitemaps: string[] = [];
  let current: Group | null = null;
  let inAgents = false;
  let kept = 0;
  for (const rawLine of body.split(/\r\n|\r|\n/)) {
    const line = rawLine.replace(/#.*$/, '').trim();
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (key === 'user-agent') {
      if (!inAgents || !current) {
        current = { agents: [], rules: [], crawlDelay: null };
        groups.push(current);
      }
      current.agents.push(value.toLowerCase());
      inAgents = true;
      continue;
    }
    inAgents = false;
    if (key === 'sitemap') {
      if (sitemaps.length < MAX_SITEMAPS && value) sitemaps.push(value);
    } else if (current && (key === 'allow' || key === 'disallow')) {
      if (!value || value.length > MAX_RULE_LENGTH || kept >= maxRules) continue;
      kept++;
      const pattern = normalizeEncoding(value);
      current.rules.push({ allow: key === 'allow', length: pattern.length, pattern: compileWildcard(pattern) });
    } else if (current && key === 'crawl-delay') {
      const seconds = Number(value);
      if (Number.isFinite(seconds) && seconds >= 0) current.crawlDelay = seconds;
    }
  }
  return { groups, sitemaps };
}

/** The groups for `agent`: those naming it (case-insensitive), else those for `*`. */
function groupsFor(groups: Group[], agent: string): Group[] {
  const own = groups.filter((group) => group.agents.includes(agent));
  return own.length ? own : groups.filter((group) => group.agents.includes('*'));
}

/**
 * The longest matching rule decides, an allow winning a tie; no match allows.
 * Rules are sorted longest first, so the first match is the answer.
 */
function decide(rules: Rule[], path: string): boolean {
  for (const rule of rules) if (rule.pattern.matches(path)) return rule.allow;
  return true;
}

/**
 * Rules from a robots.txt fetch, as crawlers agree: 2xx is parsed; 4xx
 * (no robots.txt) allows everything; 5xx or unreachable disallows everything
 * for now (the server may be in trouble; the cache period decides when to ask again).
 */
export function robotsRules(
  origin: string,
  fetched: RobotsFetch,
  userAgent: string,
  maxRules = DEFAULT_MAX_ROBOTS_RULES,
): RobotsRules {
  if (fetched.status >= 200 && fetched.status < 300) {
    const { groups, sitemaps } = parse(fetched.body, maxRules);
    const agent = (userAgent.split('/')[0] ?? userAgent).trim().toLowerCase();
    const mine = groupsFor(groups, agent);
    const rules = mine
      .flatMap((group) => group.rules)
      .sort((a, b) => b.length - a.length || Number(b.allow) - Number(a.allow));
    const delay = mine.find((group) => group.crawlDelay !== null)?.crawlDelay ?? null;
    return {
      isAllowed: (url) => {
        const parsed = new URL(url);
        if (parsed.origin !== origin) return true;
        if (parsed.pathname === '/robots.txt') return true;
        return decide(rules, normalizeEncoding(`${parsed.pathname}${parsed.search}`));
      },
      crawlDelayMs: delay === null ? null : Math.round(delay * 1000),
      unavailable: null,
      sitemaps,
    };
  }
  if (fetched.status >= 400 && fetched.status < 500) return allowAll;
  if (fetched.status > 0) return disallowAll(`robots.txt of ${origin} answered HTTP ${fetched.status}`);
  return disallowAll(`robots.txt of ${origin} could not be fetched: ${fetched.error ?? 'no answer'}`);
}
