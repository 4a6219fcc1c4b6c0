/**
 * `tsmosh -A host` as a user runs it: the tsmosh bin in a pty logs in to a real sshd on 127.0.0.1, the session gets
 * an SSH_AUTH_SOCK, and `ssh-add -l` inside it lists the key of the user's real ssh-agent on "this" machine. Also
 * ForwardAgent and LocalForward read from ~/.ssh/config. (Roaming, reattach and bulk forwards: forwarding.test.ts.)
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSshTestHost, type SshTestHost } from './helpers/ssh-host.js';
import { sshdAvailable } from './helpers/sshd.js';
import { freePort, sha256Line, startHashSink, startTestAgent, streamThrough, eventually, type TestAgent } from './helpers/forwarding.js';

describe.skipIf(!sshdAvailable)('forwarding over an SSH login', () => {
  let host: SshTestHost;
  let agent: TestAgent;

  beforeAll(async () => {
    host = await startSshTestHost({ testhostLines: ['StrictHostKeyChecking accept-new'] });
    agent = await startTestAgent();
  });

  afterAll(async () => {
    agent?.stop();
    await host?.dispose();
  });

  it('tsmosh -A host -- ssh-add -l lists the key of the local agent', async () => {
    const t = host.tsmosh(['-A', 'testhost', `--server=${host.serverCommand}`, '--', 'sh', '-c', 'ssh-add -l; echo "exit=$?"; sleep 1'], { SSH_AUTH_SOCK: agent.socketPath });
    await t.waitForText(agent.fingerprint);
    await t.waitForText('exit=0');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it('without -A the session has no agent, as with ssh', async () => {
    const t = host.tsmosh(['testhost', `--server=${host.serverCommand}`, '--', 'sh', '-c', 'echo "sock=[$SSH_AUTH_SOCK]"; sleep 1'], { SSH_AUTH_SOCK: agent.socketPath });
    await t.waitForText('sock=[]');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });

  it('ForwardAgent and LocalForward in ~/.ssh/config work as -A and -L', async () => {
    const sink = await startHashSink();
    const port = await freePort();
    host.writeConfig(`Host testhost\n  ForwardAgent yes\n  LocalForward ${port} 127.0.0.1:${sink.port}\n`);
    try {
      const t = host.tsmosh(['testhost', `--server=${host.serverCommand}`, '--', 'bash', '--norc', '--noprofile'], { SSH_AUTH_SOCK: agent.socketPath });
      await t.waitForText(/bash-[\d.]+[#$]/);
      t.type('ssh-add -l; echo "listed=$?"\r');
      await t.waitForText('listed=0');
      await t.waitForText(agent.fingerprint);
      const payload = randomBytes(256 * 1024);
      expect(await eventually(() => streamThrough(port, payload))).toBe(sha256Line(payload));
      t.type('exit\r');
      expect((await t.waitForExit()).exitCode).toBe(0);
    } finally {
      sink.server.close();
      host.writeConfig();
    }
  });

  it('a bad -L is refused in one line before anything starts', async () => {
    const t = host.tsmosh(['-L', '80:localhost', 'testhost']);
    await t.waitForText(/-L 80:localhost: expected three or four fields/);
    expect((await t.waitForExit()).exitCode).toBe(255);
  });
});
