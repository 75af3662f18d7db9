import ipaddr from 'ipaddr.js';

/**
 * Decides whether the crawler may connect to an IP address. Only addresses in
 * ipaddr.js's `unicast` range are public; loopback, private, link-local,
 * unique-local, multicast, unspecified, carrier-grade NAT, reserved and
 * translation ranges are refused unless private networks are allowed.
 * IPv4-mapped IPv6 addresses (::ffff:127.0.0.1) are judged as the IPv4 address;
 * other IPv6 addresses must be in 2000::/3.
 */
export type AddressPolicy = (address: string) => boolean;

/** Strips the brackets of an IPv6 literal as it appears in a URL's host. */
export function unbracket(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** True when `host` is an IPv4 or IPv6 literal (brackets allowed). */
export function isIpLiteral(host: string): boolean {
  return ipaddr.isValid(unbracket(host));
}

/** The range name ipaddr.js gives an address, or `invalid`. */
export function addressRange(address: string): string {
  const host = unbracket(address);
  if (!ipaddr.isValid(host)) return 'invalid';
  return ipaddr.process(host).range();
}

/** The only IPv6 block handed out for public unicast (IANA); ipaddr.js calls more of the space `unicast`. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

/**
 * Public unicast addresses only. For IPv6 that is also inside 2000::/3, which
 * leaves out the IPv4-compatible ::/96 (`[::127.0.0.1]`, which URLs spell
 * `[::7f00:1]` and ipaddr.js takes for unicast) and every unallocated block.
 */
export const publicOnly: AddressPolicy = (address) => {
  const host = unbracket(address);
  if (!ipaddr.isValid(host)) return false;
  const parsed = ipaddr.process(host);
  if (parsed.range() !== 'unicast') return false;
  return parsed.kind() === 'ipv4' || (parsed as ipaddr.IPv6).match(GLOBAL_UNICAST_V6);
};

/** Any valid address (for `CRAWL_ALLOW_PRIVATE_NETWORKS=true`). */
export const anyAddress: AddressPolicy = (address) => addressRange(address) !== 'invalid';

/** The policy for the configured setting. */
export function addressPolicy(allowPrivateNetworks: boolean): AddressPolicy {
  return allowPrivateNetworks ? anyAddress : publicOnly;
}
