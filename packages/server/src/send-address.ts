/**
 * The daemon's UDP send path, per datagram, without re-parsing the peer's address. node:dgram hands the address of
 * every `send` to the socket's lookup, which remembers each literal's family (cachedLiteralLookup, @tsmosh/forward);
 * the dual-stack socket also asked isIPv4 of each address to map it to `::ffff:a.b.c.d`, and that answer is kept per
 * address string here, a bounded number of them. A session sends to the same one or two addresses all its life.
 */
import { isIPv4 } from 'node:net';

/**
 * Addresses remembered: far more than the clients a daemon serves at once. Past it the map is emptied and filled
 * again, so an address-churning peer (roaming through NATs) costs the check again, never memory.
 */
export const SEND_ADDRESS_ENTRIES_MAX = 1024;

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
