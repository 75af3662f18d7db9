import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { brotliCompressSync, gzipSync } from 'node:zlib';

/*
 * A local site that serves what a hostile web page can: compressed bodies
 * that stall or are cut off, pages with tens of thousands of links or
 * unclosed tags, robots.txt rules built to backtrack, pages linking to many
 * origins. Every request is logged with its time, so tests assert bounds.
 */

export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface HostileSite {
  url: string;
  port: number;
  /** Requests by path (query excluded). */
  hits: Map<string, number>;
  /** Every request: path with query, and when it came. */
  log: { path: string; at: number }[];
  /** Adds or replaces a route. */
  route(path: string, handler: Route): void;
  close(): Promise<void>;
}

export const html = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;

const page = html('Compressed', `<p>${'words '.repeat(20_000)}</p>`);
const encoded = { gzip: gzipSync(page), br: brotliCompressSync(page) };

/** Sends the first third of a compressed page, then either nothing more (stall) or a reset (cut). */
function partial(encoding: 'gzip' | 'br', end: 'stall' | 'cut'): Route {
  return (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': encoding });
    const body = encoded[encoding];
    res.write(body.subarray(0, Math.floor(body.length / 3)));
    if (end === 'cut') setTimeout(() => res.socket?.destroy(), 50);
  };
}

/** A page of `count` distinct links. */
export function manyLinks(count: number, prefix = '/l/'): string {
  const links: string[] = [];
  for (let i = 0; i < count; i++) links.push(`<a href="${prefix}${i}">${i}</a>`);
  return html(`${count} links`, links.join(''));
}

const routes: Record<string, Route> = {
  '/gzip-stall': partial('gzip', 'stall'),
  '/gzip-cut': partial('gzip', 'cut'),
  '/br-stall': partial('br', 'stall'),
  '/br-cut': partial('br', 'cut'),
  '/links-50000': (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(manyLinks(50_000));
  },
  '/unclosed-100000': (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(html('Unclosed', `${'<div><span><a href="/u">'.repeat(100_000)}`));
  },
};

/** Starts the site on 127.0.0.1 and a free port. */
export async function startHostileSite(extra: Record<string, Route> = {}): Promise<HostileSite> {
  const hits = new Map<string, number>();
  const log: { path: string; at: number }[] = [];
  const handlers: Record<string, Route> = { ...routes, ...extra };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://hostile');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    log.push({ path: `${url.pathname}${url.search}`, at: Date.now() });
    const handler = handlers[url.pathname];
    if (handler) return handler(req, res, url);
    if (url.pathname === '/robots.txt') {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('content-type', 'text/html');
    return res.end(html(`Page ${url.pathname}`, ''));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hits,
    log,
    route: (path, handler) => {
      handlers[path] = handler;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
