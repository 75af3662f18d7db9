import { STATUS_CODES, request } from 'node:http';

/** A reply to a raw request. */
export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * Sends `method path` exactly as written (node:http does not normalize or
 * re-encode the path, unlike fetch), to a server on 127.0.0.1.
 */
export function raw(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error(`no answer to ${method} ${path} in 10 s`)));
    req.end(body);
  });
}

/** Percent-encodings of one character: as is, %hh lower-case hex, %HH upper-case hex. */
function spellingsOf(char: string): string[] {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  const forms = new Set([char, `%${hex.toLowerCase()}`, `%${hex.toUpperCase()}`]);
  if (char.toUpperCase() !== char.toLowerCase())
    forms.add(char === char.toLowerCase() ? char.toUpperCase() : char.toLowerCase());
  return [...forms];
}

/** Every spelling of `word` with each character in each of its forms (bounded by `limit`, spread evenly). */
export function spellings(word: string, limit = 200): string[] {
  let all = [''];
  for (const char of word) all = all.flatMap((prefix) => spellingsOf(char).map((form) => prefix + form));
  if (all.length <= limit) return all;
  const step = all.length / limit;
  return Array.from({ length: limit }, (_, i) => all[Math.floor(i * step)]);
}

/** Something that answers fastify's inject() (an app under test); its own reply type comes back. */
export interface Injectable {
  inject(options: { method: 'POST'; url: string; headers: Record<string, string>; payload: string }): Promise<unknown>;
}

/** POSTs `body` as JSON (a string is sent as it is) through inject(). */
export function postJson<A extends Injectable>(
  app: A,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): ReturnType<A['inject']> {
  return app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  }) as ReturnType<A['inject']>;
}

/** The API's error reply: `{statusCode, error, code, message}`, and `field` when given. */
export function errorBody(statusCode: number, code: string, message: string, field?: string) {
  return { statusCode, error: STATUS_CODES[statusCode], code, message, ...(field === undefined ? {} : { field }) };
}
