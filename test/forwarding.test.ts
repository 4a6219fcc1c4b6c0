/**
 * Agent and port forwarding end to end: the real daemon, a real ssh-agent, real TCP sockets, and the client library
 * (connect(), the same ClientSession the tsmosh front end runs) over real UDP, through the lossy proxy where the
 * link matters. The SSH login with -A is covered in forwarding-ssh.test.ts.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startUdpProxy, type UdpProxy } from '@tsmosh/netem/udp';
import { connect, type ClientSession } from '@tsmosh/client';
import { parseForwardSpec, type ForwardingOptions } from '@tsmosh/forward';
import { SERVER_BIN, clientTestSuite } from './client-harness.js';
import { screenText } from './server-helpers.js';
import { eventually, freePort, sha256Line, startHashSink, startTestAgent, streamThrough, type TestAgent } from './helpers/forwarding.js';

const run = promisify(execFile);
const suite = clientTestSuite();
/** ms: a test's own bound on waiting for a screen. */
const SCREEN_WAIT_MS = 30_000;

let agent: TestAgent;
beforeAll(async () => {
  agent = await startTestAgent();
});
afterAll(() => agent?.stop());

function attach(target: { host?: string; port: number; key: string }, forwarding?: ForwardingOptions): ClientSession {
  const session = connect({ host: target.host ?? '127.0.0.1', port: target.port, key: target.key, cols: 100, rows: 30, ...(forwarding ? { forwarding } : {}) });
  suite.track({ kill: () => void session.close() });
  return session;
}

function waitForScreen(session: ClientSession, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const match = screenText(session.screen).match(pattern);
      if (match === null) return;
      session.off('screen', check);
      clearTimeout(bound);
      resolve(match);
    };
    const bound = setTimeout(() => {
      session.off('screen', check);
      reject(new Error(`timed out waiting for ${what}; screen:\n${screenText(session.screen)}`));
    }, SCREEN_WAIT_MS);
    session.on('screen', check);
    check();
  });
}

/** `ssh-add -l` run on the host with the session's SSH_AUTH_SOCK, outside any session: exit code and how long it took. */
async function sshAddOnHost(socketPath: string): Promise<{ code: number; ms: number; output: string }> {
  const started = performance.now();
  try {
    const { stdout } = await run('ssh-add', ['-l'], { env: { ...process.env, SSH_AUTH_SOCK: socketPath }, timeout: 30_000 });
    return { code: 0, ms: performance.now() - started, output: stdout };
  } catch (error) {
    const failure = error as { code?: number; stderr?: string };
    return { code: failure.code ?? -1, ms: performance.now() - started, output: failure.stderr ?? '' };
  }
}

describe('agent forwarding (-A)', () => {
  it('relays the session’s SSH_AUTH_SOCK to the client’s agent, across a roam and a reattach, and fails fast with no client', async () => {
    const workspace = suite.workspace();
    const name = `agent-${process.pid}`;
    const first = await workspace.newSession(['bash', '--norc', '--noprofile'], ['--forward-agent', '--name', name]);
    const client = attach(first, { agentSocketPath: agent.socketPath });
    await waitForScreen(client, /^\$$/m, 'the prompt');
    client.write('echo "sock=$SSH_AUTH_SOCK"\r');
    const socketPath = (await waitForScreen(client, /^sock=(\/\S+)$/m, 'SSH_AUTH_SOCK'))[1]!;
    client.write('ssh-add -l; echo "listed=$?"\r');
    await waitForScreen(client, new RegExp(`${escape(agent.fingerprint)}[\\s\\S]*listed=0`), 'the key listed through the forwarded agent');

    // The client's address changes (a new source port, as after a network change): the same socket still works.
    await client.changeSourcePort();
    client.write('clear; ssh-add -l; echo "after-roam=$?"\r');
    await waitForScreen(client, new RegExp(`${escape(agent.fingerprint)}[\\s\\S]*after-roam=0`), 'the key listed after the roam');

    // The client leaves (the named session stays): a connection to the agent socket fails at once, not after a hang.
    await client.close();
    const detached = await sshAddOnHost(socketPath);
    expect(detached.code).not.toBe(0);
    expect(detached.ms).toBeLessThan(5_000);
    // The daemon counts what it turned away.
    const { stdout } = await run(process.execPath, [SERVER_BIN, 'status'], { env: workspace.env });
    expect((JSON.parse(stdout) as { forwarding: { refusedConnections: number } }).forwarding.refusedConnections).toBeGreaterThanOrEqual(1);

    // Another client attaches with its agent: the program's unchanged SSH_AUTH_SOCK reaches it.
    const second = await workspace.newSession([], ['--name', name]);
    const reattached = attach(second, { agentSocketPath: agent.socketPath });
    reattached.write('clear; echo "sock2=$SSH_AUTH_SOCK"; ssh-add -l; echo "after-reattach=$?"\r');
    const match = await waitForScreen(reattached, new RegExp(`sock2=(\\S+)\\n[\\s\\S]*${escape(agent.fingerprint)}[\\s\\S]*after-reattach=0`), 'the key listed after the reattach');
    expect(match[1]).toBe(socketPath);
    expect(await sshAddOnHost(socketPath)).toMatchObject({ code: 0 });

    // A client that attaches without -A gets no agent: its connections are refused at once too.
    const third = await workspace.newSession([], ['--name', name]);
    const withoutAgent = attach(third);
    withoutAgent.write('clear; ssh-add -l; echo "no-agent=$?"\r');
    await waitForScreen(withoutAgent, /communication with agent failed\nno-agent=1/, 'ssh-add failing without a forwarded agent');
    withoutAgent.write('exit\r');
    expect((await withoutAgent.done).reason).toBe('remote-exit');
  });
});

