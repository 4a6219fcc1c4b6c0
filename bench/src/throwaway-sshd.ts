/**
 * What every throwaway OpenSSH sshd of the benchmarks shares (the lossy-link bench's, in a network namespace, and
 * the start-up bench's, on 127.0.0.1): its own host key and client key in a fresh folder, a config that admits only
 * that key and passes the sessions their environment through SetEnv, run in the foreground (-D) so stopping the
 * child ends it. Needs root (sshd's privilege separation) and /usr/sbin/sshd.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchTempDir } from './run-folder.js';

export const SSHD_PATH = '/usr/sbin/sshd';
/** Polls for sshd's pid file (ms per try, tries): far above its start-up of a few ms. */
const START_POLL_MS = 25;
const START_POLL_TRIES = 200;

export interface SshdFiles {
  readonly directory: string;
  readonly clientKey: string;
  readonly configPath: string;
  readonly pidFile: string;
}

/** A fresh folder holding the keys and a config sshd has checked (`sshd -t`); `sessionEnv` goes to SetEnv. */
export function prepareSshd(listen: { readonly port: number; readonly address: string }, sessionEnv: Readonly<Record<string, string>>): SshdFiles {
  const directory = benchTempDir('tsmosh-bench-sshd-');
  const hostKey = join(directory, 'host_ed25519');
  const clientKey = join(directory, 'client_ed25519');
  for (const key of [hostKey, clientKey]) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'tsmosh-bench', '-f', key]);
  writeFileSync(join(directory, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o600 });
  const pidFile = join(directory, 'sshd.pid');
  const config = [
    `Port ${listen.port}`,
    `ListenAddress ${listen.address}`,
    `HostKey ${hostKey}`,
    `PidFile ${pidFile}`,
    `AuthorizedKeysFile ${join(directory, 'authorized_keys')}`,
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    `SetEnv ${Object.entries(sessionEnv).map(([name, value]) => `${name}=${value}`).join(' ')}`,
    // No DNS lookups of the client: a network namespace has no resolver.
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'LogLevel ERROR',
  ].join('\n');
  const configPath = join(directory, 'sshd_config');
  writeFileSync(configPath, `${config}\n`);
  mkdirSync('/run/sshd', { recursive: true });
  execFileSync(SSHD_PATH, ['-t', '-f', configPath]);
  return { directory, clientKey, configPath, pidFile };
}

/** Resolves once the started sshd has written its pid file; `where` names it in the error if it never does. */
export async function waitForSshd(files: SshdFiles, child: ChildProcess, where: string): Promise<void> {
  for (let attempt = 0; !existsSync(files.pidFile); attempt++) {
    if (attempt > START_POLL_TRIES || child.exitCode !== null) throw new Error(`sshd did not start ${where} (exit ${child.exitCode})`);
    await new Promise((r) => setTimeout(r, START_POLL_MS));
  }
}

/** Stops the sshd (if it still runs) and removes its folder. */
export async function stopSshd(child: ChildProcess | undefined, files: SshdFiles | undefined): Promise<void> {
  if (child !== undefined && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
  if (files !== undefined) rmSync(files.directory, { recursive: true, force: true });
}
