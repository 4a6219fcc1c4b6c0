import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TSMOSH_BIN, runBin } from './client-harness.js';
import { startSshTestHost, type SshTestHost } from './helpers/ssh-host.js';
import { sshdAvailable } from './helpers/sshd.js';

/**
 * `tsmosh host -- cmd > file` over a real SSH login (sshd on 127.0.0.1, the system OpenSSH client, the host's daemon
 * started by `tsmosh-server new` over the login): standard output a pipe, so the client writes text and asks the
 * host's session to keep every line (new --keep-every-line) (client text-output.ts).
 */
describe.skipIf(!sshdAvailable)('tsmosh host -- cmd with standard output not a terminal, over SSH', () => {
  let host: SshTestHost;
  beforeAll(async () => {
    host = await startSshTestHost();
  });
  afterAll(async () => {
    await host?.dispose();
  });

  it('writes the command\'s lines as text, every one of a flood, and exits with its status', async () => {
    const args = [TSMOSH_BIN, 'viassh', `--ssh=${host.openSshCommand()}`, `--server=${host.serverCommand}`, '--'];
    let expected = '';
    for (let i = 1; i <= 20000; i++) expected += `${i}\n`;
    const flood = await runBin([...args, 'seq', '1', '20000'], host.workspace.env, 120_000);
    expect({ code: flood.code, stderr: flood.stderr }).toEqual({ code: 0, stderr: '' });
    expect(flood.stdout === expected).toBe(true);
    const failed = await runBin([...args, 'sh', '-c', 'printf "\\033[1mbold\\033[m 表\\n"; exit 5'], host.workspace.env, 120_000);
    expect(failed).toEqual({ code: 5, stdout: 'bold 表\n', stderr: '' });
  });

  it('gives a piped input to the command with nothing of it echoed into the text, as ssh does', async () => {
    // The host's session starts the command with its pty's echo off (new --no-echo, server echo-off-start.ts).
    const args = [TSMOSH_BIN, 'viassh', `--ssh=${host.openSshCommand()}`, `--server=${host.serverCommand}`, '--'];
    expect(await runBin([...args, 'sort'], host.workspace.env, 120_000, 'b\na\n')).toEqual({ code: 0, stdout: 'a\nb\n', stderr: '' });
  });
});
