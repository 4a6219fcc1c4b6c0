/**
 * How sessions and the daemon end: the no-client timeout, TSMOSH_SERVER_NETWORK_TMOUT, the command exiting, the
 * empty daemon's linger (TSMOSH_SERVER_IDLE_LINGER_MS), SIGTERM (clients told) and SIGHUP (ignored). Real bin, real ptys, real UDP on 127.0.0.1. Build first.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  TestClient,
  daemonStatus,
  isAlive,
  makeRuntimeDir,
  parseConnectLine,
  runServer,
  serverEnv,
  SERVER_BIN,
  stopDaemon,
  waitUntil,
} from './server-helpers.js';
import { readFileSync } from 'node:fs';
import pty from 'node-pty';

describe('session and daemon lifetime', () => {
  let runtime: ReturnType<typeof makeRuntimeDir>;
  let daemonPid: number | undefined;
  const clients: TestClient[] = [];

  beforeEach(() => {
    runtime = makeRuntimeDir();
    daemonPid = undefined;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await stopDaemon(daemonPid);
    runtime.cleanup();
  });

  const log = (): string => readFileSync(`${runtime.dir}/daemon.log`, 'utf8');

  it('ends a session no client ever connects to, and the daemon exits once no session came for the linger', async () => {
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '300', TSMOSH_SERVER_IDLE_LINGER_MS: '400' });
    const result = await runServer(['new', '--', '/bin/sh'], env);
    expect(result.code).toBe(0);
    daemonPid = (await daemonStatus(env).catch(() => ({ pid: undefined }))).pid;
    await waitUntil(() => /no client connected within 300 ms/.test(log()), 'the no-client timeout');
    await waitUntil(() => /no sessions left; exiting in 400 ms unless a session starts/.test(log()), 'the daemon to linger');
    await waitUntil(() => /no session for 400 ms; exiting/.test(log()), 'the daemon to exit after the linger');
    if (daemonPid !== undefined) await waitUntil(() => !isAlive(daemonPid!), 'the daemon process to end');
  });

  it('keeps an empty daemon for the next session during the linger, and exits after the linger that follows it', async () => {
    // The first session ends at once (its command exits and no client will ever come for it).
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS: '200', TSMOSH_SERVER_IDLE_LINGER_MS: '60000' });
    expect((await runServer(['new', '--', 'true'], env)).code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    await waitUntil(() => /no sessions left; exiting in 60000 ms/.test(log()), 'the first session to end');
    // The next session finds the same daemon running, with nothing to start.
    // (Its own no-client timeout is the default: the short one is read from the first session's environment only.)
    const nextEnv = serverEnv(runtime.dir, { TSMOSH_SERVER_IDLE_LINGER_MS: '60000' });
    const connect = parseConnectLine((await runServer(['new', '--', '/bin/sh', '-c', 'read answer; echo got-$answer'], nextEnv)).stdout);
    expect((await daemonStatus(nextEnv)).pid).toBe(daemonPid);
    const client = new TestClient(connect);
    clients.push(client);
    client.type('yes\r');
    await client.waitForShutdown();
    expect(client.text).toMatch(/^got-yes$/m);
    // Emptied again: it lingers again (the first linger's timer did not end it meanwhile), until SIGTERM in afterEach.
    await waitUntil(() => (log().match(/no sessions left; exiting in 60000 ms/g) ?? []).length === 2, 'the second linger');
    expect(isAlive(daemonPid)).toBe(true);
    expect(log()).not.toMatch(/no session for \d+ ms; exiting/);
  });

  it('ends a session whose client falls silent for TSMOSH_SERVER_NETWORK_TMOUT seconds', async () => {
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_NETWORK_TMOUT: '1', TSMOSH_SERVER_IDLE_LINGER_MS: '0' });
    const connect = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    daemonPid = (await daemonStatus(env)).pid;
    const client = new TestClient(connect);
    clients.push(client);
    client.type('echo up$((1+1))\r');
    await client.waitForScreen((text) => /^up2$/m.test(text), 'the session to answer');
    client.close();
    await waitUntil(() => /client silent for 1000 ms/.test(log()), 'the network timeout');
    // TSMOSH_SERVER_IDLE_LINGER_MS=0: the daemon exits with its last session, as it did before the linger.
    await waitUntil(() => !isAlive(daemonPid!), 'the daemon to exit after its last session');
  });

  it('warns once about an invalid TSMOSH_SERVER_NETWORK_TMOUT and ignores it', async () => {
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_NETWORK_TMOUT: 'soon' });
    const result = await runServer(['new', '--', '/bin/sh'], env);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('tsmosh-server: ignoring TSMOSH_SERVER_NETWORK_TMOUT="soon": it must be a positive whole number of seconds\n');
    parseConnectLine(result.stdout);
    daemonPid = (await daemonStatus(env)).pid;
  });

  it('tells the client when the command exits, then ends the session and (after the linger) the daemon', async () => {
    const env = serverEnv(runtime.dir, { TSMOSH_SERVER_IDLE_LINGER_MS: '300' });
    const connect = parseConnectLine(
      (await runServer(['new', '--', '/bin/sh', '-c', 'read answer; echo got-$answer; exit 3'], env)).stdout,
    );
    daemonPid = (await daemonStatus(env)).pid;
    const client = new TestClient(connect);
    clients.push(client);
    client.type('yes\r');
    await client.waitForShutdown();
    expect(client.text).toMatch(/^got-yes$/m);
    await waitUntil(() => !isAlive(daemonPid!), 'the daemon to exit after the command did and the linger passed');
    expect(log()).toMatch(/command exited \(code 3\)/);
  });

  it('ignores SIGHUP, and on SIGTERM tells every client and exits cleanly', async () => {
    const env = serverEnv(runtime.dir);
    const first = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    const second = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    daemonPid = (await daemonStatus(env)).pid;
    const clientA = new TestClient(first);
    const clientB = new TestClient(second);
    clients.push(clientA, clientB);
    clientA.type('echo a$((2+2))\r');
    await clientA.waitForScreen((text) => /^a4$/m.test(text), 'session A to answer');

    process.kill(daemonPid, 'SIGHUP');
    await waitUntil(() => /SIGHUP ignored/.test(log()), 'the daemon to see SIGHUP');
    clientA.type('echo a$((3+3))\r');
    clientB.type('echo b$((4+4))\r');
    await clientA.waitForScreen((text) => /^a6$/m.test(text), 'session A to answer after SIGHUP');
    await clientB.waitForScreen((text) => /^b8$/m.test(text), 'session B to answer after SIGHUP');

    process.kill(daemonPid, 'SIGTERM');
    await Promise.all([clientA.waitForShutdown(), clientB.waitForShutdown()]);
    await waitUntil(() => !isAlive(daemonPid!), 'the daemon to exit on SIGTERM');
    expect(log()).toMatch(/SIGTERM: ending 2 session\(s\)/);
    expect(log()).toMatch(/ended \(killed\)[\s\S]*ended \(killed\)/);
  });

  it('keeps the session running after the terminal that ran `new` hangs up', async () => {
    const env = serverEnv(runtime.dir);
    // `new` in a real pty, as over `ssh -tt`; the shell then waits so we can close the terminal under it.
    const terminal = pty.spawn('/bin/sh', ['-c', `"${process.execPath}" "${SERVER_BIN}" new -- /bin/sh; exec sleep 600`], {
      cols: 80,
      rows: 24,
      env: env as Record<string, string>,
    });
    let output = '';
    terminal.onData((data) => (output += data));
    const exited = new Promise<void>((resolve) => terminal.onExit(() => resolve()));
    await waitUntil(() => /TSMOSH CONNECT \d+ \S+\r?\n/.test(output), 'the CONNECT line in the terminal');
    const connect = parseConnectLine(/TSMOSH CONNECT \d+ \S+/.exec(output)![0] + '\n');
    daemonPid = (await daemonStatus(env)).pid;
    // Hang up: the terminal's session gets SIGHUP, as when an SSH connection drops.
    terminal.kill('SIGHUP');
    await exited;
    const client = new TestClient(connect);
    clients.push(client);
    client.type('echo still$((40+2))\r');
    await client.waitForScreen((text) => /^still42$/m.test(text), 'the session to answer after the hangup');
    expect(isAlive(daemonPid)).toBe(true);
  });
});
