import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectTo } from './connect.js';
import { endpointPair } from './test-pair.test-helpers.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

async function listen(handler: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => server.close());
  return { server, port: (server.address() as { port: number }).port };
}

/** A client-side listener whose connections become channels to the server end, which connects them to `port`. */
async function forwardTo(port: number): Promise<{ localPort: number; refusals: string[] }> {
  const refusals: string[] = [];
  const pair = endpointPair(
    { onOpen: () => {}, onRefused: (_channel, _target, reason) => refusals.push(reason) },
    {
      onOpen: (channel, target) => {
        if (target.kind !== 'direct-tcp') return pair.server.refuse(channel, 'no');
        connectTo(target.host, target.port).then(
          (socket) => pair.server.accept(channel, socket),
          (error: Error) => pair.server.refuse(channel, error.message),
        );
      },
    },
  );
  cleanups.push(() => pair.stop());
  const local = await listen((socket) => pair.client.openFor(socket, { kind: 'direct-tcp', host: '127.0.0.1', port, originHost: '', originPort: 0 }));
  return { localPort: local.port, refusals };
}

function exchange(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    socket.on('connect', () => socket.end(payload));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('end', () => {
      socket.destroy();
      resolve(Buffer.concat(chunks));
    });
    socket.on('error', reject);
  });
}

describe('ChannelEndpoint with real sockets', () => {
  it('carries bytes both ways and a half-close: the far end answers after the near end stops sending', async () => {
    // The far server reads everything, and only at the end of its input answers with a digest: a half-close test.
    const far = await listen((socket) => {
      const hash = createHash('sha256');
      socket.on('data', (chunk: Buffer) => hash.update(chunk));
      socket.on('end', () => socket.end(hash.digest('hex')));
    });
    const { localPort } = await forwardTo(far.port);
    const payload = randomBytes(3 * 1024 * 1024);
    const answer = await exchange(localPort, payload);
    expect(answer.toString()).toBe(createHash('sha256').update(payload).digest('hex'));
  });

  it('passes a stalled reader’s pace back to the writer instead of buffering without bound', async () => {
    // The far end does not read. What the near writer gets rid of is bounded by the kernel's socket buffers on the
    // two loopback connections, the channel's window and the send buffer; without flow control it would be all.
    let farSocket: Socket | undefined;
    let farReceived = 0;
    const far = await listen((socket) => {
      farSocket = socket;
      socket.pause();
      socket.on('data', (chunk: Buffer) => (farReceived += chunk.length));
    });
    const { localPort } = await forwardTo(far.port);
    const socket = connect({ host: '127.0.0.1', port: localPort });
    cleanups.push(() => socket.destroy());
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    const chunk = Buffer.alloc(256 * 1024);
    let accepted = 0;
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      if (socket.write(chunk)) accepted += chunk.length;
      else {
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), new Promise((resolve) => setTimeout(resolve, 200))]);
        if (socket.writableLength === 0) accepted += chunk.length;
      }
    }
    // Loopback TCP buffers are a few MiB each way here; 1 MiB of window and 1 MiB of send buffer on top.
    expect(accepted).toBeLessThan(48 * 1024 * 1024);
    expect(socket.writableLength).toBeGreaterThan(0); // stuck: nothing downstream takes more
    // Once the reader reads, everything flows again.
    farSocket!.resume();
    const total = accepted + socket.writableLength;
    socket.end();
    await new Promise<void>((resolve) => {
      const check = setInterval(() => {
        if (farReceived >= total - chunk.length) {
          clearInterval(check);
          resolve();
        }
      }, 50);
    });
  });

  it('refuses with the far end’s reason when it cannot connect', async () => {
    const closed = await listen(() => {});
    const port = (closed.server.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const { localPort, refusals } = await forwardTo(port);
    const answer = await exchange(localPort, Buffer.from('hello')).catch(() => Buffer.alloc(0));
    expect(answer.length).toBe(0);
    expect(refusals).toEqual([`connect to 127.0.0.1:${port} failed: connection refused`]);
  });

  it('resets the far connection when the near one is reset mid-stream', async () => {
    const closedFar = new Promise<boolean>((resolve) => {
      void listen((socket) => {
        socket.on('error', () => {});
        socket.on('close', (hadError) => resolve(hadError || true));
      }).then(async (far) => {
        const { localPort } = await forwardTo(far.port);
        const socket = connect({ host: '127.0.0.1', port: localPort });
        socket.on('connect', () => {
          socket.write('partial');
          // A reset, not a close: a closed socket is an end of input, which a half-close carries on as such.
          setTimeout(() => socket.resetAndDestroy(), 300);
        });
      });
    });
    expect(await closedFar).toBe(true);
  });
});
