/**
 * tsmosh-server end to end: the built bin under plain node, its detached daemon, real ptys and real UDP on
 * 127.0.0.1, driven by a Node client built from the protocol and terminal cores. Build first: `npx tsc -b packages/server`.
 */
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Connection, PROTOCOL_VERSION, SessionKey, Transport } from '@tsmosh/protocol';
import { InputStream, ScreenState } from '@tsmosh/terminal';
import { controlSocketPath } from '@tsmosh/server';
import {
  TestClient,
  daemonStatus,
  isAlive,
  makeRuntimeDir,
  parseConnectLine,
  runServer,
  serverEnv,
  stopDaemon,
  waitUntil,
} from './server-helpers.js';

describe('tsmosh-server new and the daemon', () => {
  let runtime: ReturnType<typeof makeRuntimeDir>;
  let env: NodeJS.ProcessEnv;
  let daemonPid: number | undefined;
  const clients: TestClient[] = [];

  beforeEach(() => {
    runtime = makeRuntimeDir();
    env = serverEnv(runtime.dir);
    daemonPid = undefined;
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await stopDaemon(daemonPid);
    runtime.cleanup();
  });

  it('prints exactly one CONNECT line, exits 0, and the session lives on in a 0700 runtime dir', async () => {
    const result = await runServer(['new', '--', '/bin/sh'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const connect = parseConnectLine(result.stdout);
    expect(connect.port).toBeGreaterThanOrEqual(60001);
    expect(connect.port).toBeLessThanOrEqual(60999);
    expect(statSync(runtime.dir).mode & 0o777).toBe(0o700);
    const status = await daemonStatus(env);
    daemonPid = status.pid;
    expect(status.sessions).toBe(1);
    expect(status.endpoints.map((endpoint) => endpoint.port)).toEqual([connect.port]);

    // A second `new` reuses the daemon and its port.
    const second = await runServer(['new', '--', '/bin/sh'], env);
    expect(second.code).toBe(0);
    expect(parseConnectLine(second.stdout).port).toBe(connect.port);
    const after = await daemonStatus(env);
    expect(after.pid).toBe(status.pid);
    expect(after.sessions).toBe(2);

    const listing = await runServer(['list'], env);
    expect(listing.stdout.trim().split("\n")).toHaveLength(3); // a header line, then one line per session
  });

  it("drops a program's oversize title and clipboard strings, counts them, and the session and its neighbour go on", async () => {
    // A 5 MB title and a 3 MB OSC 52 copy, as a `cat` of a binary file can print: each once took the daemon up by
    // 160 MB or more. The mirror abandons them at their budget (escape-string-budget.ts).
    const flood = `printf '\\033]2;'; head -c 5000000 /dev/zero | tr '\\0' x; printf '\\007'; printf '\\033]52;c;'; head -c 3000000 /dev/zero | tr '\\0' A; printf '\\007'; echo flood-$((1+1)); exec cat`;
    const a = parseConnectLine((await runServer(['new', '--', '/bin/sh', '-c', flood], env)).stdout);
    const b = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    daemonPid = (await daemonStatus(env)).pid;
    const clientA = new TestClient(a);
    const clientB = new TestClient(b);
    clients.push(clientA, clientB);
    await clientA.waitForScreen((text) => /^flood-2$/m.test(text), 'the text after the oversize strings');
    expect(clientA.screen.title).toBe('');
    clientB.type('echo B$((5*5))\r');
    await clientB.waitForScreen((text) => /^B25$/m.test(text), 'B25 on the neighbouring session');
    expect((await daemonStatus(env)).droppedEscapeStrings).toBe(2);
  });

  it('gives an unnamed session (which nothing can attach to) a 72 h idle timeout by default, and a named one none', async () => {
    expect((await runServer(['new', '--', '/bin/sh'], env)).code).toBe(0);
    expect((await runServer(['new', '--name', 'kept', '--', '/bin/sh'], env)).code).toBe(0);
    expect((await runServer(['new', '--', '/bin/sh'], { ...env, TSMOSH_SERVER_NETWORK_TMOUT: '90' })).code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    const sessions = JSON.parse((await runServer(['list', '--json'], env)).stdout) as Array<{ name?: string; idleTimeoutMs?: number }>;
    expect(sessions.map((session) => [session.name ?? null, session.idleTimeoutMs ?? null]).sort()).toEqual(
      [[null, 72 * 3600 * 1000], [null, 90_000], ['kept', null]].sort(),
    );
  });

  it('hosts two independent sessions on one port, and strangers on that port disturb neither', async () => {
    const a = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    const b = parseConnectLine((await runServer(['new', '--', '/bin/sh'], env)).stdout);
    daemonPid = (await daemonStatus(env)).pid;
    expect(b.port).toBe(a.port);
    const clientA = new TestClient(a);
    const clientB = new TestClient(b);
    clients.push(clientA, clientB);

    clientA.type('echo A$((6*7))\r');
    clientB.type('echo B$((5*5))\r');
    await clientA.waitForScreen((text) => /^A42$/m.test(text), 'A42 on session A');
    await clientB.waitForScreen((text) => /^B25$/m.test(text), 'B25 on session B');
    expect(clientA.text).not.toContain('B25');
    expect(clientB.text).not.toContain('A42');

    // Strangers: garbage, an empty datagram, an authentic-looking datagram of a session this daemon does not host,
    // and a forged datagram carrying session A's clear ID with a body sealed under another key.
    const before = (await daemonStatus(env)).endpoints[0]!;
    const stranger = createSocket('udp4');
    await new Promise<void>((resolve) => stranger.bind(0, '127.0.0.1', resolve));
    const send = (bytes: Uint8Array): Promise<void> =>
      new Promise((resolve) => stranger.send(bytes, a.port, '127.0.0.1', () => resolve()));
    await send(new Uint8Array(randomBytes(3)));
    await send(new Uint8Array(0));
    const unknownKey = SessionKey.generate((n) => new Uint8Array(randomBytes(n)));
    const strangerDatagrams = heartbeatFrom(unknownKey, a.port);
    for (const datagram of strangerDatagrams) await send(datagram);
    const forgedKey = SessionKey.parse(a.key);
    const wrongSecret = SessionKey.generate((n) => new Uint8Array(randomBytes(n)));
    for (const datagram of heartbeatFrom(wrongSecret, a.port)) {
      const forged = new Uint8Array(datagram);
      // Replace the stranger's clear session ID with session A's, wherever the header carries it.
      const offset = indexOf(forged, wrongSecret.sessionId);
      if (offset >= 0) forged.set(forgedKey.sessionId, offset);
      await send(forged);
    }
    stranger.close();
    await waitUntil(async () => {
      const listing = await runServer(['list', '--json'], env);
      const sessionA = (JSON.parse(listing.stdout) as { sessionId: string; drops: Record<string, number> }[]).find(
        (session) => session.sessionId === forgedKey.sessionIdHex,
      );
      return (sessionA?.drops.dropBadTag ?? 0) >= 1;
    }, 'session A to drop the forged datagram as unauthentic');
    await waitUntil(async () => {
      const endpoint = (await daemonStatus(env)).endpoints[0]!;
      return endpoint.unknownSession >= before.unknownSession + strangerDatagrams.length && endpoint.malformed >= before.malformed + 1;
    }, 'the daemon to count the strangers');

    clientA.type('echo A$((7*7))\r');
    clientB.type('echo B$((6*6))\r');
    await clientA.waitForScreen((text) => /^A49$/m.test(text), 'A49 on session A after the strangers');
    await clientB.waitForScreen((text) => /^B36$/m.test(text), 'B36 on session B after the strangers');
    expect((await daemonStatus(env)).sessions).toBe(2);
  });

  it('refuses a UDP port already taken with one line naming it, and starts nothing', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(0, '127.0.0.1', resolve));
    const port = squatter.address().port;
    try {
      const result = await runServer(['new', '-p', String(port), '--', '/bin/sh'], env);
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(result.stderr).toMatch(new RegExp(`^tsmosh-server: UDP port ${port} is already in use; .*-p PORT.*\\n$`));
    } finally {
      squatter.close();
    }
    // The daemon it started has nothing to host and exits by itself.
    const status = await runServer(['status'], env);
    if (status.code === 0) {
      daemonPid = JSON.parse(status.stdout).pid;
      expect(JSON.parse(status.stdout).sessions).toBe(0);
    }
  });

  it('refuses a non-UTF-8 locale with one line, unless -l supplies one', async () => {
    const cLocale = serverEnv(runtime.dir, { LANG: 'C' });
    const refused = await runServer(['new', '--', '/bin/sh'], cLocale);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^tsmosh-server: needs a UTF-8 locale, but the environment has C\b[^\n]*-l LANG=C\.UTF-8\n$/);
    expect(existsSync(controlSocketPath(runtime.dir))).toBe(false);

    const rescued = await runServer(['new', '-l', 'LANG=C.UTF-8', '--', '/bin/sh'], cLocale);
    expect(rescued.code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    const client = new TestClient(parseConnectLine(rescued.stdout));
    clients.push(client);
    client.type('locale | grep LANG=\r');
    await client.waitForScreen((text) => /^LANG=C\.UTF-8$/m.test(text), 'the -l locale in the session');
  });

  it("refuses a UTF-8 locale this host has not installed in the daemon's one line (new runs no locale -a of its own)", async () => {
    const missing = serverEnv(runtime.dir, { LANG: 'xx_YY.UTF-8' });
    for (const name of Object.keys(missing)) if (name.startsWith('LC_')) delete missing[name];
    const refused = await runServer(['new', '--', '/bin/sh'], missing);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toMatch(/^tsmosh-server: needs a UTF-8 locale, but the environment has xx_YY\.UTF-8 \(see `locale -a` for the installed ones\)[^\n]*\n$/);
    daemonPid = (await daemonStatus(env)).pid;
  });

  it("answers a cold daemon's first `new` while its pty still loads, and the program's first output and exit status arrive", async () => {
    // The program writes at once and exits: output or an exit that came before the session listened would be lost.
    const result = await runServer(['new', '--', 'sh', '-c', 'printf first-output-of-the-program; exit 7'], env);
    expect(result.code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    // Not vacuous: this session was answered before the daemon had loaded node-pty and the mirror (late-pty.ts).
    expect(readFileSync(join(runtime.dir, 'daemon.log'), 'utf8')).toMatch(/started `sh -c printf first-output-of-the-program; exit 7` \(its pty still loading\)/);
    const client = new TestClient(parseConnectLine(result.stdout));
    clients.push(client);
    await client.waitForShutdown();
    expect(client.text).toContain('first-output-of-the-program');
    expect(client.transport.remote.ending).toEqual({ kind: 'command-exited', exitCode: 7, signal: undefined });
    // A warm daemon starts the next one's pty before it answers.
    const second = await runServer(['new', '--', 'sh', '-c', 'printf second; exit 3'], env);
    const warm = new TestClient(parseConnectLine(second.stdout));
    clients.push(warm);
    await warm.waitForShutdown();
    expect(warm.text).toContain('second');
    expect(warm.transport.remote.ending).toEqual({ kind: 'command-exited', exitCode: 3, signal: undefined });
    expect(readFileSync(join(runtime.dir, 'daemon.log'), 'utf8')).toMatch(/started `sh -c printf second; exit 3` \(pid \d+\)/);
  });

  it('refuses a command that does not exist with one line', async () => {
    for (const command of ['/nonexistent/program', 'no-such-program-anywhere']) {
      const result = await runServer(['new', '--', command], env);
      expect(result.code, command).toBe(1);
      expect(result.stdout, command).toBe('');
      expect(result.stderr, command).toMatch(new RegExp(`^tsmosh-server: cannot run ${command}: no such executable[^\\n]*--\\n$`));
    }
  });

  it('answers usage mistakes with one line and exit status 2, and --version with a version', async () => {
    for (const args of [['new', '-x'], ['new', '-p', 'abc'], ['frobnicate'], []]) {
      const result = await runServer(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/^tsmosh-server: [^\n]*--help[^\n]*\n$/);
    }
    const version = await runServer(['--version'], env);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(new RegExp(`^tsmosh-server \\d+\\.\\d+\\.\\d+ \\(protocol ${PROTOCOL_VERSION}\\)\\n$`));
    expect((await runServer(['--help'], env)).stdout).toContain('TSMOSH CONNECT');
  });

  it('replaces a daemon that died without cleaning up (stale control socket)', async () => {
    expect((await runServer(['new', '--', '/bin/sh'], env)).code).toBe(0);
    const dead = (await daemonStatus(env)).pid;
    process.kill(dead, 'SIGKILL');
    await waitUntil(() => !isAlive(dead), 'the killed daemon to be gone');
    expect(existsSync(controlSocketPath(runtime.dir))).toBe(true);
    const result = await runServer(['new', '--', '/bin/sh'], env);
    expect([result.code, result.stderr]).toEqual([0, '']);
    parseConnectLine(result.stdout);
    const status = await daemonStatus(env);
    daemonPid = status.pid;
    expect(status.pid).not.toBe(dead);
    expect(status.sessions).toBe(1);
  });

  it('starts one daemon when two `new`s race', async () => {
    const [first, second] = await Promise.all([
      runServer(['new', '--', '/bin/sh'], env),
      runServer(['new', '--', '/bin/sh'], env),
    ]);
    expect([first.code, second.code, first.stderr, second.stderr]).toEqual([0, 0, '', '']);
    expect(parseConnectLine(first.stdout).port).toBe(parseConnectLine(second.stdout).port);
    const status = await daemonStatus(env);
    daemonPid = status.pid;
    expect(status.sessions).toBe(2);
  });

});

/** The first datagrams a fresh client for `key` would send to 127.0.0.1:port (a resize), without sending them. */
function heartbeatFrom(key: SessionKey, port: number): Uint8Array[] {
  const connection = new Connection({
    role: 'client',
    key,
    random: (n: number) => new Uint8Array(randomBytes(n)),
    // Ahead of any real client's clock-derived sequence, so the forgery reaches the authentication check.
    initialSeq: (BigInt(Date.now()) << 20n) + (1n << 40n),
    serverAddress: { host: '127.0.0.1', port },
  });
  const transport = new Transport<InputStream, ScreenState>({
    connection,
    initialLocal: InputStream.empty(),
    initialRemote: ScreenState.initial(80, 24),
  });
  transport.setLocal(InputStream.empty().append({ kind: 'resize', cols: 80, rows: 24 }), 0);
  return transport.tick(0).map((datagram) => datagram.bytes);
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}
