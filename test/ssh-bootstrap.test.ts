/**
 * The SSH bootstrap against real OpenSSH servers on 127.0.0.1, started by the test with throwaway keys: key, agent
 * and passphrase logins, new and changed host keys, and a config with Host, Include and ProxyJump through a second
 * sshd. The remote command here is a shell `printf` that stands where `tsmosh-server new` stands, so the login
 * paths are tested on their own; test/ssh-session.test.ts runs the real server through the same bootstrap.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { bootstrap, BootstrapError, type Prompter } from '../packages/cli/src/ssh/bootstrap.js';
import { TtyPrompter } from '../packages/cli/src/ssh/tty-prompter.js';
import { makeKeyPair, sshdAvailable, startAgent, startSshd, type KeyPair, type Sshd } from './helpers/sshd.js';

const KEY = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'.slice(0, 32);
const FAKE_SERVER = `printf 'Welcome to the test host\\nTSMOSH CONNECT 60001 %s\\n'`;

class ScriptedPrompter implements Prompter {
  readonly questions: string[] = [];
  readonly told: string[] = [];
  constructor(private readonly answers: string[] = []) {}
  async ask(question: string): Promise<string> {
    this.questions.push(question);
    const answer = this.answers.shift();
    if (answer === undefined) throw new Error(`unexpected prompt: ${question}`);
    return answer;
  }
  tell(message: string): void {
    this.told.push(message);
  }
}

describe.skipIf(!sshdAvailable)('SSH bootstrap against a real sshd', () => {
  let directory: string;
  let home: string;
  let plainKey: KeyPair;
  let lockedKey: KeyPair;
  let agentKey: KeyPair;
  let target: Sshd;
  let jump: Sshd;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'tsmosh-boot-'));
    home = join(directory, 'home');
    mkdirSync(join(home, '.ssh'), { recursive: true, mode: 0o700 });
    plainKey = makeKeyPair(directory, 'plain');
    lockedKey = makeKeyPair(directory, 'locked', 'correct horse');
    agentKey = makeKeyPair(directory, 'agent');
    const authorized = [plainKey.publicLine, lockedKey.publicLine, agentKey.publicLine];
    target = await startSshd({ authorizedKeys: authorized });
    jump = await startSshd({ authorizedKeys: authorized, logLevel: 'DEBUG1' });
  });

  afterAll(async () => {
    await target?.stop();
    await jump?.stop();
    if (directory) rmSync(directory, { recursive: true, force: true });
  });

  function writeConfig(name: string, text: string): string {
    const path = join(home, '.ssh', name);
    writeFileSync(path, text);
    return path;
  }

  function knownHosts(...lines: string[]): string {
    const path = join(directory, `known_hosts_${Math.random().toString(36).slice(2)}`);
    writeFileSync(path, lines.map((line) => line + '\n').join(''));
    return path;
  }

  function base(extra: object) {
    return { home, localUser: 'root', env: {}, serverCommand: FAKE_SERVER, serverArguments: [KEY], loginTimeoutMs: 20_000, ...extra };
  }

  it('logs in with an identity file, asks about a new host, records it hashed, and reads the CONNECT line', async () => {
    const kh = join(directory, 'kh-new');
    const config = writeConfig('config-new', `Host box\n  HostName 127.0.0.1\n  Port ${target.port}\n  User root\n  IdentityFile ${plainKey.privatePath}\n  UserKnownHostsFile ${kh}\n  HashKnownHosts yes\n`);
    const prompter = new ScriptedPrompter(['yes']);
    const result = await bootstrap({ ...base({ configFiles: [config] }), destination: 'box', prompter });
    expect(result).toMatchObject({ udpHost: '127.0.0.1', port: 60001, key: KEY });
    expect(prompter.questions[0]).toMatch(/authenticity of host '\[127\.0\.0\.1\]:\d+' can't be established[\s\S]*SHA256:/);
    expect(prompter.told).toContain('Welcome to the test host');
    const recorded = readFileSync(kh, 'utf8');
    expect(recorded).toMatch(/^\|1\|/);
    // Second time: known, no question asked.
    const again = new ScriptedPrompter();
    await bootstrap({ ...base({ configFiles: [config] }), destination: 'box', prompter: again });
    expect(again.questions).toEqual([]);
    expect(result.rttMs).toBeGreaterThan(0);
    expect(result.notices).toEqual([]);
  });

  it("keeps what the server says for the user on stderr for after the session (the first frame would hide it)", async () => {
    const config = writeConfig('config-notice', `Host box\n  HostName 127.0.0.1\n  Port ${target.port}\n  User root\n  IdentityFile ${plainKey.privatePath}\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n`);
    const prompter = new ScriptedPrompter();
    const result = await bootstrap({ ...base({ configFiles: [config], serverCommand: `echo 'tsmosh: a notice from new' >&2; ${FAKE_SERVER}` }), destination: 'box', prompter });
    expect(result.notices).toEqual(['tsmosh: a notice from new']);
    expect(prompter.told).not.toContain('tsmosh: a notice from new');
    expect(prompter.told).toContain('Welcome to the test host');
  });

  it('tells its caller when the login waits on the network: after the connect, before the host has answered', async () => {
    // tsmosh loads its session code then (packages/cli/src/session-code.ts), so the load overlaps the login.
    const kh = join(directory, 'kh-waiting');
    const config = writeConfig('config-waiting', `Host box\n  HostName 127.0.0.1\n  Port ${target.port}\n  User root\n  IdentityFile ${plainKey.privatePath}\n  UserKnownHostsFile ${kh}\n`);
    const events: string[] = [];
    const scripted = new ScriptedPrompter(['yes']);
    const prompter = { ask: (question: string) => (events.push('host key question'), scripted.ask(question)), tell: (message: string) => scripted.tell(message) };
    const result = await bootstrap({
      ...base({ configFiles: [config] }),
      destination: 'box',
      prompter,
      onProgress: (step: string) => events.push(step.replace(/ .*/, '')),
      onAwaitingNetwork: () => events.push('waiting'),
    });
    expect(result.key).toBe(KEY);
    expect(events.filter((event) => event === 'waiting')).toHaveLength(1);
    expect(events.indexOf('waiting')).toBeGreaterThan(events.indexOf('connecting'));
    expect(events.indexOf('waiting')).toBeLessThan(events.indexOf('host key question'));
  });

  it('logs in through the agent when no identity file is configured', async () => {
    const agent = await startAgent(directory, [agentKey.privatePath]);
    try {
      const kh = knownHosts(target.knownHostsLine());
      const config = writeConfig('config-agent', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${join(directory, 'does-not-exist')}\n`);
      const prompter = new ScriptedPrompter();
      const result = await bootstrap({ ...base({ configFiles: [config], env: { SSH_AUTH_SOCK: agent.socketPath } }), destination: `root@127.0.0.1:${target.port}`, prompter });
      expect(result.port).toBe(60001);
      expect(prompter.questions).toEqual([]);
    } finally {
      await agent.stop();
    }
  });

  it('asks for the passphrase of a protected key, retrying after a wrong one', async () => {
    const kh = knownHosts(target.knownHostsLine(true));
    const config = writeConfig('config-locked', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${lockedKey.privatePath}\n`);
    const prompter = new ScriptedPrompter(['wrong', 'correct horse']);
    const result = await bootstrap({ ...base({ configFiles: [config] }), destination: `root@127.0.0.1:${target.port}`, prompter });
    expect(result.key).toBe(KEY);
    expect(prompter.questions).toEqual([`Enter passphrase for key '${lockedKey.privatePath}': `, `Enter passphrase for key '${lockedKey.privatePath}': `]);
    expect(prompter.told).toContain('Bad passphrase, try again.');
  });

  it('refuses a changed host key loudly and runs nothing on the host', async () => {
    const impostor = makeKeyPair(directory, `impostor-${Date.now()}`);
    const kh = knownHosts(`[127.0.0.1]:${target.port} ${impostor.publicLine.split(' ').slice(0, 2).join(' ')}`);
    const marker = join(directory, 'ran-on-host');
    const config = writeConfig('config-changed', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${plainKey.privatePath}\n`);
    const prompter = new ScriptedPrompter();
    const attempt = bootstrap({ ...base({ configFiles: [config], serverCommand: `touch ${marker}; ${FAKE_SERVER}` }), destination: `root@127.0.0.1:${target.port}`, prompter });
    await expect(attempt).rejects.toMatchObject({ name: 'BootstrapError', reason: 'host-key-changed' });
    // The key is removed from the file that holds it (the config's UserKnownHostsFile), not from ~/.ssh/known_hosts.
    await expect(attempt).rejects.toThrow(`remove the old key with: ssh-keygen -f ${kh} -R '[127.0.0.1]:${target.port}'`);
    expect(prompter.told.join('\n')).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses an unknown host under StrictHostKeyChecking yes, and the user saying no', async () => {
    const kh = knownHosts();
    const strict = writeConfig('config-strict', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${plainKey.privatePath}\n  StrictHostKeyChecking yes\n`);
    await expect(bootstrap({ ...base({ configFiles: [strict] }), destination: `root@127.0.0.1:${target.port}`, prompter: new ScriptedPrompter() })).rejects.toMatchObject({
      reason: 'host-key-refused',
    });
    const ask = writeConfig('config-ask', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${plainKey.privatePath}\n`);
    await expect(bootstrap({ ...base({ configFiles: [ask] }), destination: `root@127.0.0.1:${target.port}`, prompter: new ScriptedPrompter(['no']) })).rejects.toMatchObject({
      reason: 'host-key-refused',
    });
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('refuses an unknown host it cannot ask about (no terminal) with host-key advice, not passphrase advice', async () => {
    const kh = knownHosts();
    const ask = writeConfig('config-ask-noterm', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${plainKey.privatePath}\n`);
    const notATerminal = Object.assign(new PassThrough(), { isTTY: false }) as unknown as NodeJS.ReadStream;
    const attempt = bootstrap({ ...base({ configFiles: [ask] }), destination: `root@127.0.0.1:${target.port}`, prompter: new TtyPrompter(notATerminal, new PassThrough() as unknown as NodeJS.WriteStream) });
    await expect(attempt).rejects.toMatchObject({ reason: 'host-key-refused' });
    await expect(attempt).rejects.toThrow(/^tsmosh: the ssh-ed25519 host key of \[127\.0\.0\.1\]:\d+ \(SHA256:\S+\) is not known yet, .*-o StrictHostKeyChecking=accept-new/);
    await expect(attempt).rejects.not.toThrow(/\n|ssh-agent/);
    expect(readFileSync(kh, 'utf8')).toBe('');
  });

  it('fails authentication in one clear line when no key is accepted', async () => {
    const stranger = makeKeyPair(directory, `stranger-${Date.now()}`);
    const kh = knownHosts(target.knownHostsLine());
    const config = writeConfig('config-stranger', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${stranger.privatePath}\n`);
    const attempt = bootstrap({ ...base({ configFiles: [config] }), destination: `root@127.0.0.1:${target.port}`, prompter: new ScriptedPrompter() });
    await expect(attempt).rejects.toMatchObject({ reason: 'auth' });
    // ssh's words, what was tried, and no password asked of a server that takes none.
    await expect(attempt).rejects.toThrow(new RegExp(`^tsmosh: root@127\\.0\\.0\\.1: Permission denied \\(publickey\\)\\. Tried: ${stranger.privatePath}\\. `));
  });

  describe('on a server that also offers passwords', () => {
    let withPasswords: Sshd;
    beforeAll(async () => {
      withPasswords = await startSshd({ authorizedKeys: [plainKey.publicLine], passwordAuthentication: true });
    });
    afterAll(async () => {
      await withPasswords?.stop();
    });

    function strangerConfig(name: string): string {
      const stranger = makeKeyPair(directory, `stranger-${name}-${Date.now()}`);
      const kh = knownHosts(withPasswords.knownHostsLine());
      return writeConfig(`config-${name}`, `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${stranger.privatePath}\n`);
    }

    it('asks for the password three times, as ssh, then fails in one line', async () => {
      const prompter = new ScriptedPrompter(['wrong-1', 'wrong-2', 'wrong-3']);
      const attempt = bootstrap({ ...base({ configFiles: [strangerConfig('pw')] }), destination: `root@127.0.0.1:${withPasswords.port}`, prompter });
      await expect(attempt).rejects.toThrow(/^tsmosh: root@127\.0\.0\.1: Permission denied \(publickey,password\)\. Tried: .*stranger-pw.*, password ×3\./);
      expect(prompter.questions).toEqual(Array(3).fill("root@127.0.0.1's password: "));
      expect(prompter.told.filter((line) => line === 'Permission denied, please try again.')).toHaveLength(2);
    });

    it('ends the login when the user interrupts the password question, asking nothing more', async () => {
      const questions: string[] = [];
      const interrupting: Prompter = {
        ask: async (question) => {
          questions.push(question);
          throw new BootstrapError('tsmosh: interrupted.', 'auth');
        },
        tell: () => {},
      };
      const attempt = bootstrap({ ...base({ configFiles: [strangerConfig('ctrl-c')] }), destination: `root@127.0.0.1:${withPasswords.port}`, prompter: interrupting });
      await expect(attempt).rejects.toThrow(/^tsmosh: interrupted\.$/);
      expect(questions).toHaveLength(1);
    });

    it('does not time out while the user is answering', async () => {
      let answered = 0;
      const slow: Prompter = {
        // Answers after the whole login deadline has passed: the clock must be stopped while a question is open.
        ask: () => new Promise((resolve) => setTimeout(() => resolve(`wrong-${++answered}`), 1_500)),
        tell: () => {},
      };
      const attempt = bootstrap({ ...base({ configFiles: [strangerConfig('slow')], loginTimeoutMs: 1_000 }), destination: `root@127.0.0.1:${withPasswords.port}`, prompter: slow });
      await expect(attempt).rejects.toThrow(/Permission denied \(publickey,password\)\. Tried: .*password ×3/);
      expect(answered).toBe(3);
    }, 30_000);
  });

  it('follows Host and Include to a ProxyJump through a second sshd', async () => {
    const kh = knownHosts(target.knownHostsLine(), jump.knownHostsLine(true));
    mkdirSync(join(home, '.ssh', 'conf.d'), { recursive: true });
    writeFileSync(join(home, '.ssh', 'conf.d', 'hosts.conf'), `Host inner\n  HostName 127.0.0.1\n  Port ${target.port}\n  ProxyJump bastion\nHost bastion\n  HostName 127.0.0.1\n  Port ${jump.port}\n`);
    const config = writeConfig('config-jump', `Include conf.d/*.conf\nHost *\n  User root\n  IdentityFile ${plainKey.privatePath}\n  UserKnownHostsFile ${kh}\n`);
    const prompter = new ScriptedPrompter();
    const result = await bootstrap({
      ...base({ configFiles: [config], serverCommand: `printf 'came via %s\\nTSMOSH CONNECT 60002 %s\\n' "$SSH_CONNECTION"` }),
      destination: 'inner',
      prompter,
    });
    expect(result.port).toBe(60002);
    expect(result.udpHost).toBe('127.0.0.1');
    // The target saw a connection forwarded by the jump sshd, not one from our own socket to it directly.
    const via = prompter.told.find((line) => line.startsWith('came via'));
    expect(via).toMatch(new RegExp(`^came via 127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${target.port}$`));
    // The jump host accepted our key and was asked to open a channel to the target's port.
    const jumpLog = jump.log();
    expect(jumpLog).toMatch(/Accepted publickey for root/);
    expect(jumpLog).toMatch(new RegExp(`direct_tcpip.*target 127\\.0\\.0\\.1 port ${target.port}`));
    expect(prompter.questions).toEqual([]);
  });

  it('says how to install tsmosh-server when the host lacks it', async () => {
    const kh = knownHosts(target.knownHostsLine());
    const config = writeConfig('config-missing', `Host *\n  UserKnownHostsFile ${kh}\n  IdentityFile ${plainKey.privatePath}\n`);
    const attempt = bootstrap({ ...base({ configFiles: [config], serverCommand: 'tsmosh-server-not-installed-here', serverArguments: ['new'] }), destination: `root@127.0.0.1:${target.port}`, prompter: new ScriptedPrompter() });
    await expect(attempt).rejects.toBeInstanceOf(BootstrapError);
    await expect(attempt).rejects.toThrow(/'tsmosh-server-not-installed-here' was not found on 127\.0\.0\.1 \(it said: .*\): check the path given with --server=, or drop --server= to let tsmosh install its own\./);
  });
});
