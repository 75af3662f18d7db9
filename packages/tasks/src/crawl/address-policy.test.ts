import { describe, expect, it } from 'vitest';
import { addressPolicy, isIpLiteral } from './address-policy.js';

describe('address policy', () => {
  const strict = addressPolicy(false);
  const open = addressPolicy(true);

  it.each([
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.5',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '100.64.0.1',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '[::1]',
    // IPv4-compatible (::/96, as URLs spell [::127.0.0.1]), unallocated, NAT64: ipaddr.js calls the first two unicast.
    '::7f00:1',
    '4000::1',
    '64:ff9b::7f00:1',
  ])('refuses %s by default and allows it when private networks are allowed', (address) => {
    expect(strict(address)).toBe(false);
    expect(open(address)).toBe(true);
  });

  it.each(['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111'])('allows public %s', (address) => {
    expect(strict(address)).toBe(true);
  });

  it('tells IP literals from names', () => {
    expect(isIpLiteral('[::1]')).toBe(true);
    expect(isIpLiteral('127.0.0.1')).toBe(true);
    expect(isIpLiteral('localhost')).toBe(false);
  });
});
