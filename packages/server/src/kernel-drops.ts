/**
 * Datagrams the kernel dropped before the daemon could read them (a full receive buffer: the daemon was busy, or a
 * flood), from /proc/net/udp and /proc/net/udp6: the last column of each socket's line. Linux only; elsewhere, or
 * if the files cannot be read, the count is undefined rather than a guess.
 */
import { readFileSync } from 'node:fs';

const TABLES = ['/proc/net/udp', '/proc/net/udp6'];

/** Sums the `drops` of the UDP sockets bound to `port` and owned by `uid`, as the kernel reports them. */
export function parseUdpDrops(table: string, port: number, uid: number): number {
  let drops = 0;
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
    if (fields.length < 13) continue;
    const localPort = Number.parseInt(fields[1]!.split(':').at(-1) ?? '', 16);
    if (localPort !== port || Number(fields[7]) !== uid) continue;
    const count = Number(fields[12]);
    if (Number.isSafeInteger(count)) drops += count;
  }
  return drops;
}

/**
 * The kernel's UDP tables as they are now, read once: then the drops of each port (undefined when neither table could
 * be read).
 */
export function kernelReceiveDrops(uid: number = process.getuid?.() ?? -1): (port: number) => number | undefined {
  const tables: string[] = [];
  for (const path of TABLES) {
    try {
      tables.push(readFileSync(path, 'utf8'));
    } catch {
      // Not Linux, or /proc not mounted: nothing to count from this table.
    }
  }
  return (port) => (tables.length === 0 ? undefined : tables.reduce((sum, table) => sum + parseUdpDrops(table, port, uid), 0));
}
