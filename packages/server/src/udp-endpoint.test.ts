import { createSocket, type Socket } from 'node:dgram';
import { waitUntil } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerAddress } from '@tsmosh/protocol';
import { ServerError } from './errors.js';
import { UdpEndpoint } from './udp-endpoint.js';

/** A datagram with the clear header layout (version 1, 8-byte session ID, 8-byte sequence) and a fake body. */
function datagram(sessionIdHex: string, body = 'x'): Uint8Array {
  const bytes = new Uint8Array(17 + body.length);
  bytes[0] = 1;
  bytes.set(Buffer.from(sessionIdHex, 'hex'), 1);
  bytes.set(new TextEncoder().encode(body), 17);
  return bytes;
}

async function boundSocket(address = '127.0.0.1'): Promise<Socket> {
  const socket = createSocket(address.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve) => socket.bind(0, address, resolve));
  return socket;
}

describe('UdpEndpoint', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('routes datagrams by clear session ID and counts strangers without calling any session', async () => {
    const endpoint = await UdpEndpoint.bind({ ports: { low: 0, high: 0 } });
    cleanups.push(() => endpoint.close());
    const received: Record<string, string[]> = { a: [], b: [] };
    const sources: PeerAddress[] = [];
    endpoint.register('aaaaaaaaaaaaaaaa', (bytes, from) => {
      received.a!.push(new TextDecoder().decode(bytes.subarray(17)));
      sources.push(from);
    });
    endpoint.register('bbbbbbbbbbbbbbbb', (bytes) => received.b!.push(new TextDecoder().decode(bytes.subarray(17))));
    const sender = await boundSocket();
    cleanups.push(() => sender.close());
    const send = (bytes: Uint8Array): void => void sender.send(bytes, endpoint.port, '127.0.0.1');
    send(datagram('aaaaaaaaaaaaaaaa', 'one'));
    send(datagram('bbbbbbbbbbbbbbbb', 'two'));
    send(datagram('cccccccccccccccc', 'stranger'));
    send(new Uint8Array([1, 2, 3]));
    const wrongVersion = datagram('aaaaaaaaaaaaaaaa', 'v9');
    wrongVersion[0] = 9;
    send(wrongVersion);
    send(datagram('aaaaaaaaaaaaaaaa', 'three'));
    await waitUntil(() => endpoint.stats.datagramsReceived === 6, 'six datagrams at the endpoint');
    expect(received).toEqual({ a: ['one', 'three'], b: ['two'] });
    expect(endpoint.stats).toMatchObject({ unknownSession: 1, malformed: 2 });
    // IPv4 clients of the dual-stack socket appear as plain IPv4; sending back to them works.
    expect(sources[0]).toEqual({ host: '127.0.0.1', port: sender.address().port });
    const reply = new Promise<string>((resolve) => sender.once('message', (message) => resolve(message.toString())));
    endpoint.send({ to: sources[0]!, bytes: new TextEncoder().encode('back') });
    expect(await reply).toBe('back');
  });

  it('refuses a taken port with one line naming it, and skips taken ports in a range', async () => {
    const squatter = await boundSocket('127.0.0.1');
    cleanups.push(() => squatter.close());
    const port = squatter.address().port;
    const error = await UdpEndpoint.bind({ ports: { low: port, high: port } }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServerError);
    expect((error as ServerError).code).toBe('port-in-use');
    expect((error as ServerError).message).toMatch(new RegExp(`^tsmosh-server: UDP port ${port} is already in use; `));
    // Only meaningful if the next port is free; the kernel hands out ephemeral ports, so find a taken+free pair.
    const next = await UdpEndpoint.bind({ ports: { low: port, high: port + 1 } }).catch(() => undefined);
    if (next !== undefined) {
      cleanups.push(() => next.close());
      expect(next.port).toBe(port + 1);
    }
  });

  it('binds a given address', async () => {
    const endpoint = await UdpEndpoint.bind({ address: '127.0.0.1', ports: { low: 0, high: 0 } });
    cleanups.push(() => endpoint.close());
    expect(endpoint.address).toBe('127.0.0.1');
    expect(endpoint.port).toBeGreaterThan(0);
  });
});

