import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { Agent } from 'undici';
import { FetchRefusedError } from '../errors.js';
import type { AddressPolicy } from './address-policy.js';

/** `dns.lookup`'s shape, as `net.connect` calls it. */
export type LookupFunction = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void,
) => void;

type Callback = Parameters<LookupFunction>[2];

/**
 * Wraps a DNS lookup so that only addresses the policy allows are returned.
 * This runs for every connection, redirects included, after resolution, so a
 * name that resolves to a private address (or is rebound to one) is refused
 * before any packet is sent to it.
 */
export function guardedLookup(policy: AddressPolicy, resolve: LookupFunction = dnsLookup) {
  return (hostname: string, options: LookupOptions, callback: Callback): void => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const list = (addresses as LookupAddress[]).filter((entry) => policy(entry.address));
      const first = list[0];
      if (!first) {
        const seen = (addresses as LookupAddress[]).map((entry) => entry.address).join(', ');
        const refused = new FetchRefusedError(hostname, `it resolves to a non-public address (${seen})`);
        return callback(refused, []);
      }
      if (options.all) return callback(null, list);
      return callback(null, first.address, first.family);
    });
  };
}

/** An undici Agent whose connections go only to addresses the policy allows. */
export function createGuardedAgent(options: {
  policy: AddressPolicy;
  connectTimeoutMs: number;
  resolve?: LookupFunction | undefined;
}): Agent {
  return new Agent({
    connect: {
      timeout: options.connectTimeoutMs,
      lookup: guardedLookup(options.policy, options.resolve),
    },
    keepAliveTimeout: 10_000,
    connections: 64,
  });
}
