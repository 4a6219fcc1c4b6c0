/**
 * A throwaway OpenSSH sshd on 127.0.0.1 for the start-up benchmark: its own host key and client key, a free port,
 * run in the foreground (-D) so stopping the child ends it, and an ssh_config file naming the host `127.0.0.1`
 * (port, key, no host-key prompt) that OpenSSH (`ssh -F`, mosh's `--ssh`) and tsmosh's own client (~/.ssh/config)
 * read alike. Needs root (sshd's privilege separation) and /usr/sbin/sshd.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SSHD_PATH = '/usr/sbin/sshd';
/** Polls for sshd's pid file (ms per try, tries): far above its start-up of a few ms. */
const START_POLL_MS = 25;
const START_POLL_TRIES = 200;

export function loopbackSshdAvailable(): boolean {
  return existsSync(SSHD_PATH) && process.getuid?.() === 0;
}

async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export class LoopbackSshd {
  readonly directory = mkdtempSync(join(tmpdir(), 'tsmosh-bench-sshd-'));
  readonly clientKey = join(this.directory, 'client_ed25519');
  /** ssh_config with `Host 127.0.0.1` pointing at this server: for `ssh -F`, or copied to a HOME's ~/.ssh/config. */
  readonly clientConfig = join(this.directory, 'ssh_config');
  private child: ChildProcess | undefined;
  private listenPort = 0;

  /** `sessionEnv`: what the sessions get through SetEnv (PATH, and where the host's tsmosh keeps its state). */
  constructor(private readonly sessionEnv: Readonly<Record<string, string>>) {}

  get port(): number {
    return this.listenPort;
  }

  async start(): Promise<void> {
    const hostKey = join(this.directory, 'host_ed25519');
    for (const key of [hostKey, this.clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsmosh-bench', '-f', key]);
    writeFileSync(join(this.directory, 'authorized_keys'), readFileSync(`${this.clientKey}.pub`), { mode: 0o600 });
    this.listenPort = await freeTcpPort();
    const config = [
      `Port ${this.listenPort}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(this.directory, 'sshd.pid')}`,
      `AuthorizedKeysFile ${join(this.directory, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `SetEnv ${Object.entries({ LANG: 'C.UTF-8', ...this.sessionEnv }).map(([name, value]) => `${name}=${value}`).join(' ')}`,
      'UseDNS no',
      'PrintMotd no',
      'PrintLastLog no',
      'LogLevel ERROR',
    ].join('\n');
    const configPath = join(this.directory, 'sshd_config');
    writeFileSync(configPath, `${config}\n`);
    writeFileSync(
      this.clientConfig,
      [
        'Host 127.0.0.1',
        `  Port ${this.listenPort}`,
        '  User root',
        `  IdentityFile ${this.clientKey}`,
        '  IdentitiesOnly yes',
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        '  LogLevel ERROR',
        '  BatchMode yes',
        '',
      ].join('\n'),
    );
    mkdirSync('/run/sshd', { recursive: true });
    execFileSync(SSHD_PATH, ['-t', '-f', configPath]);
    this.child = spawn(SSHD_PATH, ['-D', '-e', '-f', configPath], { stdio: 'ignore' });
    for (let attempt = 0; !existsSync(join(this.directory, 'sshd.pid')); attempt++) {
      if (attempt > START_POLL_TRIES || this.child.exitCode !== null) throw new Error(`startup bench: sshd did not start on 127.0.0.1:${this.listenPort} (exit ${this.child.exitCode})`);
      await new Promise((r) => setTimeout(r, START_POLL_MS));
    }
  }

  async stop(): Promise<void> {
    if (this.child !== undefined && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    rmSync(this.directory, { recursive: true, force: true });
  }
}
