/**
 * Pieces the forwarding end-to-end tests share: a real ssh-agent holding a throwaway key, free TCP ports, a TCP sink
 * that answers with the SHA-256 of what it received, and a client that streams bytes into a port and reads that
 * answer.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeKeyPair, type KeyPair } from './sshd.js';

export interface TestAgent {
  readonly socketPath: string;
  readonly key: KeyPair;
  /** The key's fingerprint as `ssh-add -l` prints it. */
  readonly fingerprint: string;
  stop(): void;
}

/** A foreground ssh-agent on a socket of its own, holding one fresh ed25519 key. */
export async function startTestAgent(): Promise<TestAgent> {
  const directory = mkdtempSync(join(tmpdir(), 'tsmosh-agent-test-'));
  const socketPath = join(directory, 'agent.sock');
  const child: ChildProcess = spawn('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' });
  for (let i = 0; i < 200 && !existsSync(socketPath); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  if (!existsSync(socketPath)) throw new Error('ssh-agent did not create its socket');
  const key = makeKeyPair(directory, 'id_forwarded');
  execFileSync('ssh-add', [key.privatePath], { env: { ...process.env, SSH_AUTH_SOCK: socketPath }, stdio: 'ignore' });
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', key.publicPath], { encoding: 'utf8' }).split(' ')[1]!;
  return {
    socketPath,
    key,
    fingerprint,
    stop() {
      child.kill();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** A TCP port nothing listens on right now (the kernel's pick, released at once). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Listens on 127.0.0.1 and, per connection, answers the hex SHA-256 and byte count of what it read once the peer ends. */
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

/** Connects to 127.0.0.1:port, writes `payload`, ends, and resolves with the sink's answer line. */
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

export function sha256Line(payload: Buffer): string {
  return `${createHash('sha256').update(payload).digest('hex')} ${payload.length}`;
}

/** Retries `attempt` until it resolves (a listener on the far side may take a round trip to appear). */
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
