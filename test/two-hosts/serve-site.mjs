// A fixture site run as its own process inside a test host (network
// namespace). Usage: node serve-site.mjs <host> <port> <pages> <delayMs> <hitsFile>
// /p/<i>: a page linking to three others and the next; /slow?ms=N: answers
// after N ms. Every request's path is counted into <hitsFile> (JSON).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [host, port, pagesArg, delayArg, hitsFile] = process.argv.slice(2);
const pages = Number(pagesArg);
const delayMs = Number(delayArg);
const hits = {};
let dirty = false;
setInterval(() => {
  if (!dirty) return;
  dirty = false;
  writeFileSync(hitsFile, JSON.stringify(hits));
}, 50);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://site');
  hits[url.pathname] = (hits[url.pathname] ?? 0) + 1;
  dirty = true;
  const page = /^\/p\/(\d+)$/.exec(url.pathname);
  if (url.pathname === '/slow') {
    setTimeout(() => res.end('<title>slow</title>'), Number(url.searchParams.get('ms') ?? 1000));
    return;
  }
  if (!page || Number(page[1]) >= pages) {
    res.statusCode = 404;
    res.end();
    return;
  }
  const i = Number(page[1]);
  const links = [(i + 1) % pages, (i * 7 + 3) % pages, (i * 13 + 5) % pages, (i * 31 + 11) % pages];
  setTimeout(() => {
    res.setHeader('content-type', 'text/html');
    res.end(`<title>Page ${i}</title>${links.map((j) => `<a href="/p/${j}">${j}</a>`).join(' ')}`);
  }, delayMs);
});
server.listen(Number(port), host, () => process.stdout.write('site ready\n'));
process.on('SIGTERM', () => {
  writeFileSync(hitsFile, JSON.stringify(hits));
  process.exit(0);
});
