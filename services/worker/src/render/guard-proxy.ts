import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { checkFetchUrl, guardedLookup, isIpLiteral, type AddressPolicy, type LookupFunction } from '@crawlfleet/tasks';

/** What a page's browser traffic may do: the address policy, and how much it may load. */
export interface ProxyLimits {
  policy: AddressPolicy;
  /** Overrides DNS resolution (tests), as for the safe fetch. */
  resolve?: LookupFunction | undefined;
  connectTimeoutMs: number;
  /** Bytes of all of the page's traffic together, both ways (CRAWL_MAX_BYTES): uploads count too. */
  maxBytes: number;
}

/** Marks the proxy's own refusal of a plain http request (the page's document among them). */
export const REFUSED_HEADER = 'x-crawlfleet-refused';

/** Headers a proxy does not pass on (hop by hop, and the proxy's own). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'upgrade',
]);

function passOn(headers: IncomingMessage['headers']): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** host:port of a CONNECT, IPv6 in brackets. */
function authority(target: string): { host: string; port: number } | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/\s]{1,253}):(\d{1,5})$/.exec(target);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) return null;
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/**
 * The proxy every request of one rendered page goes through (the browser
 * context's proxy), so that the page's document, redirects, subresources,
 * XHR/fetch and websockets pass the same address policy as a plain fetch:
 * a plain http request is forwarded, anything else (https, wss) is a CONNECT
 * tunnel; either way the connection is made here, to an address the policy
 * allows after DNS. It also counts the bytes of all traffic, responses and
 * uploads alike, and closes everything past the page's cap. One proxy a page, on a free loopback port.
 */
export class GuardProxy {
  /** What the page asked for and the policy refused (host or URL, and why). */
  readonly refused: string[] = [];
  /** Bytes of this page's traffic: received from upstream and sent to it (a page's uploads count). */
  bytes = 0;
  /** True once the page went past its byte cap (everything is closed then). */
  overLimit = false;
  private readonly sockets = new Set<Duplex>();
  private readonly lookup: ReturnType<typeof guardedLookup>;

  private constructor(
    private readonly server: Server,
    private readonly limits: ProxyLimits,
    private readonly onOverLimit: () => void,
  ) {
    this.lookup = guardedLookup(limits.policy, limits.resolve);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.forward(req, res));
    server.on('connect', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.tunnel(req, socket, head));
    server.on('connection', (socket: Socket) => this.track(socket));
  }

  /** Starts a proxy on 127.0.0.1; `onOverLimit` is called once when the page passes its byte cap. */
  static async open(limits: ProxyLimits, onOverLimit: () => void): Promise<GuardProxy> {
    const server = createServer();
    const proxy = new GuardProxy(server, limits, onOverLimit);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  /** http://127.0.0.1:<port>, for the browser context. */
  get url(): string {
    const address = this.server.address();
    return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  /** Closes the proxy and every connection through it. */
  close(): void {
    this.server.close();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private track(socket: Duplex): void {
    // Past the cap nothing new goes out: Chromium retries a request whose connection was closed under it.
    if (this.overLimit) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
  }

  private count(bytes: number): void {
    this.bytes += bytes;
    if (this.bytes <= this.limits.maxBytes) return;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    if (this.overLimit) return;
    this.overLimit = true;
    this.onOverLimit();
  }

  private refuse(what: string, why: string): void {
    if (this.refused.length < 100) this.refused.push(`${what}: ${why}`);
  }

  /** A plain http request (absolute URL): sent on from here, after the policy. */
  private forward(req: IncomingMessage, res: ServerResponse): void {
    let target: URL;
    try {
      target = checkFetchUrl(req.url ?? '', this.limits.policy);
      if (target.protocol !== 'http:') throw new Error('only http is forwarded; https goes through CONNECT');
    } catch (err) {
      this.refuse(req.url ?? '', (err as Error).message);
      res.writeHead(403, { 'content-type': 'text/plain', [REFUSED_HEADER]: '1' }).end('refused by crawlfleet');
      return;
    }
    const upstream = request(
      {
        host: target.hostname.replace(/^\[|\]$/g, ''),
        port: Number(target.port || 80),
        method: req.method,
        path: `${target.pathname}${target.search}`,
        headers: passOn(req.headers),
        lookup: this.lookup,
        agent: false,
        timeout: this.limits.connectTimeoutMs,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, passOn(answer.headers));
        answer.on('data', (chunk: Buffer) => this.count(chunk.length));
        answer.pipe(res);
      },
    );
    upstream.on('socket', (socket) => this.track(socket));
    req.on('data', (chunk: Buffer) => this.count(chunk.length));
    upstream.on('timeout', () => upstream.destroy(new Error('connect timeout')));
    upstream.on('error', (err) => {
      if ((err as { code?: string }).code === 'CF_ERR_FETCH_REFUSED') this.refuse(target.toString(), err.message);
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream failed');
      else res.destroy();
    });
    req.pipe(upstream);
  }

  /** A CONNECT (https, wss): a tunnel to an address the policy allows, its bytes counted. */
  private tunnel(req: IncomingMessage, client: Duplex, head: Buffer): void {
    this.track(client);
    const target = authority(req.url ?? '');
    const refused = (why: string) => {
      this.refuse(req.url ?? '', why);
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n');
    };
    if (!target) return refused('not host:port');
    if (isIpLiteral(target.host) && !this.limits.policy(target.host))
      return refused(`${target.host} is not a public address`);
    const upstream = connect({ host: target.host, port: target.port, lookup: this.lookup });
    this.track(upstream);
    const timer = setTimeout(() => upstream.destroy(new Error('connect timeout')), this.limits.connectTimeoutMs);
    upstream.once('connect', () => {
      clearTimeout(timer);
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      this.count(head.length);
      upstream.on('data', (chunk: Buffer) => this.count(chunk.length));
      client.on('data', (chunk: Buffer) => this.count(chunk.length));
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', (err) => {
      clearTimeout(timer);
      if ((err as { code?: string }).code === 'CF_ERR_FETCH_REFUSED') refused(err.message);
      else client.destroy();
    });
    client.once('close', () => upstream.destroy());
  }
}
