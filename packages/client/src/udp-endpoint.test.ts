import { spawnSync } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerAddress } from '@tsmosh/protocol';
import { ClientUdpEndpoint, MAX_OLD_SOCKET_AGE_MS, MAX_SOCKETS_OPEN, PORT_HOP_INTERVAL_MS } from './udp-endpoint.js';

/** A loopback echo peer that records the source port of everything it receives. */
async function echoPeer(type: 'udp4' | 'udp6', host: string): Promise<{ socket: Socket; address: PeerAddress; sources: number[] }> {
  const socket = createSocket(type);
  const sources: number[] = [];
  socket.on('message', (message, remote) => {
    sources.push(remote.port);
    socket.send(message, remote.port, remote.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { socket, address: { host, port: socket.address().port }, sources };
}

/** The Node runtime's soon (client-runtime.ts). */
const soon = (callback: () => void): void => void setImmediate(callback);

const toClose: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const item of toClose.splice(0)) await item.close();
});

function collector(): { received: Array<{ text: string; from: PeerAddress }>; next(count: number): Promise<void>; listener(bytes: Uint8Array, from: PeerAddress): void } {
  const received: Array<{ text: string; from: PeerAddress }> = [];
  let waiter: { count: number; resolve(): void } | undefined;
  return {
    received,
    listener(bytes, from) {
      received.push({ text: new TextDecoder().decode(bytes), from });
      if (waiter && received.length >= waiter.count) waiter.resolve();
    },
    next(count) {
      if (received.length >= count) return Promise.resolve();
      return new Promise((resolve) => (waiter = { count, resolve }));
    },
  };
}

describe('ClientUdpEndpoint', () => {
  for (const [type, host] of [['udp4', '127.0.0.1'], ['udp6', '::1']] as const) {
    it(`sends and receives over ${type} loopback, choosing the family from the server address`, async () => {
      const peer = await echoPeer(type, host);
      toClose.push(peer.socket);
      const inbox = collector();
      const endpoint = await ClientUdpEndpoint.open(host, inbox.listener, 0, soon);
      toClose.push(endpoint);
      expect(endpoint.family).toBe(type);
      endpoint.send(new TextEncoder().encode('ping'), peer.address);
      await inbox.next(1);
      expect(inbox.received[0]).toEqual({ text: 'ping', from: peer.address });
      expect(peer.sources).toEqual([endpoint.localPort]);
    });
  }

  it('hops to a fresh source port only after PORT_HOP_INTERVAL_MS without a round trip, and still hears the old port', async () => {
    const peer = await echoPeer('udp4', '127.0.0.1');
    toClose.push(peer.socket);
    const inbox = collector();
    const endpoint = await ClientUdpEndpoint.open('127.0.0.1', inbox.listener, 0, soon);
    toClose.push(endpoint);
    const firstPort = endpoint.localPort;

    // A recent round trip: no hop, however long since the last port choice.
    expect(await endpoint.maintain(PORT_HOP_INTERVAL_MS * 3, PORT_HOP_INTERVAL_MS * 3 - 1)).toBe(false);
    // No round trip for just under the interval: still no hop.
    expect(await endpoint.maintain(PORT_HOP_INTERVAL_MS, 0)).toBe(false);
    expect(endpoint.nextMaintenanceAt(0)).toBe(PORT_HOP_INTERVAL_MS + 1);
    // Past it: a new port, and datagrams now leave from it.
    expect(await endpoint.maintain(PORT_HOP_INTERVAL_MS + 1, 0)).toBe(true);
    expect(endpoint.localPort).not.toBe(firstPort);
    expect(endpoint.openSocketCount).toBe(2);
    expect(endpoint.stats.portHops).toBe(1);
    // Right after a hop, the next one waits a full interval from the hop.
    expect(await endpoint.maintain(PORT_HOP_INTERVAL_MS + 2, 0)).toBe(false);

    endpoint.send(new TextEncoder().encode('from-new'), peer.address);
    await inbox.next(1);
    expect(peer.sources).toEqual([endpoint.localPort]);

    // A reply still addressed to the old port arrives: old sockets keep receiving.
    peer.socket.send('late-reply', firstPort, '127.0.0.1');
    await inbox.next(2);
    expect(inbox.received.map((r) => r.text)).toEqual(['from-new', 'late-reply']);
  });

  it('opens one socket when a hop is asked for twice at once (every loop turn may ask)', async () => {
    const endpoint = await ClientUdpEndpoint.open('127.0.0.1', () => undefined, 0, soon);
    toClose.push(endpoint);
    await Promise.all([endpoint.hopPort(1), endpoint.hopPort(1), endpoint.maintain(PORT_HOP_INTERVAL_MS * 2, undefined)]);
    expect(endpoint.openSocketCount).toBe(2);
    expect(endpoint.stats.portHops).toBe(1);
  });

  it(`keeps at most ${MAX_SOCKETS_OPEN} sockets, and drops all old ones once the newest is older than ${MAX_OLD_SOCKET_AGE_MS} ms`, async () => {
    const endpoint = await ClientUdpEndpoint.open('127.0.0.1', () => undefined, 0, soon);
    toClose.push(endpoint);
    for (let i = 1; i <= MAX_SOCKETS_OPEN + 3; i++) await endpoint.hopPort(i);
    expect(endpoint.openSocketCount).toBe(MAX_SOCKETS_OPEN);
    const newestOpenedAt = MAX_SOCKETS_OPEN + 3;
    await endpoint.maintain(newestOpenedAt + MAX_OLD_SOCKET_AGE_MS, newestOpenedAt + MAX_OLD_SOCKET_AGE_MS);
    expect(endpoint.openSocketCount).toBe(MAX_SOCKETS_OPEN);
    // The wake-up it asks for (round trips going well, so no hop is due) is one that prunes.
    const wakeAt = endpoint.nextMaintenanceAt(newestOpenedAt + MAX_OLD_SOCKET_AGE_MS);
    expect(wakeAt).toBeGreaterThan(newestOpenedAt + MAX_OLD_SOCKET_AGE_MS);
    await endpoint.maintain(wakeAt, wakeAt);
    expect(endpoint.openSocketCount).toBe(1);
  });
  it('hands on a datagram after the other input read in the same loop turn (a key waiting beside a frame is drawn first)', async () => {
    const order: string[] = [];
    const endpoint = await ClientUdpEndpoint.open('127.0.0.1', () => order.push('datagram'), 0, soon);
    toClose.push(endpoint);
    // Another descriptor polled in the same turn, as the terminal's input is: a socket whose read logs 'key'.
    const keys = createSocket('udp4');
    toClose.push(keys);
    keys.on('message', () => order.push('key'));
    await new Promise<void>((resolve) => keys.bind(0, '127.0.0.1', resolve));
    // While this loop is blocked, another process sends the frame's datagram first and then the key, so both wait
    // in one poll and the datagram's socket is reported ready first (epoll's ready list keeps that order).
    const sender = `const s = require('node:dgram').createSocket('udp4');
      s.send('frame', ${endpoint.localPort}, '127.0.0.1', () => s.send('k', ${keys.address().port}, '127.0.0.1', () => s.close()));`;
    expect(spawnSync(process.execPath, ['-e', sender]).status).toBe(0);
    while (order.length < 2) await new Promise((resolve) => setImmediate(resolve));
    expect(order).toEqual(['key', 'datagram']);
    expect(endpoint.stats.datagramsReceived).toBe(1);
  });
});
