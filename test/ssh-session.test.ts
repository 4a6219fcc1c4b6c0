/**
 * `tsmosh host -- command` end to end, as a user runs it: the tsmosh bin in a pty logs in to a real sshd on
 * 127.0.0.1 (throwaway host key and authorized key, the user's ~/.ssh/config and known_hosts), runs this
 * repository's tsmosh-server on the "host", closes SSH, and the session runs over UDP until Ctrl-^ . quits.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SERVER_BIN, type PtyProgram, type Workspace } from './client-harness.js';
import { startSshTestHost, type SshTestHost } from './helpers/ssh-host.js';
import { makeKeyPair, sshdAvailable, type KeyPair, type Sshd } from './helpers/sshd.js';
import { waitUntil } from './server-helpers.js';

describe.skipIf(!sshdAvailable)('tsmosh over SSH', () => {
  let host: SshTestHost;
  let workspace: Workspace;
  let sshd: Sshd;
  let home: string;
  let userKey: KeyPair;
  let serverCommand: string;

  beforeAll(async () => {
    host = await startSshTestHost();
    ({ workspace, sshd, home, userKey, serverCommand } = host);
  });

  afterAll(async () => {
    await host?.dispose();
  });

  const tsmosh = (args: string[], env?: Record<string, string | undefined>): PtyProgram => host.tsmosh(args, env);
  /** The IDs of the sessions the host's daemon runs now. */
  const sessionIds = (): string[] => {
    try {
      const listing = execFileSync(process.execPath, [SERVER_BIN, 'list', '--json'], { env: workspace.env, encoding: 'utf8' });
      return (JSON.parse(listing) as Array<{ sessionId: string }>).map((session) => session.sessionId);
    } catch {
      return []; // no daemon runs
    }
  };

  it('asks about the new host, records it, runs the session over UDP, and quits with Ctrl-^ .', async () => {
    const t = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'bash', '--norc', '--noprofile']);
    await t.waitForText(/continue connecting \(yes\/no/);
    t.type('yes\r');
    // PS1 does not travel through SSH: this is bash's own default prompt on the host.
    await t.waitForText(/bash-[\d.]+[#$]/);
    t.type('echo over-ssh-$((6*7))\r');
    await t.waitForText('over-ssh-42');
    // Recorded so OpenSSH finds it (hashed or not, as the system ssh_config's HashKnownHosts says).
    const found = execFileSync('ssh-keygen', ['-F', `[127.0.0.1]:${sshd.port}`, '-f', join(home, '.ssh', 'known_hosts')], { encoding: 'utf8' });
    expect(found).toContain(sshd.hostKey.publicLine.split(' ')[1]);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
    const modes = t.terminalModes();
    expect(modes.cursorHidden).toBe(false);
    expect(modes.bracketedPaste).toBe(false);
  });

  it('says a new host key was added, unless LogLevel is ERROR (throwaway hosts with UserKnownHostsFile /dev/null)', async () => {
    const entry = (name: string, extra: string[]): string[] => [
      `Host ${name}`,
      '  HostName 127.0.0.1',
      `  Port ${sshd.port}`,
      '  User root',
      '  IdentityFile ~/.ssh/id_test',
      '  UserKnownHostsFile /dev/null',
      '  StrictHostKeyChecking no',
      ...extra,
    ];
    host.writeConfig([...entry('throwaway', []), ...entry('throwawayquiet', ['  LogLevel ERROR']), ''].join('\n'));
    for (const [name, warned] of [['throwaway', true], ['throwawayquiet', false]] as const) {
      const t = tsmosh([name, `--server=${serverCommand}`, '--', 'sh', '-c', 'echo key-$((40+2)); sleep 1']);
      await t.waitForText('key-42');
      expect((await t.waitForExit()).exitCode).toBe(0);
      expect((await t.allLines()).some((line) => line.includes('Permanently added')), name).toBe(warned);
    }
  });

  it('bootstraps through the system OpenSSH client with --ssh and runs the session over UDP', async () => {
    const t = tsmosh(['viassh', `--ssh=${host.openSshCommand()}`, `--server=${serverCommand}`, '--', 'bash', '--norc', '--noprofile']);
    await t.waitForText(/bash-[\d.]+[#$]/);
    t.type('echo via-openssh-$((40+2))\r');
    await t.waitForText('via-openssh-42');
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it("takes ssh's own login options on its command line (-F, -i, -l, -o, -J), with the built-in client and with OpenSSH", async () => {
    // -F names a config that knows nothing of the host: every way there comes from the command line.
    const empty = join(home, '.ssh', 'config_empty');
    writeFileSync(empty, '');
    const knownHosts = join(home, '.ssh', 'known_hosts_cli');
    const login = ['-F', empty, '-i', userKey.privatePath, '-l', 'root', '-o', `Port=${sshd.port}`, '-oStrictHostKeyChecking=accept-new', '-o', `UserKnownHostsFile ${knownHosts}`, '-o', 'BatchMode=yes'];
    // A jump host as a config alias (-J takes no -i or -o along, as with OpenSSH): the same sshd, reached through itself.
    const withJump = join(home, '.ssh', 'config_jump');
    writeFileSync(withJump, `Host hop\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ${userKey.privatePath}\n  UserKnownHostsFile ${knownHosts}\n  StrictHostKeyChecking accept-new\n`);
    const runs: Array<[string, string[]]> = [
      ['the built-in client', login],
      ['OpenSSH (--ssh=ssh)', ['--ssh=ssh', ...login, '-o', 'IdentitiesOnly=yes']],
      ['the built-in client through -J', [...login.slice(2), '-F', withJump, '-J', 'hop']],
    ];
    for (const [how, args] of runs) {
      const t = tsmosh([...args, '127.0.0.1', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo cli-options-$((40+2)); sleep 1']);
      await t.waitForText('cli-options-42');
      expect((await t.waitForExit()).exitCode, how).toBe(0);
    }
  });

  it("exits with the remote command's status as ssh does, and 255 when tsmosh itself fails", async () => {
    // mosh's way: options before the host, the command without --.
    const exited = tsmosh(['-n', '--family=inet', '--no-ssh-pty', 'testhost', `--server=${serverCommand}`, 'sh', '-c', 'exit 3']);
    expect((await exited.waitForExit()).exitCode).toBe(3);
    const interrupted = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'kill -INT $$']);
    expect((await interrupted.waitForExit()).exitCode).toBe(130);
    const missing = tsmosh(['testhost', '--server=/nonexistent/tsmosh-server']);
    expect((await missing.waitForExit()).exitCode).toBe(255);
  });

  it('shows a progress line naming the host and the step on a slow login, and erases it when the session draws', async () => {
    const log = join(home, 'slow-proxy.log');
    const relay = fileURLToPath(new URL('./fixtures/tcp-relay.mjs', import.meta.url));
    host.writeConfig(
      [
        'Host slowlink',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  User root',
        '  IdentityFile ~/.ssh/id_test',
        `  UserKnownHostsFile ${join(home, '.ssh', 'known_hosts_slow')}`,
        '  StrictHostKeyChecking accept-new',
        // 300 ms each way: a 600 ms round trip, so SSH's handful of round trips takes seconds.
        `  ProxyCommand ${process.execPath} ${relay} %h %p ${log} 300`,
        '',
      ].join('\n'),
    );
    const t = tsmosh(['slowlink', `--server=${serverCommand}`, '--', 'bash', '--norc', '--noprofile']);
    await t.waitForText(/tsmosh: slowlink: (SSH handshake|authenticating as root|starting the server there)/, 20_000);
    await t.waitForText(/bash-[\d.]+[#$]/, 30_000);
    t.type('echo after-slow-login\r');
    await t.waitForText('after-slow-login');
    expect((await t.screenText()).includes('tsmosh: slowlink:')).toBe(false);
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  }, 60_000);

  it('logs in through a ProxyCommand (tokens expanded, run by the shell) and refuses a keyword it would ignore', async () => {
    const log = join(home, 'proxy.log');
    const relay = fileURLToPath(new URL('./fixtures/tcp-relay.mjs', import.meta.url));
    const knownHosts = join(home, '.ssh', 'known_hosts');
    host.writeConfig(
      [
        'Host viaproxy',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  User root',
        '  IdentityFile ~/.ssh/id_test',
        `  UserKnownHostsFile ${knownHosts}`,
        '  StrictHostKeyChecking accept-new',
        `  ProxyCommand ${process.execPath} ${relay} %h %p ${log}`,
        'Host bound',
        '  HostName 127.0.0.1',
        `  Port ${sshd.port}`,
        '  BindAddress 127.0.0.2',
        '',
      ].join('\n'),
    );
    try {
      const t = tsmosh(['viaproxy', `--server=${serverCommand}`, '--', 'bash', '--norc', '--noprofile']);
      await t.waitForText(/bash-[\d.]+[#$]/);
      t.type('echo via-proxy-$((40+2))\r');
      await t.waitForText('via-proxy-42');
      // The relay exits once the login is over, while the session runs: it must not have taken the raw mode away.
      await waitUntil(() => readFileSync(log, 'utf8').includes('closed'), 'the proxy to exit after the login');
      t.type('\x1e.');
      expect((await t.waitForExit()).exitCode).toBe(0);
      expect(readFileSync(log, 'utf8')).toBe(`relay 127.0.0.1 ${sshd.port}\nclosed\n`);

      const refused = tsmosh(['bound', `--server=${serverCommand}`]);
      expect((await refused.waitForExit()).exitCode).toBe(255);
      expect((await refused.logicalLines()).join('\n')).toMatch(/tsmosh: the ssh config sets BindAddress 127\.0\.0\.2 for bound, which tsmosh's built-in SSH client does not honour; use --ssh=ssh/);
    } finally {
      host.writeConfig();
    }
  });

  it("gives the session the local terminal's identity (TERM_PROGRAM and kin), which SSH itself does not carry", async () => {
    const identity = { TERM_PROGRAM: 'WezTerm', TERM_PROGRAM_VERSION: '20240203', COLORTERM: 'truecolor' };
    const t = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo "id=$TERM_PROGRAM/$TERM_PROGRAM_VERSION/$COLORTERM/$TERM"'], identity);
    expect((await t.waitForExit()).exitCode).toBe(0);
    expect((await t.logicalLines()).join('\n')).toContain('id=WezTerm/20240203/truecolor/xterm-256color');
    // Without them, none is invented.
    const bare = tsmosh(['testhost', `--server=${serverCommand}`, '--', 'sh', '-c', 'echo "id=${TERM_PROGRAM-unset}/${COLORTERM-unset}"'], { TERM_PROGRAM: undefined, TERM_PROGRAM_VERSION: undefined, COLORTERM: undefined });
    expect((await bare.waitForExit()).exitCode).toBe(0);
    expect((await bare.logicalLines()).join('\n')).toContain('id=unset/unset');
  });

  it('refuses a changed host key in one line and starts nothing', async () => {
    // The impostor's key pair lives in the host's home, which dispose() removes.
    const impostor = makeKeyPair(mkdtempSync(join(home, 'impostor-')), 'impostor');
    const knownHosts = join(home, '.ssh', 'known_hosts_changed');
    writeFileSync(knownHosts, `[127.0.0.1]:${sshd.port} ${impostor.publicLine.split(' ').slice(0, 2).join(' ')}\n`);
    host.writeConfig(`Host changed\n  HostName 127.0.0.1\n  Port ${sshd.port}\n  User root\n  IdentityFile ~/.ssh/id_test\n  UserKnownHostsFile ${knownHosts}\n`);
    // Earlier tests' sessions may still be ending: compare which sessions exist, not how many.
    const before = sessionIds();
    const t = tsmosh(['changed', `--server=${serverCommand}`]);
    const { exitCode } = await t.waitForExit();
    expect(exitCode).not.toBe(0);
    const text = (await t.logicalLines()).join('\n');
    expect(text).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(text).toMatch(/tsmosh: host key for changed has changed .*ssh-keygen -f \S+known_hosts_changed -R/);
    const started = sessionIds().filter((id) => !before.includes(id));
    expect(started).toEqual([]);
  });

  it('says how to install the server when the host lacks it', async () => {
    const t = tsmosh(['testhost', '--server=/nonexistent/tsmosh-server']);
    const { exitCode } = await t.waitForExit();
    expect(exitCode).not.toBe(0);
    expect((await t.logicalLines()).join('\n')).toMatch(/'\/nonexistent\/tsmosh-server' was not found on testhost \(.*\): check the path given with --server=, or drop --server= to let tsmosh install its own\./);
  });
});
