import { checkFetchUrl, publicOnly } from '@crawlfleet/tasks';
import fc from 'fast-check';
import ipaddr from 'ipaddr.js';
import { describe, expect, it } from 'vitest';

/*
 * The address policy over generated spellings of IPv4 and IPv6 literals, as
 * a hostile link could write them, against ipaddr.js's own classification.
 * Only the URL check runs: nothing is sent anywhere.
 */

const refused = (url: string): boolean => {
  try {
    checkFetchUrl(url, publicOnly);
    return false;
  } catch (err) {
    expect((err as { code?: string }).code).toBe('CF_ERR_FETCH_REFUSED');
    return true;
  }
};

const byte = fc.integer({ min: 0, max: 255 });
/** IPv4 addresses, weighted towards the ranges that must be refused. */
const ipv4 = fc.oneof(
  fc.tuple(byte, byte, byte, byte),
  fc.tuple(fc.constantFrom(0, 10, 127, 169, 172, 192, 198, 100, 224, 240, 255), byte, byte, byte),
);

/** Ways a URL may spell one IPv4 address; the WHATWG parser reads each as that address. */
function v4Spellings([a, b, c, d]: [number, number, number, number]): string[] {
  const n = ((a << 24) >>> 0) + (b << 16) + (c << 8) + d;
  const hex = (value: number) => value.toString(16);
  return [
    `${a}.${b}.${c}.${d}`,
    String(n),
    `0x${hex(n)}`,
    `0${a.toString(8)}.${b}.${c}.${d}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `0x${hex(a)}.0x${hex(b)}.${c}.${d}`,
    `[::ffff:${a}.${b}.${c}.${d}]`,
    `[::FFFF:${hex((a << 8) + b)}:${hex((c << 8) + d)}]`,
    `[0:0:0:0:0:ffff:${a}.${b}.${c}.${d}]`,
  ];
}

describe('address policy, property-tested', () => {
  it('refuses an IPv4 address in every spelling exactly when ipaddr.js calls it non-unicast', () => {
    fc.assert(
      fc.property(ipv4, (bytes) => {
        const expected = ipaddr.fromByteArray(bytes).range() !== 'unicast';
        for (const host of v4Spellings(bytes)) expect(refused(`http://${host}/`), host).toBe(expected);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses every IPv4-compatible IPv6 address (::/96), whatever the IPv4 inside', () => {
    fc.assert(
      fc.property(ipv4, ([a, b, c, d]) => {
        expect(refused(`http://[::${a}.${b}.${c}.${d}]/`)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  const group = fc.integer({ min: 0, max: 0xffff });
  const ipv6 = fc.oneof(
    fc.array(group, { minLength: 8, maxLength: 8 }),
    fc
      .tuple(
        fc.constantFrom(
          0x2001,
          0x2002,
          0x2606,
          0xfc00,
          0xfd12,
          0xfe80,
          0xff02,
          0x0064,
          0x0100,
          0x3fff,
          0x4000,
          0x8000,
          0,
        ),
        fc.array(group, { minLength: 7, maxLength: 7 }),
      )
      .map(([first, rest]) => [first, ...rest]),
  );

  it('allows an IPv6 address only when ipaddr.js calls it unicast and it is in 2000::/3', () => {
    const global = ipaddr.parseCIDR('2000::/3');
    fc.assert(
      fc.property(ipv6, (groups) => {
        const address = new ipaddr.IPv6(groups);
        const processed = ipaddr.process(address.toString());
        const expected =
          processed.kind() === 'ipv4'
            ? processed.range() !== 'unicast'
            : !(processed.range() === 'unicast' && address.match(global));
        for (const spelt of [address.toString(), address.toNormalizedString(), address.toString().toUpperCase()]) {
          expect(refused(`http://[${spelt}]/`), spelt).toBe(expected);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses [::127.0.0.1] however the URL spells it', () => {
    expect(
      ['http://[::127.0.0.1]/', 'http://[::7f00:1]/', 'http://[0:0:0:0:0:0:7f00:1]/'].filter((url) => !refused(url)),
    ).toEqual([]);
  });
});
