/**
 * An IPv4 peer of a dual-stack (IPv6) socket shows as `::ffff:a.b.c.d`. Sessions, logs and `list` use the plain IPv4
 * form: readable, and it gives the IPv4 MTU. One rule for every socket the daemon reads an address from.
 */
const IPV4_MAPPED_PREFIX = /^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i;

/** `address` with an IPv4-mapped IPv6 form unwrapped to plain IPv4; any other address unchanged. */
export function plainIpv4(address: string): string {
  return address.replace(IPV4_MAPPED_PREFIX, '');
}
