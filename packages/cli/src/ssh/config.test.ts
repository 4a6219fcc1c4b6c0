import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expandTokens, matchPatternList, parseDestination, resolveHost, SshConfigError } from './config.js';

/** The homes configHome made, removed after each test. */
const homes: string[] = [];
afterEach(() => {
  for (const home of homes.splice(0)) rmSync(home, { recursive: true, force: true });
});

function configHome(files: Record<string, string>): string {
  const home = mkdtempSync(join(tmpdir(), 'tsmosh-home-'));
  homes.push(home);
  mkdirSync(join(home, '.ssh'), { recursive: true });
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(home, '.ssh', name, '..'), { recursive: true });
    writeFileSync(join(home, '.ssh', name), text);
  }
  return home;
}

function resolve(home: string, destination: string, extra: object = {}) {
  return resolveHost({ destination, home, localUser: 'me', env: {}, configFiles: [join(home, '.ssh', 'config')], ...extra });
}

describe('parseDestination', () => {
  it('reads user, host and port in the forms ssh accepts', () => {
    expect(parseDestination('host')).toEqual({ host: 'host' });
    expect(parseDestination('alice@host')).toEqual({ user: 'alice', host: 'host' });
    expect(parseDestination('alice@host:2222')).toEqual({ user: 'alice', host: 'host', port: 2222 });
    expect(parseDestination('ssh://bob@[::1]:22')).toEqual({ user: 'bob', host: '::1', port: 22 });
    expect(parseDestination('::1')).toEqual({ host: '::1' });
    expect(() => parseDestination('a b')).toThrow(SshConfigError);
    expect(() => parseDestination('host:70000')).toThrow(/1–65535/);
  });
});

describe('matchPatternList', () => {
  it('matches globs and lets a negation veto', () => {
    expect(matchPatternList('web-1', 'web-*')).toBe(true);
    expect(matchPatternList('web-test', 'web-*,!web-test')).toBe(false);
    expect(matchPatternList('db', 'web-*,d?')).toBe(true);
    expect(matchPatternList('WEB-1', 'web-*')).toBe(true);
    expect(matchPatternList('db', '!web-*')).toBe(false);
  });
});

describe('resolveHost with options from the command line (ssh -o, -i, -J)', () => {
  it('puts them before every file, and lets -o Port and -o User win over the destination, as OpenSSH does', () => {
    const home = configHome({ config: 'Host box\n  HostName box.example\n  Port 2200\n  User fileuser\n  IdentityFile ~/.ssh/file_key\n  ProxyJump filejump\n' });
    const resolved = resolve(home, 'dest@box:2201', { commandLine: ['Port=2222', 'User cli', 'IdentityFile "/k/my key"', 'ProxyJump clijump', 'StrictHostKeyChecking accept-new'] });
    expect(resolved).toMatchObject({ hostName: 'box.example', port: 2222, user: 'cli', proxyJump: ['clijump'], strictHostKeyChecking: 'accept-new' });
    // IdentityFile accumulates: the command line's first, then the file's.
    expect(resolved.identityFiles).toEqual(['/k/my key', join(home, '.ssh', 'file_key')]);
    // Without them the destination's port and user win over the file, as before.
    expect(resolve(home, 'dest@box:2201')).toMatchObject({ port: 2201, user: 'dest', proxyJump: ['filejump'] });
  });
  it('lets a command-line HostName and ProxyCommand steer Match and the tokens, and -l (user) win over user@', () => {
    const home = configHome({ config: 'Match host real.example\n  Port 2300\n' });
    expect(resolve(home, 'alias', { commandLine: ['HostName=real.example'] })).toMatchObject({ hostName: 'real.example', port: 2300 });
    expect(resolve(home, 'someone@alias', { user: 'ell' })).toMatchObject({ user: 'ell' });
    expect(resolve(home, 'alias', { commandLine: ['ProxyCommand nc %h %p'] }).proxyCommand).toBe('nc alias 22');
  });
  it('refuses a section or an Include on the command line, and an unhonoured keyword as from a file', () => {
    const home = configHome({ config: '' });
    expect(() => resolve(home, 'box', { commandLine: ['Host=other'] })).toThrow(/-o 'Host=other' is not an ssh option/);
    expect(() => resolve(home, 'box', { commandLine: ['Include /etc/passwd'] })).toThrow(/is not an ssh option/);
    expect(() => resolve(home, 'box', { commandLine: ['BindAddress=10.0.0.1'] })).toThrow(/BindAddress 10\.0\.0\.1 .*--ssh=ssh/);
  });
});

