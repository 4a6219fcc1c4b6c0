/**
 * The address lookup for our UDP sockets. node:dgram resolves the address of every `send`, and dns.lookup answers
 * even an IP literal on the next tick, so a datagram sent mid-turn waits for everything its caller does afterwards
 * (the client draws a keystroke's predicted echo after sending it; the server finishes its step). A session's peers
 * are always IP literals (the address a datagram came from, or the one the client resolved once at start): answer
 * those at once, so the datagram leaves inside `send`. A name still goes through dns.lookup.
 *
 * A session sends to the same one or two addresses all its life, and telling a literal from a name takes net.isIP's
 * two regular expressions (the IPv6 one large): a daemon CPU profile over 60 typed lines spent ~10 ms in it
 * (docs/benchmarks-journal.md, session 14). So a socket's lookup (cachedLiteralLookup) remembers each literal's family.
 *
 * It lives here because @tsmosh/forward is the one Node networking package both ends load.
 */
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/**
 * Literals remembered by one socket's lookup: far more than the peers a socket sends to. Past it the map is emptied
 * and filled again, so an address-churning peer (roaming through NATs) costs the check again, never memory.
 */
export const LITERAL_LOOKUP_ENTRIES_MAX = 1024;

/** A dgram `lookup` for one socket: answers as ipLiteralLookup does, remembering each IP literal's family. */
export function cachedLiteralLookup(): (hostname: string, options: LookupOneOptions, callback: LookupCallback) => void {
  const families = new Map<string, number>();
  return (hostname, options, callback) => {
    let family = families.get(hostname);
    if (family === undefined) {
      family = isIP(hostname);
      // Only literals: a name's answer can change, so it goes to dns.lookup every time.
      if (family === 0) return dnsLookup(hostname, options, callback);
      if (families.size >= LITERAL_LOOKUP_ENTRIES_MAX) families.clear();
      families.set(hostname, family);
    }
    callback(null, hostname, family);
  };
}

export function ipLiteralLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: LookupCallback,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}
