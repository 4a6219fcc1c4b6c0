/**
 * The address lookup for our UDP sockets. node:dgram resolves the address of every `send`, and dns.lookup answers
 * even an IP literal on the next tick, so a datagram sent mid-turn waits for everything its caller does afterwards
 * (the client draws a keystroke's predicted echo after sending it; the server finishes its step). A session's peers
 * are always IP literals (the address a datagram came from, or the one the client resolved once at start): answer
 * those at once, so the datagram leaves inside `send`. A name still goes through dns.lookup.
 *
 * It lives here because @tsmosh/forward is the one Node networking package both ends load.
 */
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

export function ipLiteralLookup(
  hostname: string,
  options: LookupOneOptions,
  callback: (error: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  const family = isIP(hostname);
  if (family !== 0) callback(null, hostname, family);
  else dnsLookup(hostname, options, callback);
}
