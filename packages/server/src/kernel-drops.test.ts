import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { kernelReceiveDrops, parseUdpDrops } from './kernel-drops.js';

describe('kernel receive drops', () => {
  it("reads the drops column of this uid's sockets on the port, in both tables' layouts", () => {
    const table = [
      '   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops',
      '  1: 00000000:EA61 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1234 2 0000000000000000 17',
      '  2: 0100007F:EA61 00000000:0000 07 00000000:00000000 00:00000000 00000000  1000        0 1235 2 0000000000000000 99',
      '  3: 00000000:EA62 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1236 2 0000000000000000 5',
      '  4: 00000000000000000000000000000000:EA61 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1237 2 0000000000000000 3',
    ].join('\n');
    expect(parseUdpDrops(table, 0xea61, 0)).toBe(20);
    expect(parseUdpDrops(table, 0xea61, 1000)).toBe(99);
    expect(parseUdpDrops(table, 1, 0)).toBe(0);
  });

  it('finds a live socket of this process (0 drops when nothing overflowed)', async () => {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      expect(kernelReceiveDrops()(socket.address().port)).toBe(0);
    } finally {
      socket.close();
    }
  });
});
