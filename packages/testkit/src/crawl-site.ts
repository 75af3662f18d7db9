import { startFixtureSite, type FixtureSite, type Handler } from './fixture-site.js';

/*
 * A generated site for crawl tests: pages /p/0 .. /p/N-1 linking to each other
 * with relative, absolute, ../, fragment and differently-cased links; a
 * robots.txt that disallows /private; and links from the home page to the
 * hostile pages of the fixture site.
 */

export const HOSTILE = ['/slow', '/huge', '/bomb', '/loop', '/error', '/data.json'];

/** The pages page i links to. */
export function linksOf(i: number, n: number): number[] {
  return [...new Set([(i * 7 + 1) % n, (i * 13 + 5) % n, (i + 1) % n])];
}

/** Paths reachable from `/` within `maxDepth` links (the home page is depth 0). */
export function reachable(n: number, maxDepth: number): Map<string, number> {
  const depth = new Map<string, number>([['/', 0]]);
  const start = ['/p/0', '/private/secret', ...HOSTILE];
  let frontier: string[] = [];
  for (const path of start) {
    if (maxDepth >= 1 && !path.startsWith('/private')) {
      depth.set(path, 1);
      frontier.push(path);
    }
  }
  for (let d = 2; d <= maxDepth; d++) {
    const next: string[] = [];
    for (const path of frontier) {
      if (!path.startsWith('/p/')) continue;
      for (const j of linksOf(Number(path.slice(3)), n)) {
        const target = `/p/${j}`;
        if (!depth.has(target)) {
          depth.set(target, d);
          next.push(target);
        }
      }
    }
    frontier = next;
  }
  return depth;
}

const page = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;

/** Starts the site with `n` generated pages. */
export async function startCrawlSite(n = 300): Promise<FixtureSite> {
  let origin = '';
  const html = (res: Parameters<Handler>[1], body: string) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(body);
  };
  const extra: Record<string, Handler> = {
    '/robots.txt': (_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('User-agent: *\nDisallow: /private\n');
    },
    '/': (_req, res) =>
      html(
        res,
        page(
          'Home',
          `<a href="/p/0">start</a> <a href="/private/secret">secret</a> ` +
            HOSTILE.map((path) => `<a href="${path}">${path}</a>`).join(' '),
        ),
      ),
    '/private/secret': (_req, res) => html(res, page('Secret', '')),
  };
  for (let i = 0; i < n; i++) {
    extra[`/p/${i}`] = (_req, res) => {
      const variants = [
        (j: number) => `<a href="../p/${j}">relative</a>`,
        (j: number) =>
          `<a href="${origin.replace('http://', 'HTTP://')}/p/${j}#section">absolute, upper-case scheme</a>`,
        (j: number) => `<a href="/p/${j}#top">root-relative with fragment</a>`,
      ];
      const links = [
        ...linksOf(i, n).map((j, k) => variants[k % variants.length](j)),
        `<a href="#self">self</a>`,
        `<a href="/private/secret?from=${i}">disallowed</a>`,
        `<a href="mailto:team@example.org">mail</a>`,
      ];
      html(res, page(`Page ${i}`, links.join('\n')));
    };
  }
  const site = await startFixtureSite('127.0.0.1', extra);
  origin = site.url;
  return site;
}
