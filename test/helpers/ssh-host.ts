/**
 * A throwaway "remote host" for end-to-end tests of `tsmosh host`: a real sshd on 127.0.0.1 whose sessions run
 * this repository's tsmosh-server (with the test's own daemon, through TSMOSH_RUNTIME_DIR), a private HOME with a
 * key and an ~/.ssh/config naming the host `testhost`, and the tsmosh bin started in a pty with that HOME.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PtyProgram, SERVER_BIN, TSMOSH_BIN, Workspace, requireBuilt } from '../client-harness.js';
import { makeKeyPair, startSshd, type KeyPair, type Sshd } from './sshd.js';

export interface SshTestHost {
  readonly workspace: Workspace;
  readonly sshd: Sshd;
  readonly home: string;
  readonly userKey: KeyPair;
  /** `--server=` value: the repository's tsmosh-server under the node running the tests. */
  readonly serverCommand: string;
  /** The `Host testhost` block of ~/.ssh/config, plus `extra` (more blocks or lines). */
  writeConfig(extra?: string): void;
  /**
   * `--ssh=` value for the system OpenSSH client, with a config whose `Host viassh` reaches this sshd. OpenSSH finds
   * ~ through the password database, not $HOME, so the config names every file by its absolute path.
   */
  openSshCommand(): string;
  /** The tsmosh bin in a pty, with this HOME; killed by dispose(). */
  /** The tsmosh bin in a pty, as the user runs it; `env` adds to (or, undefined, removes from) the workspace's. */
  tsmosh(args: readonly string[], env?: Readonly<Record<string, string | undefined>>): PtyProgram;
  dispose(): Promise<void>;
}

/** `testhostLines`: extra lines inside `Host testhost` (e.g. `StrictHostKeyChecking accept-new`); `passwordAuthentication`: see startSshd. */
export async function startSshTestHost(options: { testhostLines?: readonly string[]; passwordAuthentication?: boolean } = {}): Promise<SshTestHost> {
  requireBuilt();
  const home = mkdtempSync(join(tmpdir(), 'tsmosh-ssh-home-'));
  mkdirSync(join(home, '.ssh'), { mode: 0o700 });
  const userKey = makeKeyPair(join(home, '.ssh'), 'id_test');
  const workspace = new Workspace({ HOME: home, SSH_AUTH_SOCK: '' });
  let sshd: Sshd;
  try {
    await workspace.ensureDaemon();
    sshd = await startSshd({ authorizedKeys: [userKey.publicLine], passwordAuthentication: options.passwordAuthentication ?? false, extraEnv: { TSMOSH_RUNTIME_DIR: workspace.runtimeDir } });
  } catch (error) {
    // Nothing will call dispose(): undo what started before rethrowing.
    await workspace.dispose();
    rmSync(home, { recursive: true, force: true });
    throw error;
  }
  const programs: PtyProgram[] = [];
  const host: SshTestHost = {
    workspace,
    sshd,
    home,
    userKey,
    serverCommand: `${process.execPath} ${SERVER_BIN}`,
    writeConfig(extra = '') {
      const lines = [`HostName 127.0.0.1`, `Port ${sshd.port}`, 'User root', 'IdentityFile ~/.ssh/id_test', ...(options.testhostLines ?? [])];
      writeFileSync(join(home, '.ssh', 'config'), `Host testhost\n${lines.map((line) => `  ${line}\n`).join('')}${extra}`);
    },
    openSshCommand() {
      const knownHosts = join(home, '.ssh', 'known_hosts_openssh');
      writeFileSync(knownHosts, `${sshd.knownHostsLine()}\n`);
      const config = join(home, '.ssh', 'config_openssh');
      const lines = ['HostName 127.0.0.1', `Port ${sshd.port}`, 'User root', `IdentityFile ${userKey.privatePath}`, 'IdentitiesOnly yes', `UserKnownHostsFile ${knownHosts}`, 'StrictHostKeyChecking yes', 'BatchMode yes'];
      writeFileSync(config, `Host viassh\n${lines.map((line) => `  ${line}\n`).join('')}`);
      return `ssh -F ${config}`;
    },
    tsmosh(args, env = {}) {
      const merged: Record<string, string> = { ...workspace.env };
      for (const [name, value] of Object.entries(env)) {
        if (value === undefined) delete merged[name];
        else merged[name] = value;
      }
      const program = new PtyProgram({ args: [TSMOSH_BIN, ...args], env: merged });
      programs.push(program);
      return program;
    },
    async dispose() {
      for (const program of programs) program.kill();
      await sshd.stop();
      await workspace.dispose();
      rmSync(home, { recursive: true, force: true });
    },
  };
  host.writeConfig();
  return host;
}
