import { pipeline, type Readable, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { BodyTooLargeError } from '../errors.js';

/** A decompressor for a Content-Encoding, or null for identity/unknown. */
function decoderFor(encoding: string | undefined): Transform | null {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return null;
  }
}

/**
 * Reads a response body, decompressing it, and stops as soon as more than
 * `maxBytes` have come out of the decompressor (so a gzip bomb costs at most
 * the cap), or with `truncate` keeps the first `maxBytes` and stops there.
 * Returns the bytes when `keep` is set, else only their count.
 *
 * Socket and decoder are joined by `stream.pipeline`, so an abort (the
 * fetch's deadline) or a connection cut mid-body destroys both and the read
 * settles; `body.pipe(decoder)` would leave the decoder waiting for ever.
 */
export async function readBody(
  body: Readable,
  options: { url: string; encoding: string | undefined; maxBytes: number; keep: boolean; truncate?: boolean },
): Promise<{ bytes: number; data: Buffer | null }> {
  const decoder = decoderFor(options.encoding);
  // Errors reach the iteration below through the decoder; the callback only keeps them from being unhandled.
  const source: AsyncIterable<Buffer> = decoder ? pipeline(body, decoder, () => {}) : body;
  const chunks: Buffer[] = [];
  let bytes = 0;
  try {
    for await (const chunk of source) {
      if (bytes + chunk.length > options.maxBytes) {
        if (!options.truncate) throw new BodyTooLargeError(options.url, options.maxBytes);
        if (options.keep) chunks.push(chunk.subarray(0, options.maxBytes - bytes));
        bytes = options.maxBytes;
        break;
      }
      bytes += chunk.length;
      if (options.keep) chunks.push(chunk);
    }
  } finally {
    // Stop reading at once; the abort errors that follow are expected.
    body.on('error', () => {});
    decoder?.on('error', () => {});
    decoder?.destroy();
    body.destroy();
  }
  return { bytes, data: options.keep ? Buffer.concat(chunks, bytes) : null };
}