describe('port forwarding (-L, -R) through 10 % loss each way at 100 ms RTT', () => {
  let proxy: UdpProxy;
  let session: ClientSession;
  let sink: { server: import('node:net').Server; port: number };
  let localPort: number;
  let remotePort: number;

  beforeAll(async () => {
    const workspace = suite.workspace();
    const target = await workspace.newSession(['bash', '--norc', '--noprofile']);
    proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: target.port }, profile: 'delay=50ms,loss=10%', seed: 16 });
    suite.track({ kill: () => void proxy.close() });
    sink = await startHashSink();
    suite.track({ kill: () => sink.server.close() });
    localPort = await freePort();
    remotePort = await freePort();
    session = attach(
      { host: proxy.address.host, port: proxy.address.port, key: target.key },
      {
        local: [parseForwardSpec('local', `${localPort}:127.0.0.1:${sink.port}`)],
        remote: [parseForwardSpec('remote', `${remotePort}:127.0.0.1:${sink.port}`)],
      },
    );
    await waitForScreen(session, /^\$$/m, 'the prompt');
  });

  it('-L carries 10 MB intact from a local port to a port the server reaches', async () => {
    const payload = randomBytes(10 * 1024 * 1024);
    expect(await eventually(() => streamThrough(localPort, payload), 60_000)).toBe(sha256Line(payload));
    expect(proxy.stats.up.dropped.loss + proxy.stats.down.dropped.loss).toBeGreaterThan(100);
  });

  it('-R carries 10 MB intact from a port on the server to one the client reaches', async () => {
    const payload = randomBytes(10 * 1024 * 1024);
    // The server's listener appears once the client's request has crossed the link.
    expect(await eventually(() => streamThrough(remotePort, payload), 60_000)).toBe(sha256Line(payload));
  });

  it('carries a forwarded stream through a 3 s outage: it stalls, then finishes intact', async () => {
    const payload = randomBytes(3 * 1024 * 1024);
    const transfer = eventually(() => streamThrough(localPort, payload), 60_000);
    await new Promise((resolve) => setTimeout(resolve, 300));
    proxy.setBlackout(true);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    proxy.setBlackout(false);
    expect(await transfer).toBe(sha256Line(payload));
    expect(proxy.stats.up.dropped.blackout + proxy.stats.down.dropped.blackout).toBeGreaterThan(0);
  });

  it('keeps typing going while a forward moves bulk data', async () => {
    const payload = randomBytes(4 * 1024 * 1024);
    const transfer = streamThrough(localPort, payload);
    session.write('echo typed-$((20+22))\r');
    await waitForScreen(session, /^typed-42$/m, 'the command typed during the transfer');
    expect(await transfer).toBe(sha256Line(payload));
  });

  it('says in one line when the far end refuses, and the session goes on', async () => {
    const closedPort = await freePort();
    const notices: string[] = [];
    // The refusal is the server's connect failing; it comes back to the client as a notice naming the target.
    const localForClosed = await freePort();
    const target = await suite.workspace().newSession(['bash', '--norc', '--noprofile']);
    const client = attach(target, { local: [parseForwardSpec('local', `${localForClosed}:127.0.0.1:${closedPort}`)], remote: [parseForwardSpec('remote', `${sink.port}:127.0.0.1:1`)] });
    client.on('notice', (text) => notices.push(text));
    await waitForScreen(client, /^\$$/m, 'the prompt');
    // The local connection is accepted, then closed when the server's connect fails (an end or a reset).
    await eventually(() => streamThrough(localForClosed, Buffer.from('x')).catch(() => ''), 10_000);
    await eventually(async () => {
      if (!notices.some((line) => /connection refused/.test(line))) throw new Error(`notices so far: ${notices.join(' | ')}`);
    });
    // -R on a port already taken (the sink's own) is refused by the server, in one line.
    await eventually(async () => {
      if (!notices.some((line) => /already in use/.test(line))) throw new Error(`notices so far: ${notices.join(' | ')}`);
    });
    for (const line of notices) expect(line).not.toContain('\n');
    client.write('echo still-$((1+1))\r');
    await waitForScreen(client, /^still-2$/m, 'the session after the refusals');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
