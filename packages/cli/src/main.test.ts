import { describe, expect, it } from 'vitest';
import { parseArguments } from './main.js';
import { serverBinPath } from './server-location.js';

describe('tsmosh argument parsing', () => {
  it('reads --local, --link (both forms), --predict and the command after --', () => {
    const parsed = parseArguments(['--local', '--link', 'delay=150ms,loss=10%', '--predict=always', '--', 'tmux', 'new', '-A']);
    expect(parsed.kind).toBe('local');
    if (parsed.kind !== 'local') return;
    expect(parsed.options.command).toEqual(['tmux', 'new', '-A']);
    expect(parsed.options.predict).toBe('always');
    expect(parsed.options.link?.up.delayMs).toBe(150);
    expect(parsed.options.link?.down.loss).toBeCloseTo(0.1);
    const eq = parseArguments(['--local', '--link=up.loss=29%']);
    expect(eq.kind === 'local' && eq.options.link?.up.loss).toBeCloseTo(0.29);
    expect(eq.kind === 'local' && eq.options.link?.down.loss).toBe(0);
  });
  it('leaves the prediction mode to TSMOSH_PREDICTION_DISPLAY when --predict is absent', () => {
    const parsed = parseArguments(['--local']);
    expect(parsed.kind === 'local' && parsed.options.predict).toBeUndefined();
  });
  it('options after -- belong to the command', () => {
    const parsed = parseArguments(['--local', '--', 'ls', '--help']);
    expect(parsed).toMatchObject({ kind: 'local', options: { command: ['ls', '--help'] } });
  });
  it("accepts mosh's command line: a command without --, -a, -n, --family, --no-ssh-pty, --experimental-remote-ip", () => {
    expect(parseArguments(['host', 'echo', 'hi'])).toMatchObject({ kind: 'remote', options: { command: ['echo', 'hi'] } });
    // After the host, options are still options until the first word of the command; then everything is the command's.
    expect(parseArguments(['host', '--session', 'cc', 'ls', '-la', '--', 'x'])).toMatchObject({
      options: { command: ['ls', '-la', '--', 'x'] },
      sessions: { kind: 'attach', named: { session: 'cc' } },
    });
    expect(parseArguments(['-a', 'host'])).toMatchObject({ options: { predict: 'always' } });
    expect(parseArguments(['-n', 'host'])).toMatchObject({ options: { predict: 'never' } });
    expect(parseArguments(['--family=inet', 'host'])).toMatchObject({ options: { family: 4 } });
    expect(parseArguments(['--family', 'inet6', 'host'])).toMatchObject({ options: { family: 6 } });
    expect(parseArguments(['--family=prefer-inet6', 'host'])).toMatchObject({ options: { family: 'prefer-6' } });
    expect(parseArguments(['--family=prefer-inet', 'host'])).toMatchObject({ options: { family: 'prefer-4' } });
    const all = parseArguments(['-4', '--family=all', 'host']);
    expect(all.kind === 'remote' && all.options.family).toBeUndefined();
    expect(parseArguments(['--no-ssh-pty', '--no-init', 'host'])).toMatchObject({ kind: 'remote' });
    expect(parseArguments(['--experimental-remote-ip=local', 'host'])).toMatchObject({ options: { remoteIp: 'local' } });
    expect(parseArguments(['--no-install', 'host'])).toMatchObject({ options: { noInstall: true } });
    expect(parseArguments(['host', '--link', 'loss=10%'])).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(/^tsmosh: --link emulates a bad link for --local only; to feel one, run tsmosh --local --link loss=10%/) });
    const installing = parseArguments(['host']);
    expect(installing.kind === 'remote' && installing.options.noInstall).toBeFalsy();
  });
  it('refuses the mosh options it does not offer with why and what to do, in one line', () => {
    for (const [args, pattern] of [
      [['-o', 'host'], /^tsmosh: -o: .*no overwrite mode; drop -o$/],
      [['--predict-overwrite', 'host'], /^tsmosh: --predict-overwrite: .*drop --predict-overwrite$/],
      [['--client=/usr/bin/mosh-client', 'host'], /^tsmosh: --client: .*drop --client$/],
      [['--family=ipx', 'host'], /^tsmosh: --family must be one of inet, inet6, prefer-inet, prefer-inet6, auto, all/],
      [['--experimental-remote-ip=remote', 'host'], /use proxy \(the default\) or local/],
    ] as const) {
      const parsed = parseArguments([...args]);
      expect(parsed).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(pattern) });
    }
  });
  it("takes ssh's own login options as ssh does, separate or attached, for a host only", () => {
    expect(parseArguments(['-o', 'StrictHostKeyChecking=no', '-oUserKnownHostsFile=/dev/null', '-i', '~/.ssh/work', '-Jbastion', '-l', 'me', '-F', 'cfg', 'host', 'ls'])).toMatchObject({
      kind: 'remote',
      options: {
        destination: 'host',
        command: ['ls'],
        sshArguments: ['-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-i', '~/.ssh/work', '-J', 'bastion', '-l', 'me', '-F', 'cfg'],
      },
    });
    expect(parseArguments(['-o', 'ProxyJump jump', 'host'])).toMatchObject({ options: { sshArguments: ['-o', 'ProxyJump jump'] } });
    // After the host, the command owns every word, ssh-like ones included.
    expect(parseArguments(['host', 'grep', '-i', 'x'])).toMatchObject({ options: { command: ['grep', '-i', 'x'] } });
    expect(parseArguments(['host'])).not.toHaveProperty('options.sshArguments');
    expect(parseArguments(['-i'])).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(/^tsmosh: -i needs an identity file, as with ssh/) });
    expect(parseArguments(['--local', '-J', 'bastion'])).toMatchObject({ kind: 'usage-error', message: expect.stringMatching(/^tsmosh: -J is for a session on a host/) });
  });
  it('refuses mistakes with one line and a hint', () => {
    for (const args of [['--frob'], ['--local', 'host'], ['--local', '--link'], ['--local', '--predict=x'], ['--local', '--link', 'delay=fast'], []]) {
      const parsed = parseArguments(args);
      expect(parsed.kind).toBe('usage-error');
      if (parsed.kind === 'usage-error') {
        expect(parsed.message).toMatch(/^tsmosh: /);
        expect(parsed.message).not.toContain('\n');
      }
    }
    expect(parseArguments(['me@host'])).toMatchObject({ kind: 'remote', destination: 'me@host', options: { destination: 'me@host', command: [] }, sessions: { kind: 'none' } });
  });
  it('reads the named-session flags, and refuses them in combination or without a host', () => {
    expect(parseArguments(['host', '--session', 'work', '--idle-timeout=12h', '--server=/opt/ts', '--', 'claude'])).toMatchObject({
      kind: 'remote',
      options: { destination: 'host', serverCommand: '/opt/ts', command: ['claude'] },
      sessions: { kind: 'attach', named: { session: 'work', idleTimeout: '12h' } },
    });
    expect(parseArguments(['host', '--list', '--json'])).toMatchObject({ sessions: { kind: 'list', json: true } });
    expect(parseArguments(['--kill=work', 'host'])).toMatchObject({ sessions: { kind: 'kill', target: 'work' } });
    for (const args of [['host', '--list', '--kill', 'x'], ['host', '--session', 'a', '--list'], ['--local', '--list', '--kill', 'a'], ['host', '--session', '../x'], ['host', '--idle-timeout', '1h'], ['host', '--json'], ['host', '--session']]) {
      const parsed = parseArguments(args);
      expect(parsed.kind, args.join(' ')).toBe('usage-error');
    }
  });
  it('refuses a bad -p before logging in, in one line', () => {
    for (const spec of ['99999', '0:10', '20:10', 'abc', '60001-60010']) {
      expect(parseArguments(['-p', spec, 'host'])).toEqual({ kind: 'usage-error', message: `tsmosh: -p ${spec}: expected PORT or LOW:HIGH with 1 <= LOW <= HIGH <= 65535 (try \`tsmosh --help\`)` });
    }
    expect(parseArguments(['--port', '0', 'host'])).toMatchObject({ kind: 'remote', options: { serverPort: '0' } }); // 0: any free port, as mosh-server's
  });

  it('refuses a bad --bind-server or --idle-timeout before logging in, in one line naming tsmosh', () => {
    expect(parseArguments(['--bind-server=wat', 'host'])).toEqual({ kind: 'usage-error', message: 'tsmosh: --bind-server wat: expected ssh, any or an IP address of the host (try `tsmosh --help`)' });
    for (const good of ['ssh', 'any', '10.0.0.2', '::1']) expect(parseArguments([`--bind-server=${good}`, 'host'])).toMatchObject({ kind: 'remote', options: { bindServer: good } });
    expect(parseArguments(['--session', 'a', '--idle-timeout', '5q', 'host'])).toEqual({
      kind: 'usage-error',
      message: 'tsmosh: --idle-timeout 5q: expected a duration such as 90s, 30m, 12h, 7d, or 0 for never (try `tsmosh --help`)',
    });
    expect(parseArguments(['--local', '--session', 'a', '--idle-timeout=5q'])).toMatchObject({ kind: 'usage-error' });
    expect(parseArguments(['--session', 'a', '--idle-timeout', '12h', 'host'])).toMatchObject({ kind: 'remote' });
  });

  it("reads mosh's remote options: -p, --bind-server, -4/-6, --ssh, --server, --no-init", () => {
    expect(parseArguments(['-p', '60010:60020', '--bind-server=any', '-6', '--ssh=ssh -F /dev/null', '--no-init', 'me@host', '--', 'tmux', 'new', '-A', '-s', 'cc'])).toMatchObject({
      kind: 'remote',
      options: { destination: 'me@host', serverPort: '60010:60020', bindServer: 'any', family: 6, sshCommand: 'ssh -F /dev/null', noInit: true, command: ['tmux', 'new', '-A', '-s', 'cc'] },
    });
  });
  it('takes --no-init with --local (the local terminal stays on its normal screen) and refuses options only a host has', () => {
    expect(parseArguments(['--local', '--no-init', '--', 'vim'])).toMatchObject({ kind: 'local', options: { noInit: true, command: ['vim'] } });
    expect(parseArguments(['--local'])).not.toMatchObject({ options: { noInit: true } });
    expect(parseArguments(['--local', '--ssh=ssh -v'])).toEqual({
      kind: 'usage-error',
      message: 'tsmosh: --ssh is for a session on a host (it says how to reach it); --local runs one on this machine without SSH, so leave --ssh out (try `tsmosh --help`)',
    });
    for (const [flag, ...rest] of [['--server', 'x'], ['-p', '60001'], ['--port=60001'], ['--bind-server', 'any'], ['--family=inet'], ['-4'], ['-6'], ['--no-install'], ['--experimental-remote-ip=local']] as const) {
      const parsed = parseArguments(['--local', flag, ...rest]);
      expect(parsed.kind, flag).toBe('usage-error');
      if (parsed.kind === 'usage-error') expect(parsed.message, flag).toMatch(/ is for a session on a host .* --local runs one on this machine/);
    }
  });
  it("finds this repository's tsmosh-server bin through the @tsmosh/server package", () => {
    expect(serverBinPath()).toMatch(/packages\/server\/bin\/tsmosh-server\.js$/);
  });
});

