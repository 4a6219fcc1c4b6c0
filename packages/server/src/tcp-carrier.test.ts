import { connect, type Socket } from 'node:net';
import { StreamFrameReader, encodeStreamFrame, type PeerAddress } from '@tsmosh/protocol';
import { waitUntil } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TCP_PEER_PREFIX, TcpCarrierListener } from './tcp-carrier.js';


function dial(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

describe('TcpCarrierListener', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function listen(delivered: Array<{ bytes: number[]; from: PeerAddress }>): Promise<{ listener: TcpCarrierListener; port: number }> {
    // Port 0 for the test: the daemon passes its UDP socket's number.
    const listener = (await TcpCarrierListener.listen('127.0.0.1', 0, (bytes, from) => delivered.push({ bytes: [...bytes], from })))!;
    cleanups.push(() => listener.close());
    const port = (listener as unknown as { server: { address(): { port: number } } }).server.address().port;
    return { listener, port };
  }

  it('hands on each framed datagram as from tcp:ADDRESS:PORT, and answers that address down the same connection', async () => {
    const delivered: Array<{ bytes: number[]; from: PeerAddress }> = [];
    const { listener, port } = await listen(delivered);
    const socket = await dial(port);
    cleanups.push(() => socket.destroy());
    const replies: number[][] = [];
    const reader = new StreamFrameReader();
    socket.on('data', (chunk: Buffer) => replies.push(...(reader.push(new Uint8Array(chunk)) as Uint8Array[]).map((d) => [...d])));
    // Two frames in one write, the second split across two: the stream's chunking does not matter.
    const first = encodeStreamFrame(Uint8Array.of(1, 2));
    const second = encodeStreamFrame(Uint8Array.of(3, 4, 5));
    socket.write(Buffer.concat([first, second.subarray(0, 2)]));
    socket.write(second.subarray(2));
    await waitUntil(() => delivered.length === 2, 'two datagrams');
    expect(delivered.map((d) => d.bytes)).toEqual([[1, 2], [3, 4, 5]]);
    const from = delivered[0]!.from;
    expect(from).toEqual({ host: `${TCP_PEER_PREFIX}127.0.0.1`, port: socket.localPort });
    expect(TcpCarrierListener.isTcpPeer(from)).toBe(true);
    expect(TcpCarrierListener.isTcpPeer({ host: '127.0.0.1', port: 1 })).toBe(false);
    listener.send(from, Uint8Array.of(9, 8));
    await waitUntil(() => replies.length === 1, 'the reply');
    expect(replies[0]).toEqual([9, 8]);
  });

  it('closes a connection that sends an impossible length, and counts a reply to a connection that is gone', async () => {
    const delivered: Array<{ bytes: number[]; from: PeerAddress }> = [];
    const { listener, port } = await listen(delivered);
    const socket = await dial(port);
    const closed = new Promise((resolve) => socket.once('close', resolve));
    socket.write(Uint8Array.of(0, 0, 1));
    await closed;
    expect(listener.stats.badStreams).toBe(1);
    expect(delivered).toEqual([]);
    listener.send({ host: `${TCP_PEER_PREFIX}127.0.0.1`, port: socket.localPort ?? 1 }, Uint8Array.of(1));
    expect(listener.stats.sendsToClosed).toBe(1);
  });
});
