import { brotliCompressSync, gzipSync } from 'node:zlib';
import { startFixtureSite, type FixtureSite, type Handler } from '@crawlfleet/testkit';

export type HostileSite = FixtureSite;
type Route = Handler;

/*
 * A local site that serves what a hostile web page can: compressed bodies
 * that stall or are cut off, pages with tens of thousands of links or
 * unclosed tags. Served by the fixture site, which logs every request with
 * its time, so tests assert bounds.
 */

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

/** The fixture site on 127.0.0.1 and a free port, with the hostile routes, no robots.txt (404), and `extra`. */
export async function startHostileSite(extra: Record<string, Route> = {}): Promise<HostileSite> {
  const noRobots: Route = (_req, res) => {
    res.statusCode = 404;
    res.end();
  };
  return startFixtureSite('127.0.0.1', { ...routes, '/robots.txt': noRobots, ...extra });
}
