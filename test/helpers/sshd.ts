/**
 * A throwaway OpenSSH server for tests: its own host key, its own authorized_keys, listening on 127.0.0.1 on a
 * free port, run in the foreground (-D) so killing the child ends it. Needs root (sshd's privilege separation)
 * and /usr/sbin/sshd (`apt-get install openssh-server`; .ci/run installs it).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SSHD_PATH = '/usr/sbin/sshd';
export const sshdAvailable = existsSync(SSHD_PATH) && process.getuid?.() === 0;

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface KeyPair {
  readonly privatePath: string;
  readonly publicPath: string;
  readonly publicLine: string;
}

export function makeKeyPair(directory: string, name: string, passphrase = ''): KeyPair {
  const privatePath = join(directory, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', privatePath]);
  return { privatePath, publicPath: `${privatePath}.pub`, publicLine: readFileSync(`${privatePath}.pub`, 'utf8').trim() };
}

export interface Sshd {
  readonly port: number;
  readonly directory: string;
  readonly hostKey: KeyPair;
  /** A known_hosts line for this server, as `ssh-keyscan -H` would give (hashed when asked). */
  knownHostsLine(hashed?: boolean): string;
  /** What sshd has logged so far (LogLevel VERBOSE). */
  log(): string;
  stop(): Promise<void>;
}

/**
 * `passwordAuthentication`: the server offers passwords (root may not use one, PermitRootLogin prohibit-password,
 * so every password is refused: what a wrong-password test needs, without creating a user on this machine).
 */
export async function startSshd(options: { authorizedKeys: readonly string[]; passwordAuthentication?: boolean; allowTcpForwarding?: boolean; setEnvPath?: string; logLevel?: 'VERBOSE' | 'DEBUG1'; extraEnv?: Record<string, string> }): Promise<Sshd> {
  const directory = mkdtempSync(join(tmpdir(), 'tsmosh-sshd-'));
  const hostKey = makeKeyPair(directory, 'host_ed25519');
  writeFileSync(join(directory, 'authorized_keys'), options.authorizedKeys.join('\n') + '\n', { mode: 0o600 });
  const port = await freeTcpPort();
  const config = [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    `HostKey ${hostKey.privatePath}`,
    `PidFile ${join(directory, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    `PasswordAuthentication ${options.passwordAuthentication ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    `AllowTcpForwarding ${options.allowTcpForwarding === false ? 'no' : 'yes'}`,
    // Sessions get this PATH, so `node` and the repo's bins resolve the same way they do for the test.
    `SetEnv PATH=${options.setEnvPath ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin'} LANG=C.UTF-8${Object.entries(options.extraEnv ?? {})
      .map(([name, value]) => ` ${name}=${value}`)
      .join('')}`,
    // VERBOSE logs accepted logins; DEBUG1 also logs forwarding requests. Tests read them to prove which path was taken.
    `LogLevel ${options.logLevel ?? 'VERBOSE'}`,
  ].join('\n');
  const configPath = join(directory, 'sshd_config');
  writeFileSync(configPath, config + '\n');
  mkdirSync('/run/sshd', { recursive: true });
  execFileSync(SSHD_PATH, ['-t', '-f', configPath]);
  const child: ChildProcess = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  // Wait until it accepts TCP connections (bounded: 100 tries × 50 ms).
  for (let attempt = 0; ; attempt++) {
    const ready = await new Promise<boolean>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ready) break;
    if (attempt > 100 || child.exitCode !== null) throw new Error(`sshd did not start on port ${port}: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const hostKeyBlob = hostKey.publicLine.split(' ')[1]!;
  return {
    port,
    directory,
    hostKey,
    knownHostsLine(hashed = false) {
      const name = `[127.0.0.1]:${port}`;
      if (!hashed) return `${name} ssh-ed25519 ${hostKeyBlob}`;
      const file = join(directory, 'kh_tmp');
      writeFileSync(file, `${name} ssh-ed25519 ${hostKeyBlob}\n`);
      execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
      return readFileSync(file, 'utf8').trim();
    },
    log: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface Agent {
  readonly socketPath: string;
  stop(): Promise<void>;
}

export async function startAgent(directory: string, keys: readonly string[]): Promise<Agent> {
  const socketPath = join(directory, 'agent.sock');
  const child = spawn('ssh-agent', ['-D', '-a', socketPath], { stdio: 'ignore' });
  for (let attempt = 0; !existsSync(socketPath); attempt++) {
    if (attempt > 100) throw new Error('ssh-agent did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  for (const key of keys) execFileSync('ssh-add', ['-q', key], { env: { ...process.env, SSH_AUTH_SOCK: socketPath }, stdio: 'ignore' });
  return {
    socketPath,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
