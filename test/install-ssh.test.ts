/**
 * Zero-install, end to end: a real sshd on 127.0.0.1 and a throwaway user whose SSH sessions have Node.js on the
 * PATH and nothing else of use (no git, compiler, npm or tsmosh; only node, sh, bash and uname). `tsmosh user@host`
 * must install its own server there over the login, run a working shell, reuse the install next time, refuse an
 * altered bundle, and explain a host without Node.js, each in one line. Needs root (sshd, useradd); skipped otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveRuntimeDir } from '../packages/server/src/runtime-dir.js';
import { PtyProgram, ROOT, TSMOSH_BIN, requireBuilt } from './client-harness.js';
import { makeKeyPair, sshdAvailable, startSshd, type KeyPair, type Sshd } from './helpers/sshd.js';

const canCreateUsers = sshdAvailable && existsSync('/usr/sbin/useradd') && existsSync('/usr/sbin/usermod');
const BUNDLE_DIR = join(ROOT, 'packages/server/bundle');

describe.skipIf(!canCreateUsers)('tsmosh on a host with nothing but Node.js', () => {
  const user = `tsmoshi${process.pid % 100000}`;
  let root: string;
  let hostHome: string;
  let hostBin: string;
  let clientHome: string;
  let userKey: KeyPair;
  let sshd: Sshd;
  let installBase: string;
  let installId: string;
  const programs: PtyProgram[] = [];

  beforeAll(async () => {
    requireBuilt();
    expect(existsSync(join(BUNDLE_DIR, 'manifest.json')), 'the server bundle is built by `npm run build`').toBe(true);
    root = mkdtempSync(join(tmpdir(), 'tsmosh-bare-host-'));
    chmodSync(root, 0o755);
    hostHome = join(root, 'home');
    execFileSync('/usr/sbin/useradd', ['--create-home', '--home-dir', hostHome, '--shell', '/bin/bash', user]);
    // A locked password ('!') makes sshd refuse every login without PAM; '*' is "no password", keys still work.
    execFileSync('/usr/sbin/usermod', ['-p', '*', user]);
    hostBin = join(root, 'bin');
    mkdirSync(hostBin, { mode: 0o755 });
    for (const [name, target] of [['node', process.execPath], ['sh', '/bin/sh'], ['bash', '/bin/bash'], ['uname', '/usr/bin/uname']] as const) {
      symlinkSync(target, join(hostBin, name));
    }
    installBase = join(hostHome, '.local/share/tsmosh/server');

    clientHome = mkdtempSync(join(tmpdir(), 'tsmosh-bare-client-'));
    mkdirSync(join(clientHome, '.ssh'), { mode: 0o700 });
    userKey = makeKeyPair(join(clientHome, '.ssh'), 'id_test');
    sshd = await startSshd({ authorizedKeys: [userKey.publicLine], setEnvPath: hostBin, logLevel: 'DEBUG1' });
    // sshd reads authorized_keys as the user logging in.
    chmodSync(sshd.directory, 0o755);
    chmodSync(join(sshd.directory, 'authorized_keys'), 0o644);
    writeFileSync(join(clientHome, '.ssh', 'known_hosts'), `${sshd.knownHostsLine()}\n`);
    writeFileSync(
      join(clientHome, '.ssh', 'config'),
      `Host bare\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${user}\n  IdentityFile ~/.ssh/id_test\n  StrictHostKeyChecking yes\n`,
    );
  });

  afterAll(async () => {
    for (const program of programs) program.kill();
    spawnSync('pkill', ['-KILL', '-u', user]);
    await sshd?.stop();
    // The user's daemon kept its runtime folder where a login without XDG_RUNTIME_DIR puts it, /tmp/tsmosh-UID
    // (outside the test's TMPDIR): it outlived the user.
    const uid = spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim();
    if (/^\d+$/.test(uid)) rmSync(resolveRuntimeDir({}, Number(uid)), { recursive: true, force: true });
    spawnSync('/usr/sbin/userdel', ['--remove', user]);
    if (root) rmSync(root, { recursive: true, force: true });
    if (clientHome) rmSync(clientHome, { recursive: true, force: true });
  });

  const tsmosh = (args: readonly string[], env: Record<string, string> = {}): PtyProgram => {
    const clientEnv: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: clientHome, LANG: 'C.UTF-8', TERM: 'xterm-256color', SSH_AUTH_SOCK: '', ...env };
    const program = new PtyProgram({ args: [TSMOSH_BIN, ...args], env: clientEnv });
    programs.push(program);
    return program;
  };
  /**
   * `tsmosh bare -- bash` with `tool` gone from the host's PATH (its link there put back after, pointing at `target`):
   * it must fail as tsmosh's own failure (255); its lines, for the test to read.
   */
  const failedWithout = async (tool: string, target: string): Promise<string> => {
    unlinkSync(join(hostBin, tool));
    try {
      const t = tsmosh(['bare', '--', 'bash']);
      expect((await t.waitForExit()).exitCode).toBe(255);
      return (await t.logicalLines()).join('\n');
    } finally {
      symlinkSync(target, join(hostBin, tool));
    }
  };
  /** A bash session through tsmosh, shown to work: `line` typed there prints `expected`. */
  const shellWorks = async (args: readonly string[], line: string, expected: string): Promise<PtyProgram> => {
    const t = tsmosh([...args, '--', 'bash', '--norc', '--noprofile']);
    await t.waitForText(/bash-[\d.]+\$/);
    t.type(`${line}\r`);
    await t.waitForText(expected);
    return t;
  };
  /** Quits a session with Ctrl-^ . and expects a clean exit. */
  const quit = async (t: PtyProgram): Promise<void> => {
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  };
  /** Ends the host user's processes and removes what tsmosh installed there, so the next connect starts bare. */
  const forgetHostInstall = (): void => {
    spawnSync('pkill', ['-KILL', '-u', user]);
    rmSync(join(hostHome, '.local/share/tsmosh'), { recursive: true, force: true });
  };
  /** How many commands the host's sshd has been asked to run so far. */
  const execRequests = (): number => sshd.log().split('\n').filter((line) => /request exec/.test(line)).length;

  it('installs its server over the login and reaches a working shell', async () => {
    expect(spawnSync('/bin/bash', ['-c', 'command -v git gcc g++ cc make npm tsmosh-server'], { env: { PATH: hostBin } }).stdout.toString()).toBe('');
    const before = execRequests();
    const t = await shellWorks(['bare'], 'echo on-a-bare-host-$((6*7)) $PATH', `on-a-bare-host-42 ${hostBin}`);
    // Two commands: the start command (which found no server and described the host), then the install.
    expect(execRequests() - before).toBe(2);
    const manifest = JSON.parse(readFileSync(join(BUNDLE_DIR, 'manifest.json'), 'utf8')) as { version: string };
    const installs = readdirSync(installBase);
    expect(installs).toHaveLength(1);
    installId = installs[0]!;
    expect(installId).toMatch(new RegExp(`^${manifest.version.replace(/\./g, '\\.')}-[0-9a-f]{16}$`));
    const dir = join(installBase, installId);
    const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
    for (const path of [join(hostHome, '.local/share/tsmosh'), installBase, dir]) {
      expect(statSync(path).uid).toBe(uid);
      expect(statSync(path).mode & 0o777).toBe(0o700);
    }
    expect(readdirSync(join(dir, 'prebuilds'))).toEqual([`linux-${process.arch}`]);
    // The session's daemon runs from the install, as the user.
    const daemons = execFileSync('ps', ['-u', user, '-o', 'args='], { encoding: 'utf8' });
    expect(daemons).toContain(`${join(dir, 'tsmosh-server.mjs')} daemon`);
    await quit(t);
  });

  it('reuses the install on the next connect: one command, no upload', async () => {
    const dir = join(installBase, installId);
    const stamp = statSync(join(dir, 'tsmosh-server.mjs')).mtimeMs;
    const before = execRequests();
    const t = await shellWorks(['bare'], 'echo again-$((6*7))', 'again-42');
    expect(execRequests() - before).toBe(1);
    expect(statSync(join(dir, 'tsmosh-server.mjs')).mtimeMs).toBe(stamp);
    expect(readdirSync(installBase)).toEqual([installId]);
    await quit(t);
  });

  it('installs the same way through OpenSSH (--ssh=ssh), and --no-install never does', async () => {
    forgetHostInstall();
    // OpenSSH finds ~ through the password database, so its config names every file by its absolute path.
    const config = join(clientHome, '.ssh', 'config_openssh');
    writeFileSync(
      config,
      `Host bare\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User ${user}\n  IdentityFile ${userKey.privatePath}\n  IdentitiesOnly yes\n` +
        `  UserKnownHostsFile ${join(clientHome, '.ssh', 'known_hosts')}\n  StrictHostKeyChecking yes\n  BatchMode yes\n`,
    );
    const refused = tsmosh(['bare', '--no-install', `--ssh=ssh -F ${config}`, '--', 'bash']);
    expect((await refused.waitForExit()).exitCode).toBe(255);
    expect((await refused.logicalLines()).join('\n')).toMatch(/tsmosh: 'tsmosh-server' was not found on bare \(.*\): install tsmosh there .*, or drop --no-install to let tsmosh install its own\./);
    expect(existsSync(installBase)).toBe(false);

    const t = await shellWorks(['bare', `--ssh=ssh -F ${config}`], 'echo through-openssh-$((6*7))', 'through-openssh-42');
    expect(readdirSync(installBase)).toEqual([installId]);
    await quit(t);
  });

  it('refuses a bundle altered on the client with one line, and leaves nothing on the host', async () => {
    forgetHostInstall();
    const altered = join(root, 'altered-bundle');
    cpSync(BUNDLE_DIR, altered, { recursive: true });
    const entry = join(altered, 'tsmosh-server.mjs');
    const bytes = readFileSync(entry);
    bytes[bytes.length - 2] ^= 0x01; // one bit, same size
    writeFileSync(entry, bytes);
    const t = tsmosh(['bare', '--', 'bash'], { TSMOSH_SERVER_BUNDLE: altered });
    const { exitCode } = await t.waitForExit();
    expect(exitCode).toBe(255);
    const text = (await t.logicalLines()).join('\n');
    expect(text).toMatch(/tsmosh: could not install tsmosh-server on bare: tsmosh-server\.mjs does not match the SHA-256 in the manifest of the client, whose copy of tsmosh is damaged or altered \(reinstall it there\); nothing was installed/);
    expect(readdirSync(installBase)).toEqual([]);
  });

  it('tells the user in one line when the host has no Node.js', async () => {
    const text = await failedWithout('node', process.execPath);
    expect(text).toMatch(/tsmosh: bare \(Linux \S+\) has no `node` on the PATH of an SSH command; tsmosh-server needs Node\.js 20\.19 or later there/);
    expect(readdirSync(installBase)).toEqual([]);
  });

  it('says the login has no `sh` when its PATH lacks one, naming no option the user did not give', async () => {
    // tsmosh's start script runs under sh; the login's bash found none and said so. The line blamed tsmosh-server
    // and told the user to drop --no-install and --server=, neither of which was given.
    const text = await failedWithout('sh', '/bin/sh');
    expect(text).toMatch(/tsmosh: the SSH login on bare found no `sh` \(it said: bash: .*sh: command not found\); .*put sh's folder \(\/bin\) on the PATH your login shell gives SSH commands there/);
    expect(text).not.toMatch(/--no-install|was not found on bare/);
  });
});
