// What a URL the crawler fetches must be: without TypeBox, so workers (runtime.ts) use it without the schemas.

/** JSON Schema format of a URL the crawler can fetch: see {@link isFetchableUrl}. */
export const HTTP_URL_FORMAT = 'http-url';

/**
 * Whether `value` is an absolute http:// or https:// URL that the URL parser
 * takes, without whitespace or credentials (the crawler never sends
 * user:password@): not `ftp://a.test/`, `http:/a.test`, `http://a.test:99999/`.
 */
export function isFetchableUrl(value: string): boolean {
  if (!/^https?:\/\//i.test(value) || /\s/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** What a URL field must be, in the words of a validation error. */
export const HTTP_URL_RULE = 'must be an absolute http:// or https:// URL, without user:password@';
