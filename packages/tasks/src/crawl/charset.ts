/*
 * A page's character encoding, found as the WHATWG encoding sniffing algorithm
 * orders it: a byte order mark, then the Content-Type header's charset, then a
 * <meta charset> or <meta http-equiv="Content-Type"> in the first 1,024 bytes,
 * else UTF-8. Decoding is Node's TextDecoder (WHATWG labels, full ICU).
 */

/** How far into the body a <meta> charset is looked for (the WHATWG prescan's window). */
const PRESCAN_BYTES = 1024;

/** Where a page's encoding came from. */
export type CharsetSource = 'bom' | 'header' | 'meta' | 'default';

/** The encoding's WHATWG name for a label, or null when TextDecoder does not know it. */
function encodingOf(label: string): string | null {
  try {
    return new TextDecoder(label.trim()).encoding;
  } catch {
    return null;
  }
}

function fromBom(body: Buffer): string | null {
  if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) return 'utf-8';
  if (body[0] === 0xfe && body[1] === 0xff) return 'utf-16be';
  if (body[0] === 0xff && body[1] === 0xfe) return 'utf-16le';
  return null;
}

/** The charset a Content-Type names, if a known one. */
export function headerCharset(contentType: string | null): string | null {
  const label = /charset\s*=\s*"?([\w.:-]+)/i.exec(contentType ?? '')?.[1];
  return label ? encodingOf(label) : null;
}

/**
 * A <meta charset> or http-equiv Content-Type in the first 1,024 bytes. Read
 * as latin1 (each byte a character: the labels are ASCII); the patterns are
 * bounded and linear. A UTF-16 label there means UTF-8 (the spec's rule: an
 * ASCII-compatible document cannot be UTF-16).
 */
export function metaCharset(body: Buffer): string | null {
  const head = body.subarray(0, PRESCAN_BYTES).toString('latin1');
  for (const tag of head.match(/<meta\b[^>]{0,512}>/gi) ?? []) {
    // <meta charset="…">, and http-equiv's content="text/html; charset=…" by the same pattern.
    const label = /\bcharset\s*=\s*["']?\s*([\w.:-]{1,40})/i.exec(tag)?.[1];
    if (!label) continue;
    const encoding = encodingOf(label);
    if (encoding) return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
  }
  return null;
}

/** The body decoded, and which encoding and from where. */
export function decodeHtml(
  body: Buffer,
  contentType: string | null,
): { html: string; charset: string; source: CharsetSource } {
  const bom = fromBom(body);
  const [charset, source]: [string, CharsetSource] = bom
    ? [bom, 'bom']
    : ((): [string, CharsetSource] => {
        const header = headerCharset(contentType);
        if (header) return [header, 'header'];
        const meta = metaCharset(body);
        return meta ? [meta, 'meta'] : ['utf-8', 'default'];
      })();
  // TextDecoder drops a BOM of its own encoding.
  return { html: new TextDecoder(charset).decode(body), charset, source };
}