describe('resolveHost', () => {
  it('applies the first value per key across matching Host blocks and accumulates IdentityFile', () => {
    const home = configHome({
      config: `Host web-* !web-test\n  HostName %h.example.org\n  User deploy\n  IdentityFile ~/.ssh/web_%r\nHost *\n  User nobody\n  Port 2200\n  IdentityFile ~/.ssh/id_ed25519\n`,
    });
    const web = resolve(home, 'web-1');
    expect(web.hostName).toBe('web-1.example.org');
    expect(web.user).toBe('deploy');
    expect(web.port).toBe(2200);
    expect(web.identityFiles).toEqual([join(home, '.ssh', 'web_deploy'), join(home, '.ssh', 'id_ed25519')]);
    const test = resolve(home, 'web-test');
    expect(test.hostName).toBe('web-test');
    expect(test.user).toBe('nobody');
  });

  it('lets the command line win over the files', () => {
    const home = configHome({ config: 'Host *\n  User nobody\n  Port 2200\n' });
    const host = resolve(home, 'alice@h:2022');
    expect(host.user).toBe('alice');
    expect(host.port).toBe(2022);
    expect(resolve(home, 'h', { port: 1234 }).port).toBe(1234);
  });

  it('reads Include files (globs, relative to ~/.ssh) and includes conditionally inside a Host block', () => {
    const home = configHome({
      config: 'Include conf.d/*.conf\nHost inner\n  Include inner.conf\n  User after-include\n',
      'conf.d/10-a.conf': 'Host alpha\n  HostName alpha.internal\n',
      'conf.d/20-b.conf': 'Host beta\n  Port 2022\n',
      'inner.conf': 'Port 4000\n',
    });
    expect(resolve(home, 'alpha').hostName).toBe('alpha.internal');
    expect(resolve(home, 'beta').port).toBe(2022);
    expect(resolve(home, 'inner').port).toBe(4000);
    expect(resolve(home, 'inner').user).toBe('after-include');
    // The conditional include must not leak into other hosts.
    expect(resolve(home, 'other').port).toBe(22);
  });

  it('stops an Include loop with a clear error', () => {
    const home = configHome({ config: 'Include config\n' });
    expect(() => resolve(home, 'x')).toThrow(/nested deeper/);
  });

  it('evaluates Match host against the HostName reached so far, and Match user', () => {
    const home = configHome({
      config: 'Host short\n  HostName long.example.com\nMatch host *.example.com user ops\n  Port 8022\nMatch originalhost short\n  User ops\n',
    });
    // User is set by the later Match originalhost block, after the Match user test ran: OpenSSH order.
    expect(resolve(home, 'short').port).toBe(22);
    expect(resolve(home, 'ops@short').port).toBe(8022);
  });

  it('runs Match exec only when allowed', () => {
    const home = configHome({ config: 'Match exec "test %h = yes-host"\n  Port 9000\n' });
    expect(resolve(home, 'yes-host').port).toBe(9000);
    expect(resolve(home, 'no-host').port).toBe(22);
    expect(resolve(home, 'yes-host', { allowMatchExec: false }).port).toBe(22);
  });

  it('reads LogLevel: QUIET, FATAL and ERROR hide informational lines, as in OpenSSH', () => {
    const home = configHome({ config: 'Host q\n  LogLevel QUIET\nHost e\n  LogLevel error\nHost v\n  LogLevel VERBOSE\nHost *\n  LogLevel INFO\n' });
    const quiet = (destination: string) => resolveHost({ destination, home, localUser: 'me', env: {}, configFiles: [join(home, '.ssh', 'config')] }).quiet;
    expect([quiet('q'), quiet('e'), quiet('v'), quiet('other')]).toEqual([true, true, false, false]);
  });

  it('resolves ProxyJump, known_hosts files, IdentityAgent and StrictHostKeyChecking', () => {
    const home = configHome({
      config: 'Host target\n  ProxyJump jump1,me@jump2:2222\n  UserKnownHostsFile ~/kh/%h\n  StrictHostKeyChecking accept-new\n  IdentityAgent none\n',
    });
    const host = resolveHost({ destination: 'target', home, localUser: 'me', env: { SSH_AUTH_SOCK: '/tmp/agent' }, configFiles: [join(home, '.ssh', 'config')] });
    expect(host.proxyJump).toEqual(['jump1', 'me@jump2:2222']);
    expect(host.userKnownHostsFiles).toEqual([join(home, 'kh', 'target')]);
    expect(host.strictHostKeyChecking).toBe('accept-new');
    expect(host.identityAgent).toBeUndefined();
    const plain = resolveHost({ destination: 'x', home, localUser: 'me', env: { SSH_AUTH_SOCK: '/tmp/agent' }, configFiles: [join(home, '.ssh', 'config')] });
    expect(plain.identityAgent).toBe('/tmp/agent');
    expect(plain.strictHostKeyChecking).toBe('ask');
    expect(plain.quiet).toBe(false);
  });

  it('expands ProxyCommand tokens, honours ProxyCommand none, and lets the first of ProxyJump and ProxyCommand win', () => {
    const home = configHome({
      config: [
        'Host bastioned',
        '  HostName inner.example',
        '  Port 2200',
        '  User alice',
        '  ProxyCommand ssh -W %h:%p %r@gate -o Tag=%n%% "two words"',
        'Host direct',
        '  ProxyCommand none',
        'Host jumpfirst',
        '  ProxyJump gate',
        '  ProxyCommand nc %h %p',
        'Host commandfirst',
        '  ProxyCommand nc %h %p',
        '  ProxyJump gate',
        '',
      ].join('\n'),
    });
    const bastioned = resolve(home, 'bastioned');
    expect(bastioned.proxyCommand).toBe('ssh -W inner.example:2200 alice@gate -o Tag=bastioned% "two words"');
    expect(bastioned.proxyJump).toEqual([]);
    expect(resolve(home, 'direct').proxyCommand).toBeUndefined();
    expect(resolve(home, 'jumpfirst')).toMatchObject({ proxyJump: ['gate'], proxyCommand: undefined });
    expect(resolve(home, 'commandfirst')).toMatchObject({ proxyJump: [], proxyCommand: 'nc commandfirst 22' });
  });

  it('refuses, naming it, a keyword that changes where or how it would connect and that it does not honour', () => {
    const home = configHome({ config: 'Host bound\n  BindAddress 10.1.2.3\nHost dns\n  VerifyHostKeyDNS yes\nHost fine\n  VerifyHostKeyDNS no\n  GSSAPIAuthentication yes\n' });
    expect(() => resolve(home, 'bound')).toThrow(/sets BindAddress 10\.1\.2\.3 for bound, which tsmosh's built-in SSH client does not honour; use --ssh=ssh/);
    expect(() => resolve(home, 'dns')).toThrow(/VerifyHostKeyDNS yes/);
    expect(() => resolve(home, 'fine')).not.toThrow();
  });

  it('refuses an unsupported Match criterion with advice', () => {
    const home = configHome({ config: 'Match localnetwork 10.0.0.0/8\n  Port 1\n' });
    expect(() => resolve(home, 'x')).toThrow(/--ssh=ssh/);
  });
});

describe('expandTokens', () => {
  it('expands known tokens and refuses unknown ones', () => {
    expect(expandTokens('%r@%h:%p %%', { r: 'u', h: 'h', p: '22', '%': '%' })).toBe('u@h:22 %');
    expect(() => expandTokens('%Z', {})).toThrow(/unknown token/);
  });
});
