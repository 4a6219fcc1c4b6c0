/**
 * Daemons of other wire generations beside this one's (daemon-generation.ts). The stand-in is a real process
 * listening on a real control socket and answering `status`, `list` and `kill` as a daemon of that generation would
 * (an older version of tsmosh cannot be installed here); it exits on SIGTERM as the daemon does. The `tsmosh-server`
 * runs are the real program, under a private runtime folder.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PROTOCOL_VERSION } from '@tsmosh/protocol';
import { WAIT_BOUND_MS, stopProcess } from '@tsmosh/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { busyOtherDaemons, namedElsewhere, otherDaemons } from './daemon-generation.js';
import { listDaemonSessions } from './new-session.js';
import { LEGACY_CONTROL_SOCKET_NAME, controlSocketPath, otherControlSockets } from './runtime-dir.js';
import { privateRuntime as privateRuntimeFolder } from './private-runtime.test-helpers.js';

const CONTROL_MODULE = new URL('../dist/control.js', import.meta.url).href;
const SERVER_BIN = fileURLToPath(new URL('../bin/tsmosh-server.js', import.meta.url));
const run = promisify(execFile);

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function privateRuntime(): { dir: string; env: NodeJS.ProcessEnv } {
  return privateRuntimeFolder('tsm-gen-', (remove) => cleanups.push(remove), true);
}

interface StandIn {
  readonly socketPath: string;
  readonly child: ChildProcess;
  /** The session IDs or names it was asked to kill. */
  readonly killed: string[];
}

/**
 * Starts a stand-in daemon on `socketName` in `dir` (default: the legacy socket, where daemons of protocol 7 and
 * older listen) holding sessions with these names; resolves once it listens.
 */
