import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { inProcessFleet } from './in-process-fleet.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postJson, startFixtureSite, type FixtureSite } from '@crawlfleet/testkit';

/* What a crawled page yields beside its links: metadata, and duplicates within a crawl. */

let app: FastifyInstance;
let fleet: Awaited<ReturnType<typeof inProcessFleet>>;
let site: FixtureSite;

const twin = (next: string) =>
  `<html><head><title>Twin</title></head><body><p>The same words.</p><a href="${next}">next</a></body></html>`;

/** A page with all markdown knows, in a frame of navigation. */
const article = (next: string) => `<html><head><title>Guide</title></head><body>
<nav><a href="/home">Home nav</a></nav><header><p>Site header</p></header>
<main><h1>Guide</h1><h2>Steps</h2><p>Read <em>this</em> and <strong>that</strong>, then <a href="${next}">go on</a>.</p>
<ul><li>first</li><li>second</li></ul><table><tr><th>Key</th><th>Value</th></tr><tr><td>a</td><td>1</td></tr></table>
<pre><code>npm start</code></pre></main><aside>Sidebar ads</aside><footer>Footer text</footer></body></html>`;

beforeAll(async () => {
  site = await startFixtureSite('127.0.0.1', {
    '/meta': (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/html',
        etag: '"v1"',
        'last-modified': 'Tue, 01 Dec 2026 06:00:00 GMT',
      });
      res.end(
        '<html lang="en-GB"><head><title> About  us </title><meta name="Description" content="  Who we\n are ">' +
          '<link rel="alternate canonical" href="/about?ref=1#x"><script>var hidden = "not text";</script>' +
          '<meta property="og:image" content="/img/team.jpg"></head>' +
          '<body><h1>About</h1><p>We  crawl.</p><style>p { color: red }</style></body></html>',
      );
    },
    '/twins': (_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end('<html><body><a href="/twin-a">a</a> <a href="/twin-b">b</a></body></html>');
    },
    '/article': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(article('/article-next')),
    '/article-next': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(article('/article')),
    '/big': (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<html><body><main><p>${'big words '.repeat(330 * 1024)}</p></main></body></html>`);
    },
    '/twin-a': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(twin('/after-a')),
    '/twin-b': (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(twin('/after-b')),
  });
  // 3 MiB pages pass the body cap; content is stored up to 1 MiB a page and 2.5 MiB a crawl.
  const env = {
    CRAWL_ALLOW_PRIVATE_NETWORKS: 'true',
    CRAWL_MAX_BYTES: String(4 * 1024 * 1024),
    CRAWL_MAX_STORED_BYTES_PER_CRAWL: String(2.5 * 1024 * 1024),
  };
  fleet = await inProcessFleet(env);
  app = fleet.app;
});
afterAll(async () => {
  await fleet.close();
  await site.close();
});

describe('page metadata', () => {
  it('comes with every crawl job result: title, description, canonical, lang, validators, contentHash', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=10000', { url: `${site.url}/meta` });
    expect(reply.json().result.metadata).toEqual({
      title: 'About us',
      description: 'Who we are',
      canonical: `${site.url}/about?ref=1`,
      lang: 'en-GB',
      etag: '"v1"',
      lastModified: 'Tue, 01 Dec 2026 06:00:00 GMT',
      contentHash: createHash('sha256').update('About us About We crawl.').digest('hex'),
      charset: 'utf-8',
      image: `${site.url}/img/team.jpg`,
    });
  });

  it('adds mainContentHash with content formats: one for the same words however the page is written', async () => {
    const pages: Record<string, string> = {
      '/main-a':
        '<nav><a href="/x">Home</a></nav><article><p>Don&rsquo;t panic. The <b>ferry</b> is back.</p></article>',
      '/main-b':
        '<nav><a href="/y">Start</a><a href="/z">More</a></nav><article>\n<p>Don’t panic.\n  The ferry is <i>back</i>.</p>' +
        '<img src="/i.png"></article><footer>new footer</footer>',
    };
    for (const [path, body] of Object.entries(pages))
      site.route(path, (_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(`<html><body>${body}</body></html>`);
      });
    const read = async (path: string, formats: string[]) =>
      (await postJson(app, '/v1/jobs/crawl?wait=10000', { url: `${site.url}${path}`, formats })).json().result.metadata;
    const [a, b] = [await read('/main-a', ['markdown']), await read('/main-b', ['text'])];
    expect(a.mainContentHash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.mainContentHash).toBe(a.mainContentHash);
    expect(b.contentHash).not.toBe(a.contentHash);
    expect(b.image).toBe(`${site.url}/i.png`);
    // The simhash of the same words is the same too (through the API: the schema lets it out).
    expect(a.simhash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.simhash).toBe(a.simhash);
    const plain = await read('/main-a', []);
    expect(plain.mainContentHash).toBeUndefined();
    expect(plain.simhash).toBeUndefined();
  });
});

describe('duplicates within a crawl', () => {
  it('folds one long article under other menus into one page; short main content is not enough', async () => {
    const story = `<p>${'The ferry is back after forty years, and the town is glad of it, say the residents. '.repeat(12)}</p>`;
    const shell = (nav: string, main: string, links: string) =>
      `<html><body><nav>${nav}</nav><article>${main}</article><footer>${links}</footer></body></html>`;
    const routes: Record<string, string> = {
      '/hub': shell(
        '',
        '<p>Two copies of one story, and two short pages.</p>',
        ['/copy-1', '/copy-2', '/short-1', '/short-2'].map((href) => `<a href="${href}">x</a>`).join(' '),
      ),
      '/copy-1': shell('<a href="/home">Home</a>', story, '<a href="/end-1">one</a>'),
      '/copy-2': shell('<a href="/start">Start</a><a href="/more">More</a>', story, '<a href="/end-2">two</a>'),
      '/short-1': shell('<a href="/home">Home</a>', '<p>Tag: ferries</p>', '<a href="/a">a</a>'),
      '/short-2': shell('<a href="/home">Home</a>', '<p>Tag: ferries</p>', '<a href="/b">b</a>'),
    };
    for (const [path, html] of Object.entries(routes))
      site.route(path, (_req, res) => {
        res.setHeader('content-type', 'text/html');
        res.end(html);
      });
    const start = await postJson(app, '/v1/crawls', { url: `${site.url}/hub`, maxDepth: 1, formats: ['markdown'] });
    const { url } = start.json<{ url: string }>();
    expect((await app.inject({ url: `${url}?wait=15000` })).json().state).toBe('completed');
    const pages = (await app.inject({ url: `${url}/pages` })).json().items as { url: string; duplicateOf?: string }[];
    const of = (path: string) => pages.find((page) => page.url === `${site.url}${path}`)!;
    const copies = [of('/copy-1'), of('/copy-2')];
    expect(copies.filter((page) => page.duplicateOf).length).toBe(1);
    expect(copies.find((page) => page.duplicateOf)!.duplicateOf).toBe(copies.find((page) => !page.duplicateOf)!.url);
    expect(of('/short-1').duplicateOf).toBeUndefined();
    expect(of('/short-2').duplicateOf).toBeUndefined();
  });

  it('marks the second of two pages with one text duplicateOf the first, and follows none of its links', async () => {
    const start = await postJson(app, '/v1/crawls', { url: `${site.url}/twins`, maxDepth: 2 });
    const { url } = start.json<{ url: string }>();
    expect((await app.inject({ url: `${url}?wait=15000` })).json().state).toBe('completed');
    const pages = (await app.inject({ url: `${url}/pages` })).json().items as {
      url: string;
      duplicateOf?: string;
      metadata: unknown;
    }[];
    const twins = pages.filter((page) => page.url.includes('/twin-'));
    expect(twins).toHaveLength(2);
    const [original, copy] = twins[0].duplicateOf ? [twins[1], twins[0]] : [twins[0], twins[1]];
    expect(original.duplicateOf).toBeUndefined();
    expect(copy.duplicateOf).toBe(original.url);
    const after = (page: { url: string }) => `/after-${page.url.endsWith('a') ? 'a' : 'b'}`;
    expect(site.hits.get(after(original))).toBe(1);
    expect(site.hits.get(after(copy))).toBeUndefined();
    expect(pages.every((page) => page.metadata !== undefined)).toBe(true);
  });
});

describe('formats', () => {
  it('returns a crawl job page as markdown, main content only by default', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=10000', {
      url: `${site.url}/article`,
      formats: ['markdown', 'text'],
    });
    const { result } = reply.json();
    expect(result.markdown).toBe(
      [
        '# Guide',
        '## Steps',
        `Read _this_ and **that**, then [go on](${site.url}/article-next).`,
        '- first\n- second',
        '| Key | Value |\n| --- | ----- |\n| a   | 1     |',
        '```\nnpm start\n```',
      ].join('\n\n'),
    );
    expect(result.text).toBe(
      'Guide\nSteps\nRead this and that, then go on.\nfirst\nsecond\nKey\nValue\na\n1\nnpm start',
    );
    expect(result.html).toBeUndefined();
  });

  it('keeps nav, header, aside and footer with onlyMainContent: false', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=10000', {
      url: `${site.url}/article`,
      formats: ['markdown'],
      onlyMainContent: false,
    });
    const { markdown } = reply.json().result as { markdown: string };
    for (const frame of ['Home nav', 'Site header', 'Sidebar ads', 'Footer text']) expect(markdown).toContain(frame);
  });

  it('computes and stores nothing extra when no formats are asked', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=10000', { url: `${site.url}/article` });
    const { result } = reply.json();
    for (const field of ['markdown', 'text', 'html', 'truncated']) expect(result).not.toHaveProperty(field);
  });

  it('refuses an unknown format with a 400 naming formats', async () => {
    for (const path of ['/v1/jobs/crawl', '/v1/crawls']) {
      const reply = await postJson(app, path, { url: `${site.url}/article`, formats: ['markdown', 'pdf'] });
      expect(reply.statusCode).toBe(400);
      expect(reply.json()).toMatchObject({ code: 'CF_ERR_VALIDATION', field: expect.stringMatching(/^body\.formats/) });
    }
  });

  it('stores each crawled page with its content, the links as a list with formats: ["links"]', async () => {
    const start = await postJson(app, '/v1/crawls', {
      url: `${site.url}/article`,
      maxDepth: 1,
      include: ['/article*'],
      formats: ['markdown', 'html', 'links'],
    });
    const { url } = start.json<{ url: string }>();
    const crawl = (await app.inject({ url: `${url}?wait=15000` })).json();
    expect(crawl.options).toMatchObject({ formats: ['markdown', 'html', 'links'], onlyMainContent: true });
    const ndjson = await app.inject({ url: `${url}/pages`, headers: { accept: 'application/x-ndjson' } });
    const records = ndjson.body
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records.map((record) => record.url).sort()).toEqual([`${site.url}/article`, `${site.url}/article-next`]);
    for (const record of records) {
      expect(record.markdown).toMatch(/^# Guide\n\n## Steps/);
      expect(record.html).toMatch(/^<main><h1>Guide<\/h1>/);
      expect(record.links).toEqual([`${site.url}/home`, expect.stringMatching(/\/article(-next)?$/)]);
    }
    expect(crawl.stats.storedBytes).toBeGreaterThan(0);
    expect(crawl.stats.notStored).toBe(0);
    const listed = (await app.inject({ url: `${url}/pages` })).json().items as Record<string, unknown>[];
    expect(listed.map((record) => record.markdown)).toEqual(records.map((record) => record.markdown));
  });

  it('stores a 3 MiB page cut at CRAWL_MAX_STORED_BYTES with truncated: true', async () => {
    const reply = await postJson(app, '/v1/jobs/crawl?wait=15000', { url: `${site.url}/big`, formats: ['text'] });
    const { result } = reply.json();
    expect(result.bytes).toBeGreaterThan(3 * 1024 * 1024);
    expect(Buffer.byteLength(result.text as string)).toBe(1024 * 1024);
    expect(result.truncated).toBe(true);
  });

  it('stops storing content past CRAWL_MAX_STORED_BYTES_PER_CRAWL, and the stats say so', async () => {
    for (let i = 0; i < 3; i++) site.route(`/big-${i}`, (_req, res) => res.writeHead(302, { location: '/big' }).end());
    site.route('/bigs', (_req, res) =>
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<a href="/big-0">0</a><a href="/big-1">1</a><a href="/big-2">2</a>'),
    );
    const start = await postJson(app, '/v1/crawls', { url: `${site.url}/bigs`, maxDepth: 1, formats: ['text'] });
    const { url } = start.json<{ url: string }>();
    const crawl = (await app.inject({ url: `${url}?wait=20000` })).json();
    expect(crawl.state).toBe('completed');
    // The seed's few bytes and two 1 MiB texts fit in 2.5 MiB; the third does not.
    expect(crawl.stats.notStored).toBe(1);
    expect(crawl.stats.storedBytes).toBeLessThanOrEqual(2.5 * 1024 * 1024);
    const records = (await app.inject({ url: `${url}/pages` })).json().items as Record<string, unknown>[];
    const unstored = records.filter((record) => record.text === undefined);
    expect(unstored).toHaveLength(1);
    expect(unstored[0]).toMatchObject({ truncated: true, status: 200 });
  });
});

describe('character encodings', () => {
  it('decodes a page without a charset header by its <meta>, and says which encoding it used', async () => {
    const body = Buffer.from(
      '<html><head><meta charset="windows-1252"><title>Caf\u00e9</title></head><body><p>na\u00efve \u00a3</p></body></html>',
      'latin1',
    );
    site.route('/latin1', (_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(body));
    const reply = await app.inject({
      method: 'POST',
      url: '/v1/jobs/crawl?wait=10000',
      payload: { url: `${site.url}/latin1`, formats: ['text'] },
    });
    const { result } = reply.json();
    expect(result.title).toBe('Café');
    expect(result.text).toContain('naïve £');
    expect(result.metadata.charset).toBe('windows-1252');
  });
});
