/**
 * Another local user against the daemon's control socket (which hands out every session's key): even with the
 * runtime folder and the socket opened up by a careless chmod, a request from another uid is refused, because it
 * cannot read the daemon's 0600 control token (control-token.ts). Needs root (to create the user); skipped otherwise.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTROL_PROTOCOL_VERSION, controlSocketPath, controlTokenPath } from '@tsmosh/server';
import { daemonStatus, makeRuntimeDir, runServer, serverEnv, stopDaemon } from './server-helpers.js';

const canCreateUsers = process.getuid?.() === 0 && existsSync('/usr/sbin/useradd') && existsSync('/usr/sbin/runuser');

describe.skipIf(!canCreateUsers)('the control socket and another local user', () => {
  const user = `tsmoshx${process.pid % 100000}`;
  let runtime: ReturnType<typeof makeRuntimeDir>;
  let daemonPid: number | undefined;

  beforeAll(async () => {
    execFileSync('/usr/sbin/useradd', ['--no-create-home', '--shell', '/bin/sh', user]);
    runtime = makeRuntimeDir();
    const env = serverEnv(runtime.dir);
    expect((await runServer(['new', '--', '/bin/sh'], env)).code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
  });

  afterAll(async () => {
    await stopDaemon(daemonPid);
    runtime?.cleanup();
    spawnSync('/usr/sbin/userdel', [user]);
  });

  it('refuses every request from another uid even when the folder and the socket are opened to everyone', () => {
    const socketPath = controlSocketPath(runtime.dir);
    expect(existsSync(socketPath)).toBe(true);
    // The careless chmod: the folders (and the temporary parent) and the socket open to all; the token stays as written.
    chmodSync(dirname(runtime.dir), 0o755);
    chmodSync(runtime.dir, 0o755);
    chmodSync(socketPath, 0o666);
    // As the other user: try to read the token, then ask for the session list with and without a guessed token.
    const probe = `
      const fs = require('node:fs'); const net = require('node:net');
      let token = '';
      try { token = fs.readFileSync(${JSON.stringify(controlTokenPath(socketPath))}, 'utf8').trim(); }
      catch (e) { console.log('token:' + e.code); }
      const ask = (body) => new Promise((resolve) => {
        const s = net.createConnection(${JSON.stringify(socketPath)});
        let data = ''; s.setEncoding('utf8');
        s.on('data', (c) => (data += c)); s.on('end', () => resolve(data.trim()));
        s.on('error', (e) => resolve('error:' + e.code));
        s.write(JSON.stringify(body) + '\\n');
      });
      (async () => {
        console.log('answer:' + await ask({ v: ${CONTROL_PROTOCOL_VERSION}, op: 'list', token }));
        console.log('answer:' + await ask({ v: ${CONTROL_PROTOCOL_VERSION}, op: 'list', token: 'a'.repeat(64) }));
      })();`;
    const result = spawnSync('/usr/sbin/runuser', ['-u', user, '--', process.execPath, '-e', probe], { encoding: 'utf8', timeout: 20_000 });
    const lines = result.stdout.trim().split('\n');
    expect(lines[0]).toBe('token:EACCES');
    const answers = lines.filter((line) => line.startsWith('answer:')).map((line) => JSON.parse(line.slice('answer:'.length)));
    expect(answers).toHaveLength(2);
    for (const answer of answers) expect(answer).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(result.stdout).not.toContain('"key"');
  });
});