async function standIn(
  dir: string,
  daemon: { version: string; protocol?: number; names?: string[] },
  socketName: string = LEGACY_CONTROL_SOCKET_NAME,
): Promise<StandIn> {
  const socketPath = join(dir, socketName);
  const sessions = (daemon.names ?? []).map((name, index) => ({
    sessionId: `${index}`.padStart(16, 'a'),
    name,
    port: 60001,
    pid: 1,
    command: ['claude'],
    startedAt: '2026-12-06T09:00:00.000Z',
    clientAddress: undefined,
    lastHeardMsAgo: undefined,
    attached: false,
    pendingAttaches: 0,
    idleTimeoutMs: undefined,
    drops: {},
  }));
  const script = `
    const { listenControl } = await import(${JSON.stringify(CONTROL_MODULE)});
    const sessions = ${JSON.stringify(sessions)};
    const status = () => ({ version: ${JSON.stringify(daemon.version)}, ${daemon.protocol !== undefined ? `protocol: ${daemon.protocol},` : ''} sessions: sessions.length, pid: process.pid, endpoints: [] });
    const server = await listenControl(${JSON.stringify(socketPath)}, async (request) => {
      if (request.op === 'status') return status();
      if (request.op === 'list') return sessions;
      if (request.op === 'kill') {
        const at = sessions.findIndex((s) => s.name === request.sessionId || s.sessionId === request.sessionId);
        if (at < 0) throw new Error('no such session');
        sessions.splice(at, 1);
        process.stdout.write('killed ' + request.sessionId + '\\n');
        return { killed: request.sessionId };
      }
      throw new Error('the stand-in does not start sessions');
    });
    process.on('SIGTERM', () => server.close(() => process.exit(0)));
    process.stdout.write('listening\\n');
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => stopProcess(child.pid!));
  const killed: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the stand-in daemon did not start')), WAIT_BOUND_MS);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (text: string) => {
      for (const line of text.split('\n')) {
        if (line === 'listening') {
          clearTimeout(timer);
          resolve();
        } else if (line.startsWith('killed ')) {
          killed.push(line.slice('killed '.length));
        }
      }
    });
  });
  return { socketPath, child, killed };
}

const exited = (child: ChildProcess): Promise<void> => (child.exitCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve())));

/** Runs the real tsmosh-server; resolves with its output and status, never rejects on a failing status. */
async function server(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [SERVER_BIN, ...args], { env, timeout: WAIT_BOUND_MS });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

/** Stops this generation's daemon in `env`'s runtime folder after the test, if one started. */
function stopOwnDaemon(dir: string, env: NodeJS.ProcessEnv): void {
  cleanups.push(async () => {
    if (!existsSync(controlSocketPath(dir))) return;
    const status = await server(['status'], env);
    if (status.code === 0) await stopProcess((JSON.parse(status.stdout) as { pid: number }).pid);
  });
}

describe('the daemons of other generations', () => {
  it('are found on every control socket but this generation’s, the legacy one included', async () => {
    const { dir } = privateRuntime();
    expect(await otherDaemons(dir)).toEqual([]);
    const same = await standIn(dir, { version: '0.3.0', protocol: PROTOCOL_VERSION }, `control-p${PROTOCOL_VERSION}.sock`);
    const legacy = await standIn(dir, { version: '0.1.0', protocol: PROTOCOL_VERSION - 1, names: ['a'] });
    const newer = await standIn(dir, { version: '0.4.0', protocol: PROTOCOL_VERSION + 1 }, `control-p${PROTOCOL_VERSION + 1}.sock`);
    expect(otherControlSockets(dir)).toEqual([legacy.socketPath, newer.socketPath]);
    const found = await otherDaemons(dir);
    expect(found.map((daemon) => [daemon.pid, daemon.protocol, daemon.sessions])).toEqual([
      [legacy.child.pid, PROTOCOL_VERSION - 1, 1],
      [newer.child.pid, PROTOCOL_VERSION + 1, 0],
    ]);
    expect(same.child.exitCode).toBeNull();
  });

  it('an idle one is asked to exit, one reporting no protocol (very old) too; a busy one is left running', async () => {
    const { dir } = privateRuntime();
    const old = await standIn(dir, { version: '0.0.9' });
    const busy = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] }, `control-p${PROTOCOL_VERSION - 1}.sock`);
    const idle = await standIn(dir, { version: '0.4.0', protocol: PROTOCOL_VERSION + 1 }, `control-p${PROTOCOL_VERSION + 1}.sock`);
    const left = await busyOtherDaemons(dir);
    expect(left.map((daemon) => daemon.pid)).toEqual([busy.child.pid]);
    await Promise.all([exited(old.child), exited(idle.child)]);
    expect([old.child.exitCode, idle.child.exitCode]).toEqual([0, 0]);
    expect(busy.child.exitCode).toBeNull();
  });

  it('a name one of them runs is refused in one line: which tsmosh, its protocol, since when, what to do', async () => {
    const { dir } = privateRuntime();
    const busy = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    const others = await busyOtherDaemons(dir);
    expect(await namedElsewhere('other', others)).toBeUndefined();
    const refusal = await namedElsewhere('claude', others, new Date('2026-12-06T12:00:00.000Z'));
    expect(refusal?.code).toBe('daemon-generation');
    expect(refusal?.message).toBe(
      `tsmosh-server: session claude runs under an older tsmosh (0.2.0, protocol ${PROTOCOL_VERSION - 1}, daemon pid ${busy.child.pid}), started 3 h ago; this one speaks protocol ${PROTOCOL_VERSION}. Reattach with that tsmosh, or end it (\`tsmosh host --kill claude\`, or \`tsmosh-server kill claude\` here) and start it anew`,
    );
    // Asked for by its ID, an unnamed session of theirs is theirs too.
    expect((await namedElsewhere('aaaaaaaaaaaaaaa0', others))?.code).toBe('daemon-generation');
  });
});

