/**
 * A throwaway OpenSSH sshd on 127.0.0.1 for the start-up benchmark: its own host key and client key, a free port,
 * run in the foreground (-D) so stopping the child ends it, and an ssh_config file naming the host `127.0.0.1`
 * (port, key, no host-key prompt) that OpenSSH (`ssh -F`, mosh's `--ssh`) and tsmosh's own client (~/.ssh/config)
 * read alike. Needs root (sshd's privilege separation) and /usr/sbin/sshd.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../tcp-tools.js';
import { SSHD_PATH, prepareSshd, stopSshd, waitForSshd, type SshdFiles } from '../throwaway-sshd.js';

export function loopbackSshdAvailable(): boolean {
  return existsSync(SSHD_PATH) && process.getuid?.() === 0;
}

export class LoopbackSshd {
  private files: SshdFiles | undefined;
  private child: ChildProcess | undefined;
  private listenPort = 0;

  /** `sessionEnv`: what the sessions get through SetEnv (PATH, and where the host's tsmosh keeps its state). */
  constructor(private readonly sessionEnv: Readonly<Record<string, string>>) {}

  get port(): number {
    return this.listenPort;
  }

  /** The client's private key (after start). */
  get clientKey(): string {
    return this.started().clientKey;
  }

  /** ssh_config with `Host 127.0.0.1` pointing at this server: for `ssh -F`, or copied to a HOME's ~/.ssh/config. */
  get clientConfig(): string {
    return join(this.started().directory, 'ssh_config');
  }

  async start(): Promise<void> {
    this.listenPort = await freePort();
    const files = prepareSshd({ port: this.listenPort, address: '127.0.0.1' }, { LANG: 'C.UTF-8', ...this.sessionEnv });
    this.files = files;
    writeFileSync(
      this.clientConfig,
      [
        'Host 127.0.0.1',
        `  Port ${this.listenPort}`,
        '  User root',
        `  IdentityFile ${files.clientKey}`,
        '  IdentitiesOnly yes',
        '  StrictHostKeyChecking no',
        '  UserKnownHostsFile /dev/null',
        '  LogLevel ERROR',
        '  BatchMode yes',
        '',
      ].join('\n'),
    );
    this.child = spawn(SSHD_PATH, ['-D', '-e', '-f', files.configPath], { stdio: 'ignore' });
    await waitForSshd(files, this.child, `on 127.0.0.1:${this.listenPort} (startup bench)`);
  }

  async stop(): Promise<void> {
    await stopSshd(this.child, this.files);
  }

  private started(): SshdFiles {
    if (this.files === undefined) throw new Error('LoopbackSshd: start() it first');
    return this.files;
  }
}
