import { createServer, type Server } from 'node:http';
import { startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';

/*
 * Pages that need a browser: their links and text exist only once a script
 * has fetched JSON and written them, and pages that misbehave.
 */

/** Pages /js/0 … /js/<PAGES-1>: each links two others, through its script only. */
export const PAGES = 6;

const shell = (script: string) =>
  `<!doctype html><html><head><title>shell</title></head><body><main id="app"></main><script>${script}</script></body></html>`;

/** The JSON page `n`'s script writes into it. */
export function pageData(n: number) {
  return { text: `Rendered words of page ${n}`, links: [`/js/${(n * 2 + 1) % PAGES}`, `/js/${(n * 2 + 2) % PAGES}`] };
}

const writer = (n: number) => `
fetch('/data/${n}.json').then((r) => r.json()).then((d) => {
  const app = document.getElementById('app');
  const p = document.createElement('p'); p.textContent = d.text; app.appendChild(p);
  for (const href of d.links) { const a = document.createElement('a'); a.href = href; a.textContent = href; app.appendChild(a); }
  document.title = 'Page ${n}';
});`;

/** The fixture site with the script pages, a page that never stops running, and `/evil` (aimed at `target`). */
export async function startRenderSite(target = 'http://127.0.0.2:9'): Promise<FixtureSite> {
  const site = await startFixtureSite();
  const html =
    (body: string) => (_req: unknown, res: { setHeader(n: string, v: string): void; end(b: string): void }) => {
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(body);
    };
  for (let n = 0; n < PAGES; n++) {
    site.route(`/js/${n}`, html(shell(writer(n))));
    site.route(`/data/${n}.json`, (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(pageData(n)));
    });
  }
  site.route('/spin', html(shell('for (;;) {}')));
  // Everything a page can make a browser ask for, aimed at an address the policy refuses.
  const host = new URL(target);
  const named = `http://internal.test:${host.port}`;
  site.route(
    '/evil',
    html(
      `<!doctype html><html><head><title>evil</title><link rel="prefetch" href="${target}/prefetch">` +
        `<link rel="stylesheet" href="${named}/style.css"></head><body><p>evil page</p>` +
        `<img src="${target}/img.png"><iframe src="${target}/frame"></iframe>` +
        `<script>
fetch('${named}/fetch').catch(() => {});
fetch('${target}/fetch-ip').catch(() => {});
try { new WebSocket('ws://${host.host}/ws'); } catch (e) {}
navigator.sendBeacon('${target}/beacon', 'x');
const x = new XMLHttpRequest(); x.open('GET', '${named}/xhr'); x.send();
window.open('${target}/popup');
location.href = '${target}/navigate';
</script></body></html>`,
    ),
  );
  // Four 400 KB scripts: 1.6 MB over the page's responses, past the tests' 1 MB cap (MAX_BYTES).
  site.route('/heavy', html(shell('') + [1, 2, 3, 4].map((n) => `<script src="/blob.js?${n}"></script>`).join('')));
  site.route('/blob.js', (_req, res) => {
    res.setHeader('content-type', 'text/javascript');
    res.end(`/*${'x'.repeat(400 * 1024)}*/`);
  });
  // A few bytes on the wire, a 1.5 MB DOM once its script ran (a comment: nothing to lay out).
  site.route('/grows', html(shell(`document.body.append(document.createComment('x'.repeat(1536 * 1024)));`)));
  site.route('/with-image', html('<!doctype html><title>image</title><img src="/picture.png"><p>a picture</p>'));
  site.route('/picture.png', (_req, res) => {
    res.setHeader('content-type', 'image/png');
    res.end(Buffer.alloc(64));
  });
  site.route('/to-evil', (_req, res) => {
    res.writeHead(302, { location: `${target}/redirected` });
    res.end();
  });
  return site;
}

/** A server on `address` that only records what reaches it (the refused side). */
export async function startWitness(address: string): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    res.end('should never be asked');
  });
  // Any connection at all counts, an HTTP request or not.
  server.on('connection', () => seen.push('tcp connection'));
  server.on('upgrade', (req, socket) => {
    seen.push(`upgrade ${req.url}`);
    socket.destroy();
  });
  server.on('connect', (req, socket) => {
    seen.push(`connect ${req.url}`);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://${address}:${port}`,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