describe.skipIf(process.platform !== 'linux')('tsmosh-server beside a busy daemon of an older generation', () => {
  it('`new` starts its session in a daemon of its own generation at once; the old daemon and its session keep running', async () => {
    const { dir, env } = privateRuntime();
    const old = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    stopOwnDaemon(dir, env);
    const created = await server(['new', '--', '/bin/sh'], env);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
    const status = JSON.parse((await server(['status'], env)).stdout) as { pid: number; protocol: number; sessions: number };
    expect(status).toMatchObject({ protocol: PROTOCOL_VERSION, sessions: 1 });
    expect(status.pid).not.toBe(old.child.pid);
    expect(existsSync(controlSocketPath(dir))).toBe(true);
    expect(old.child.exitCode).toBeNull();
  });

  it('`new --name NAME` refuses when the older daemon runs NAME, and starts another name', async () => {
    const { dir, env } = privateRuntime();
    await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    stopOwnDaemon(dir, env);
    const refused = await server(['new', '--name', 'claude', '--', '/bin/sh'], env);
    expect(refused.code).not.toBe(0);
    expect(refused.stdout).toBe('');
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(new RegExp(`^tsmosh-server: session claude runs under an older tsmosh \\(0\\.2\\.0, protocol ${PROTOCOL_VERSION - 1}, .*tsmosh host --kill claude`));
    const other = await server(['new', '--name', 'notes', '--', '/bin/sh'], env);
    expect(other.stdout).toMatch(/^TSMOSH CONNECT \d+ \S+$/m);
  });

  it('`list` shows the sessions of both, the older marked as such; `kill` reaches the daemon that holds the session', async () => {
    const { dir, env } = privateRuntime();
    const old = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    stopOwnDaemon(dir, env);
    expect((await server(['new', '--name', 'notes', '--', '/bin/sh'], env)).code).toBe(0);

    const json = JSON.parse((await server(['list', '--json'], env)).stdout) as { name: string; otherGeneration?: { protocol: number; daemonPid: number } }[];
    expect(json.map((session) => [session.name, session.otherGeneration?.protocol])).toEqual([
      ['notes', undefined],
      ['claude', PROTOCOL_VERSION - 1],
    ]);
    const table = (await server(['list'], env)).stdout;
    expect(table).toMatch(/^NAME .*\nnotes /);
    expect(table).toMatch(new RegExp(`\\nUnder an older tsmosh \\(0\\.2\\.0, protocol ${PROTOCOL_VERSION - 1}, daemon pid ${old.child.pid}\\).*\\nNAME .*\\nclaude `));

    expect((await server(['kill', 'claude'], env)).code).toBe(0);
    expect(old.killed).toEqual(['claude']);
    expect(JSON.parse((await server(['list', '--json'], env)).stdout).map((session: { name: string }) => session.name)).toEqual(['notes']);
    expect((await server(['kill', 'notes'], env)).code).toBe(0);
    expect(old.killed).toEqual(['claude']);
  });

  it('`tsmosh --local`’s in-process list has the older daemon’s sessions too, marked', async () => {
    const { dir, env } = privateRuntime();
    const old = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    expect((await listDaemonSessions(env)).map((session) => [session.name, session.otherGeneration?.daemonPid])).toEqual([['claude', old.child.pid]]);
  });

  it('`status` reports the older daemon beside its own: pid, version, protocol, its sessions by name', async () => {
    const { dir, env } = privateRuntime();
    const old = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude', 'notes'] });
    stopOwnDaemon(dir, env);
    expect((await server(['new', '--', '/bin/sh'], env)).code).toBe(0);
    const status = JSON.parse((await server(['status'], env)).stdout) as { pid: number; protocol: number; sessions: number; otherDaemons: unknown };
    expect(status).toMatchObject({ protocol: PROTOCOL_VERSION, sessions: 1 });
    expect(status.otherDaemons).toEqual([
      { pid: old.child.pid, version: '0.2.0', protocol: PROTOCOL_VERSION - 1, controlSocket: old.socketPath, sessions: 2, names: ['claude', 'notes'] },
    ]);
  });

  it('`status` with only the older daemon running says so in one line, not that no daemon runs', async () => {
    const { dir, env } = privateRuntime();
    const old = await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    const status = await server(['status'], env);
    expect(status.code).not.toBe(0);
    expect(status.stdout).toBe('');
    expect(status.stderr).toBe(
      `tsmosh-server: no daemon of this tsmosh (protocol ${PROTOCOL_VERSION}) is running; an older tsmosh's daemon (0.2.0, protocol ${PROTOCOL_VERSION - 1}, pid ${old.child.pid}) runs 1 session (claude): \`tsmosh-server list\` shows its sessions, \`tsmosh-server new\` starts this tsmosh's daemon\n`,
    );
    // With none of either running, as before.
    await stopProcess(old.child.pid!);
    expect((await server(['status'], env)).stderr).toBe('tsmosh-server: no daemon is running (no sessions); `tsmosh-server new` starts one\n');
  });

  it('`list` with only the older daemon running shows its sessions, not as lost', async () => {
    const { dir, env } = privateRuntime();
    await standIn(dir, { version: '0.2.0', protocol: PROTOCOL_VERSION - 1, names: ['claude'] });
    const listed = await server(['list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^no daemon of this tsmosh is running \(no sessions of its own\)\n\nUnder an older tsmosh .*\nNAME .*\nclaude /);
  });
});
