/**
 * The daemon's UDP send path, per datagram, without re-parsing the peer's address. node:dgram hands the address of
 * every `send` to the socket's lookup, and ipLiteralLookup (@tsmosh/forward) tells an IP literal from a name with
 * net.isIP, two regular expressions (the IPv6 one large); the dual-stack socket also asked isIPv4 of each address to
 * map it to `::ffff:a.b.c.d`. A session sends to the same one or two addresses all its life: a daemon CPU profile
 * over 60 typed lines spent ~10 ms in isIPv6 alone (docs/benchmarks.md, session 14). Both answers are kept per
 * address string here, a bounded number of them.
 */
import type { LookupOneOptions } from 'node:dns';
import { isIP, isIPv4 } from 'node:net';
import { ipLiteralLookup } from '@tsmosh/forward';

/**
 * Addresses remembered (each map): far more than the clients a daemon serves at once. Past it the map is emptied
 * and filled again, so an address-churning peer (roaming through NATs) costs the regexes again, never memory.
 */
export const SEND_ADDRESS_ENTRIES_MAX = 1024;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string, family: number) => void;

/** A dgram `lookup` that answers an IP literal within the call as ipLiteralLookup does, remembering its family. */
export function cachedLiteralLookup(): (hostname: string, options: LookupOneOptions, callback: LookupCallback) => void {
  const families = new Map<string, number>();
  return (hostname, options, callback) => {
    let family = families.get(hostname);
    if (family === undefined) {
      family = isIP(hostname);
      // Only literals: a name's answer can change, so it goes to dns.lookup every time.
      if (family === 0) return ipLiteralLookup(hostname, options, callback);
      if (families.size >= SEND_ADDRESS_ENTRIES_MAX) families.clear();
      families.set(hostname, family);
    }
    callback(null, hostname, family);
  };
}

/**
 * The address to hand a dual-stack (IPv6) socket for a peer shown to sessions as `host`: an IPv4 peer in its mapped
 * form `::ffff:a.b.c.d`, anything else as it is. `mapsIpv4` false (an IPv4 socket): always `host`.
 */
export class SendHosts {
  private readonly mapped = new Map<string, string>();
  constructor(private readonly mapsIpv4: boolean) {}

  hostFor(host: string): string {
    if (!this.mapsIpv4) return host;
    let sendHost = this.mapped.get(host);
    if (sendHost === undefined) {
      sendHost = isIPv4(host) ? `::ffff:${host}` : host;
      if (this.mapped.size >= SEND_ADDRESS_ENTRIES_MAX) this.mapped.clear();
      this.mapped.set(host, sendHost);
    }
    return sendHost;
  }
}