describe('forwarding options (-A, -L, -R)', () => {
  it('reads -A, -L SPEC, -LSPEC and -R into the remote options, keeping -a as mosh’s predict-always', () => {
    const parsed = parseArguments(['-A', '-L', '8080:localhost:80', '-L9090:db:5432', '-R', '127.0.0.1:2222:localhost:22', '-a', 'host']);
    expect(parsed.kind).toBe('remote');
    if (parsed.kind !== 'remote') return;
    expect(parsed.options.predict).toBe('always');
    expect(parsed.options.forwarding).toEqual({
      agent: true,
      local: [
        { direction: 'local', bindHost: 'localhost', bindPort: 8080, host: 'localhost', hostPort: 80 },
        { direction: 'local', bindHost: 'localhost', bindPort: 9090, host: 'db', hostPort: 5432 },
      ],
      remote: [{ direction: 'remote', bindHost: '127.0.0.1', bindPort: 2222, host: 'localhost', hostPort: 22 }],
    });
  });

  it('works with --local, and a bad spec is one usage line', () => {
    const local = parseArguments(['--local', '-L', '8080:localhost:80']);
    expect(local.kind === 'local' && local.options.forwarding?.local).toHaveLength(1);
    expect(parseArguments(['-L', 'host'])).toEqual({ kind: 'usage-error', message: expect.stringMatching(/^tsmosh: -L host: expected three or four fields; write -L/) });
    expect(parseArguments(['host', '-R'])).toEqual({ kind: 'usage-error', message: expect.stringMatching(/^tsmosh: -R needs/) });
  });
});
