/**
 * Authentication failures as the user sees them, through the tsmosh bin in a pty against a real sshd that offers
 * passwords (root may not use one, so every password is refused): wrong passwords end in ssh's one line, Ctrl-C at
 * the password question ends the login without asking again, and the terminal is left in cooked mode each time
 * (`stty -a` run in the same pty after tsmosh exits).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PtyProgram, TSMOSH_BIN } from './client-harness.js';
import { startSshTestHost, type SshTestHost } from './helpers/ssh-host.js';
import { makeKeyPair, sshdAvailable } from './helpers/sshd.js';

describe.skipIf(!sshdAvailable)('tsmosh authentication failures', () => {
  let host: SshTestHost;

  beforeAll(async () => {
    host = await startSshTestHost({ passwordAuthentication: true });
    const stranger = makeKeyPair(join(host.home, '.ssh'), 'id_stranger');
    host.writeConfig(`Host stranger\n  HostName 127.0.0.1\n  Port ${host.sshd.port}\n  User root\n  IdentityFile ${stranger.privatePath}\n  StrictHostKeyChecking accept-new\n`);
  });

  afterAll(async () => {
    await host?.dispose();
  });

  /** tsmosh in a pty, then `stty -a` on the same terminal, exiting with tsmosh's status. */
  function tsmoshThenStty(args: readonly string[], extraEnv: Record<string, string> = {}): PtyProgram {
    const script = [
      "const { spawnSync, execSync } = require('node:child_process');",
      `const run = spawnSync(process.execPath, ${JSON.stringify([TSMOSH_BIN, ...args])}, { stdio: 'inherit' });`,
      "process.stdout.write('STTY ' + execSync('stty -a', { stdio: ['inherit', 'pipe', 'inherit'] }).toString().replace(/\\s+/g, ' ') + '\\n');",
      'process.exit(run.status ?? 255);',
    ].join('\n');
    return new PtyProgram({ args: ['-e', script], env: { ...host.workspace.env, ...extraEnv } as Record<string, string>, cols: 200 });
  }

  it('ends the login at Ctrl-C on the password question, asking nothing more, and leaves the terminal cooked', async () => {
    const t = tsmoshThenStty(['stranger', `--server=${host.serverCommand}`]);
    // The password question comes (the server offers passwords): Ctrl-C ends the login there, asking nothing more.
    await t.waitForText("root@stranger's password:");
    t.type('\x03');
    const { exitCode } = await t.waitForExit();
    expect(exitCode).toBe(255);
    expect(t.raw).toContain('tsmosh: interrupted.');
    expect(t.raw.match(/password:/g)).toHaveLength(1);
    expect(t.raw).not.toMatch(/\n\s+at /); // no stack trace
    const stty = /STTY (.*)/.exec(t.raw)?.[1] ?? '';
    expect(stty).toMatch(/(^| )icanon( |$)/);
    expect(stty).toMatch(/(^| )echo( |$)/);
  });

  it('ends three wrong passwords with ssh\'s line naming what was tried', async () => {
    const t = tsmoshThenStty(['stranger', `--server=${host.serverCommand}`]);
    for (let attempt = 0; attempt < 3; attempt++) {
      await t.waitFor(`password question ${attempt + 1}`, () => (t.raw.match(/password:/g) ?? []).length > attempt);
      t.type(`wrong-${attempt}\r`);
    }
    const { exitCode } = await t.waitForExit();
    expect(exitCode).toBe(255);
    expect(t.raw).toMatch(/Permission denied, please try again\./);
    expect(t.raw).toMatch(/tsmosh: root@stranger: Permission denied \(publickey,password\)\. Tried: .*id_stranger, password ×3\./);
    expect(t.raw).not.toMatch(/\n\s+at /);
    expect(/STTY (.*)/.exec(t.raw)?.[1] ?? '').toMatch(/(^| )icanon( |$)/);
  });
});
