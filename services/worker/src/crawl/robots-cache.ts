import { robotsRules, type RobotsFetch, type RobotsRules, type SafeFetcher } from '@crawlfleet/tasks';
import { robotsKey, type RedisClient } from '@crawlfleet/core/runtime';
import { describeFailure } from '../task-failure.js';

/** How long a robots.txt answer is kept: a good one an hour, a server error a minute. */
const TTL_OK_SECONDS = 3600;
const TTL_ERROR_SECONDS = 60;
const LOCAL_TTL_MS = 60_000;
const ROBOTS_MAX_BYTES = 512 * 1024;

/**
 * robots.txt per origin, fetched once per cache period for all workers: the
 * first worker to need it takes a lock in Redis, fetches it and stores the
 * answer; the others wait for that answer. Each process also keeps the parsed
 * rules for a minute.
 */
export class RobotsCache {
  private readonly local = new Map<string, { rules: Promise<RobotsRules>; settled?: RobotsRules; expires: number }>();

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly fetcher: SafeFetcher,
    private readonly userAgent: string,
    private readonly maxRules: number,
  ) {}

  /** The rules for the origin of `url` when this process has them now, else null (nothing is fetched). */
  cached(url: URL): RobotsRules | null {
    const cached = this.local.get(url.origin);
    return cached && cached.expires > Date.now() ? (cached.settled ?? null) : null;
  }

  /**
   * The rules for the origin of `url`: at once when this process knows them
   * (a crawl asks for every link of every page), else a promise.
   */
  rulesFor(url: string | URL): RobotsRules | Promise<RobotsRules> {
    const origin = typeof url === 'string' ? new URL(url).origin : url.origin;
    const cached = this.local.get(origin);
    if (cached && cached.expires > Date.now()) return cached.settled ?? cached.rules;
    const entry: { rules: Promise<RobotsRules>; settled?: RobotsRules; expires: number } = {
      rules: this.load(origin).then(
        (fetched) => (entry.settled = robotsRules(origin, fetched, this.userAgent, this.maxRules)),
      ),
      expires: Date.now() + LOCAL_TTL_MS,
    };
    entry.rules.catch(() => this.local.delete(origin));
    this.local.set(origin, entry);
    if (this.local.size > 10_000) this.local.delete(this.local.keys().next().value!);
    return entry.rules;
  }

  private async load(origin: string): Promise<RobotsFetch> {
    const key = robotsKey(this.prefix, origin);
    const lock = `${key}:lock`;
    for (let waited = 0; waited < 30_000; waited += 50) {
      const stored = await this.redis.get(key);
      if (stored) return JSON.parse(stored) as RobotsFetch;
      if (await this.redis.set(lock, '1', 'PX', 20_000, 'NX')) {
        const fetched = await this.fetchRobots(origin);
        const ttl = fetched.status >= 200 && fetched.status < 500 ? TTL_OK_SECONDS : TTL_ERROR_SECONDS;
        await this.redis.set(key, JSON.stringify(fetched), 'EX', ttl);
        await this.redis.del(lock);
        return fetched;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return { status: 0, body: '', error: 'another worker fetching it gave no answer within 30 s' };
  }

  private async fetchRobots(origin: string): Promise<RobotsFetch> {
    try {
      // Past 512 KiB a robots.txt is ignored, as Google's parser does, rather than refused whole.
      const page = await this.fetcher.fetch(`${origin}/robots.txt`, undefined, () => true, ROBOTS_MAX_BYTES);
      let body = page.body ? page.body.toString('utf8') : '';
      // A line cut at the cap is not the rule the site wrote: drop it.
      if (page.bytes >= ROBOTS_MAX_BYTES) body = body.slice(0, body.lastIndexOf('\n') + 1);
      return { status: page.status, body };
    } catch (err) {
      return { status: 0, body: '', error: describeFailure(err).message };
    }
  }
}
