import { describe, expect, it } from 'vitest';
import { decodeHtml, metaCharset } from './charset.js';

/* The WHATWG sniffing order: BOM, Content-Type, <meta> in the first 1,024 bytes, else UTF-8. */

const latin1 = (text: string) => Buffer.from(text, 'latin1');
const page = (head: string, body = 'caf\u00e9 na\u00efve \u00a3') =>
  `<html><head>${head}</head><body>${body}</body></html>`;

describe('decodeHtml', () => {
  it('takes a byte order mark first, whatever the header says', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(page(''), 'utf8')]);
    expect(decodeHtml(bom, 'text/html; charset=iso-8859-1')).toMatchObject({ charset: 'utf-8', source: 'bom' });
    expect(decodeHtml(bom, null).html).toContain('café naïve £');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(page(''), 'utf16le')]);
    expect(decodeHtml(utf16, null)).toMatchObject({ charset: 'utf-16le', source: 'bom' });
    expect(decodeHtml(utf16, null).html).toContain('café');
  });

  it('then the Content-Type charset, over a <meta>', () => {
    const body = latin1(page('<meta charset="utf-8">'));
    expect(decodeHtml(body, 'text/html; charset=ISO-8859-1')).toMatchObject({
      charset: 'windows-1252',
      source: 'header',
    });
    expect(decodeHtml(body, 'text/html; charset=ISO-8859-1').html).toContain('café naïve £');
  });

  it('then <meta charset> or the http-equiv form in the first 1,024 bytes', () => {
    expect(decodeHtml(latin1(page('<meta charset="windows-1252">')), 'text/html')).toMatchObject({
      charset: 'windows-1252',
      source: 'meta',
    });
    const equiv = latin1(page('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">'));
    const decoded = decodeHtml(equiv, 'text/html');
    expect(decoded).toMatchObject({ charset: 'windows-1252', source: 'meta' });
    expect(decoded.html).toContain('café naïve £');
    const shiftJis = Buffer.concat([
      Buffer.from('<html><head><meta charset="shift_jis"></head><body>'),
      Buffer.from([0x93, 0xfa, 0x96, 0x7b]), // 日本
      Buffer.from('</body></html>'),
    ]);
    expect(decodeHtml(shiftJis, null).html).toContain('日本');
  });

  it('else UTF-8; a <meta> past 1,024 bytes or naming UTF-16 does not count', () => {
    expect(decodeHtml(Buffer.from(page(''), 'utf8'), 'text/html')).toMatchObject({
      charset: 'utf-8',
      source: 'default',
    });
    const late = latin1(page(`${' '.repeat(1100)}<meta charset="windows-1252">`));
    expect(decodeHtml(late, null).source).toBe('default');
    expect(metaCharset(latin1('<meta charset="utf-16">'))).toBe('utf-8');
    expect(metaCharset(latin1('<meta charset="no-such-encoding">'))).toBeNull();
  });

  it('reads a hostile head in linear time', () => {
    const hostile = latin1(`<meta ${'charset= '.repeat(100_000)}`);
    const started = performance.now();
    expect(decodeHtml(hostile, null).source).toBe('default');
    expect(performance.now() - started).toBeLessThan(500);
  });
});
