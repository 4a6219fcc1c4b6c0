/**
 * Pieces the forwarding end-to-end tests share: a real ssh-agent holding a throwaway key, and (from the bench, which
 * measures the same way) free TCP ports, a sink that answers with the SHA-256 of what it received, and a client that
 * streams bytes into a port and reads that answer.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
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

export { eventually, freePort, sha256Line, startHashSink, streamThrough } from '../../bench/src/tcp-tools.js';
