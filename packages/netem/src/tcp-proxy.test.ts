import { createHash, randomBytes } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';

/** An echo server on 127.0.0.1 that the proxy connects to. */
async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => socket.pipe(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** Connects to `port`, writes `payload`, and resolves with every byte that came back once that many have. */
function roundTrip(port: number, payload: Buffer): Promise<{ echoed: Buffer; firstByteAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const socket: Socket = createConnection({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let received = 0;
    let firstAt: number | undefined;
    const start = performance.now();
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      firstAt ??= performance.now();
      chunks.push(chunk);
      received += chunk.length;
      if (received >= payload.length) {
        socket.destroy();
        resolve({ echoed: Buffer.concat(chunks), firstByteAfterMs: firstAt - start });
      }
    });
    socket.on('connect', () => socket.write(payload));
  });
}

describe('the TCP proxy through the emulated link', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function proxyTo(port: number, spec: string): Promise<TcpProxy> {
    const proxy = await startTcpProxy({ target: { host: '127.0.0.1', port }, profile: spec, seed: 1 });
    cleanups.push(() => proxy.close());
    return proxy;
  }

  it('carries every byte in order both ways, however much is held (4 MiB through a 40 ms delay), and loses none to loss', async () => {
    const echo = await echoServer();
    cleanups.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
    // loss is the datagram link's: a stream through the same spec loses nothing.
    const proxy = await proxyTo(echo.port, 'delay=20ms,jitter=5ms,loss=50%');
    const payload = randomBytes(4 * 1024 * 1024);
    const { echoed } = await roundTrip(proxy.address.port, payload);
    expect(createHash('sha256').update(echoed).digest('hex')).toBe(createHash('sha256').update(payload).digest('hex'));
    expect(proxy.connections()).toBe(1);
  });

  it('holds bytes written into a blackout until it ends, as a stalled connection (never earlier)', async () => {
    const echo = await echoServer();
    cleanups.push(() => new Promise<void>((resolve) => echo.server.close(() => resolve())));
    // The blackout covers the proxy's first 600 ms: the write goes into it, and its echo comes out after it.
    const proxy = await proxyTo(echo.port, 'blackout=600ms@0s');
    const { echoed, firstByteAfterMs } = await roundTrip(proxy.address.port, Buffer.from('ping'));
    expect(echoed.toString()).toBe('ping');
    expect(firstByteAfterMs).toBeGreaterThanOrEqual(400); // 600 ms from the proxy's start, less the connect's own time
  });
});
