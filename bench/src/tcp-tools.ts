/**
 * TCP ends for measuring forwards, shared by the forwarding benchmark and the forwarding tests: a free port, a sink
 * that answers with the SHA-256 and length of what it read, a client that streams bytes into a port and reads that
 * answer, and a retry for a listener that appears a round trip later.
 */
import { createHash } from 'node:crypto';
import { connect, createServer, type Server } from 'node:net';

/** A TCP port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1 and, per connection, answers `<sha256 hex> <bytes>` of what it read once the peer ends. */
export async function startHashSink(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    const hash = createHash('sha256');
    let bytes = 0;
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    socket.on('end', () => socket.end(`${hash.digest('hex')} ${bytes}\n`));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}

/** What the sink answers for `payload`. */
export function sha256Line(payload: Buffer): string {
  return `${createHash('sha256').update(payload).digest('hex')} ${payload.length}`;
}

/** Connects to 127.0.0.1:port, writes `payload`, ends, and resolves with the answer line. */
export function streamThrough(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let answer = '';
    socket.on('connect', () => socket.end(payload));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('utf8')));
    socket.on('end', () => {
      socket.destroy();
      resolve(answer.trim());
    });
    socket.on('error', reject);
  });
}

/** Retries `attempt` every 100 ms until it resolves, for up to `timeoutMs`. */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}
