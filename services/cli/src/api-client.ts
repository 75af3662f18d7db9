import { CliError, EXIT } from './errors.js';

/** A reply of the API: status and parsed JSON body. */
export interface ApiReply {
  status: number;
  body: Record<string, unknown>;
}

/** Talks to the crawlfleet HTTP API, turning transport trouble into clear CLI errors. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly key: string | undefined,
  ) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.key ? { authorization: `Bearer ${this.key}` } : {}), ...extra };
  }

  /** Sends a request; 401 and 5xx and no answer at all become CliErrors. */
  async request(method: string, path: string, body?: unknown, accept = 'application/json'): Promise<Response> {
    let reply: Response;
    try {
      reply = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: this.headers({ accept, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }),
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (err as Error).message;
      throw new CliError(
        EXIT.unavailable,
        `cannot reach the crawlfleet API at ${this.baseUrl} (${why}); is it running? (--url or CRAWLFLEET_URL)`,
      );
    }
    if (reply.status === 401) {
      throw new CliError(
        EXIT.unauthorized,
        `the API refused the key (${this.key ? 'wrong key' : 'no key given'}); pass --key or set CRAWLFLEET_KEY`,
      );
    }
    if (reply.status >= 500) {
      const text = await reply.text();
      throw new CliError(EXIT.unavailable, `the API answered ${reply.status}: ${messageOf(text)}`);
    }
    return reply;
  }

  /** A JSON request; any other 4xx becomes a CliError (exit 1) with the API's message. */
  async json(method: string, path: string, body?: unknown): Promise<ApiReply> {
    const reply = await this.request(method, path, body);
    const text = await reply.text();
    if (reply.status >= 400) throw new CliError(EXIT.failed, `the API answered ${reply.status}: ${messageOf(text)}`);
    return { status: reply.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }
}

function messageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: string; code?: string };
    return body.code ? `${body.code}: ${body.message}` : (body.message ?? text);
  } catch {
    return text.slice(0, 200);
  }
}
