import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gzipSync } from 'node:zlib';

/**
 * A local site for crawler tests: ordinary pages plus hostile ones. Every
 * request is counted by path, so tests can assert how often a page was hit.
 */
export interface FixtureSite {
  url: string;
  port: number;
  host: string;
  hits: Map<string, number>;
  /** Every request in order: path (with query) and time in ms. */
  log: { path: string; at: number }[];
  /** Adds or replaces the handler of a path. */
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

const html = (title: string, body: string) =>
  `<!doctype html><html><head><title>${title}</title></head><body>${body}</body></html>`;

/** A handler answering an HTML page. */
const page =
  (title: string, body: string): Handler =>
  (_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(html(title, body));
  };

/** A handler answering a redirect. */
const redirect =
  (status: number, location: string): Handler =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };

/** A gzip body that inflates to `size` bytes of zeros. */
const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024));

const pages: Record<string, Handler> = {
  '/': (_req, res) => {
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(
      html(
        '  Home \n page ',
        `
      <a href="/a">A</a> <a href="b.html#section">B</a> <a href="./c/../c/d?x=1#top">D</a>
      <a href="HTTP://EXAMPLE.org:80/Path#frag">ext</a> <a href="mailto:x@example.org">mail</a>
      <a href="javascript:alert(1)">js</a> <a href="data:text/html,hi">data</a> <a href="/a">dup</a>
      <a href="#only-fragment">frag</a> <a href="">empty</a> <a>no href</a> <area href="/area">`,
      ),
    );
  },
  '/base': page(
    'Base',
    '<base href="/docs/v2/"><a href="intro">intro</a><a href="../v1/old">old</a><a href="/root">root</a>',
  ),
  '/redirect': redirect(302, '/moved/here'),
  '/moved/here': page('Moved', '<a href="sibling">sibling</a><a href="../up">up</a>'),
  '/loop': redirect(301, '/loop'),
  '/slow': (_req, res, url) => {
    // Headers at once, then a byte every 100 ms for `ms` (default: forever).
    const total = Number(url.searchParams.get('ms') ?? '0');
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write('<html><head><title>Slow</title></head><body>');
    const started = Date.now();
    const timer = setInterval(() => {
      if (total > 0 && Date.now() - started >= total) {
        clearInterval(timer);
        res.end('</body></html>');
      } else {
        res.write(' ');
      }
    }, 100);
    res.on('close', () => clearInterval(timer));
  },
  '/huge': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let sent = 0;
    const write = () => {
      while (sent < 200 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once('drain', write);
      }
      return res.end();
    };
    res.on('close', () => {
      sent = Infinity;
    });
    write();
  },
  '/bomb': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
    res.end(bomb);
  },
  '/gzip': (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html', 'content-encoding': 'gzip' });
    res.end(gzipSync(html('Zipped', '<a href="/a">a</a>')));
  },
  '/data.json': (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end('{"links": "<a href=\\"/nope\\">"}');
  },
  '/error': (_req, res) => {
    res.statusCode = 500;
    res.end('boom');
  },
  '/missing': (_req, res) => {
    res.statusCode = 404;
    res.setHeader('content-type', 'text/html');
    res.end(html('Not found', ''));
  },
};

/** Serves `/flaky`: 500 on the first hit, then a page. */
function flaky(hits: Map<string, number>): Handler {
  return (_req, res) => {
    if ((hits.get('/flaky') ?? 0) <= 1) {
      res.statusCode = 503;
      res.end('try later');
      return;
    }
    res.setHeader('content-type', 'text/html');
    res.end(html('Flaky', ''));
  };
}

/**
 * Starts the site on `host` (127.0.0.1 by default) and a free port.
 * `extra` adds or replaces handlers by path.
 */
export async function startFixtureSite(host = '127.0.0.1', extra: Record<string, Handler> = {}): Promise<FixtureSite> {
  const hits = new Map<string, number>();
  const log: { path: string; at: number }[] = [];
  const handlers: Record<string, Handler> = { ...pages, '/flaky': flaky(hits), ...extra };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
    log.push({ path: `${url.pathname}${url.search}`, at: Date.now() });
    const handler = handlers[url.pathname];
    if (handler) return handler(req, res, url);
    res.setHeader('content-type', 'text/html');
    return res.end(html(`Page ${url.pathname}`, '<a href="/">home</a>'));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host}:${port}`,
    port,
    host,
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
