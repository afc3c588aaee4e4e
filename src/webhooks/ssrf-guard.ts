/**
 * Keeps webhook deliveries out of the host and its networks (SSRF): a literal IP host is judged before
 * connecting; a name is judged on what it resolves to, inside the socket's own `lookup`, so the address
 * checked is the address connected to (no gap for DNS rebinding between a check and the connect).
 */
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { classifyAddress, type AddressClass } from './address-class.ts';

export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';
  readonly host: string;
  readonly address: string;
  readonly addressClass: AddressClass;

  constructor(host: string, address: string, addressClass: AddressClass) {
    const via = host === address ? '' : ` (${host} resolves to it)`;
    super(`refused to send to ${address}${via}: a ${addressClass} address; set webhooks.allowPrivateAddresses to allow it`);
    this.name = 'BlockedAddressError';
    this.host = host;
    this.address = address;
    this.addressClass = addressClass;
  }
}

/** A URL hostname (`[v6]` as URL writes it) that is an IP literal outside the public range, or null. */
export function blockedLiteralHost(hostname: string): BlockedAddressError | null {
  const cls = classifyAddress(hostname);
  if (cls === null || cls === 'public') return null;
  const address = hostname.replace(/^\[|\]$/g, '');
  return new BlockedAddressError(address, address, cls);
}

/** Resolves every address of a name (dns.lookup with `all: true`). */
export type ResolveAll = (
  hostname: string,
  options: LookupOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const resolveAllWithDns: ResolveAll = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, callback);
};

/**
 * A socket `lookup` that refuses the name when any of its addresses is not public (one private record is
 * enough to be a rebinding or internal name). Answers in whichever shape the caller asked for (`all` or not).
 */
export function guardedLookup(resolveAll: ResolveAll = resolveAllWithDns): LookupFunction {
  return (hostname, options, callback) => {
    resolveAll(hostname, { ...options, all: true }, (err, addresses) => {
      if (err !== null) {
        callback(err, options.all === true ? [] : '', 0);
        return;
      }
      for (const { address } of addresses) {
        const cls = classifyAddress(address) ?? 'reserved';
        if (cls !== 'public') {
          callback(new BlockedAddressError(hostname, address, cls), options.all === true ? [] : '', 0);
          return;
        }
      }
      const first = addresses[0];
      if (first === undefined) {
        const none = Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' });
        callback(none, options.all === true ? [] : '', 0);
      } else if (options.all === true) {
        callback(null, addresses);
      } else {
        callback(null, first.address, first.family);
      }
    });
  };
}
