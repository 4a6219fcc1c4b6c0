/**
 * Sessions that outlive their clients (issue 8), at the server level: the built `tsmosh-server` and its daemon, the
 * real `tsmosh-client` in a pty (killed with SIGKILL where the issue says so), `connect()` and a bare protocol client,
 * real ptys and real UDP on 127.0.0.1. Named sessions, attach with a fresh key, takeover, list, kill, stale keys,
 * twenty sessions on one port, and the command's exit status reaching the client.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionKey } from '@tsmosh/protocol';
import { connect } from '@tsmosh/client';
import { PtyProgram, SERVER_BIN, WAIT_MS, Workspace, requireBuilt, startClient } from './client-harness.js';
import { TestClient, waitUntil } from './server-helpers.js';

const run = promisify(execFile);

interface ListedSession {
  sessionId: string;
  name: string | undefined;
  pid: number;
  port: number;
  command: string[];
  startedAt: string;
  clientAddress: string | undefined;
  lastHeardMsAgo: number | undefined;
  attached: boolean;
  pendingAttaches: number;
  idleTimeoutMs: number | undefined;
  drops: Record<string, number>;
}

/**
 * A program that keeps printing (a numbered tick every 100 ms, from a background loop) and answers typed lines:
 * `got:<line>`. The reader blocks on a plain `read`: `read -t` would drop a line whose bytes straddle its timeout
 * (bash keeps the partial input but reports a timeout), which a loaded machine makes likely.
 */
const TICKER = ['bash', '--norc', '--noprofile', '-c', '(i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.1; done) & while read -r line; do echo "got:$line"; done'];

describe('named sessions: attach, takeover, list, kill', () => {
  let workspace: Workspace;
  const programs: Array<{ kill(): void }> = [];
  const testClients: TestClient[] = [];

  beforeAll(async () => {
    requireBuilt();
    workspace = new Workspace();
    await workspace.ensureDaemon();
  });
  afterAll(async () => {
    for (const program of programs) program.kill();
    for (const client of testClients) client.close();
    await workspace?.dispose();
  });

  async function server(args: string[], extraEnv: Record<string, string> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [SERVER_BIN, ...args], { env: { ...workspace.env, ...extraEnv }, timeout: WAIT_MS });
      return { stdout, stderr, code: 0 };
    } catch (error) {
      const failed = error as { stdout: string; stderr: string; code: number };
      return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
    }
  }

  async function newNamed(name: string, command: readonly string[] = TICKER): Promise<{ port: number; key: string }> {
    const result = await server(['new', '--name', name, '--', ...command]);
    const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(result.stdout);
    if (match === null) throw new Error(`tsmosh-server new --name ${name} printed ${JSON.stringify(result.stdout)} (stderr ${result.stderr})`);
    return { port: Number(match[1]), key: match[2]! };
  }

  async function list(): Promise<ListedSession[]> {
    return JSON.parse((await server(['list', '--json'])).stdout) as ListedSession[];
  }

  async function named(name: string): Promise<ListedSession | undefined> {
    return (await list()).find((session) => session.name === name);
  }

  function client(target: { port: number; key: string }): PtyProgram {
    const program = startClient(workspace, target);
    programs.push(program);
    return program;
  }

  function testClient(target: { port: number; key: string }): TestClient {
    const bare = new TestClient(target);
    testClients.push(bare);
    return bare;
  }

  /** The highest tick number on a screen. */
  function lastTick(lines: string[]): number {
    let highest = 0;
    for (const line of lines) {
      const match = /^tick (\d+)$/.exec(line);
      if (match) highest = Math.max(highest, Number(match[1]));
    }
    return highest;
  }

  it('delivers each notification once as the program sent it, never again to a client that attaches later; progress is state', async () => {
    // On each line read: an OSC 9 and an OSC 777 notification, then an OSC 9;4 progress report.
    const notifier = [
      'bash', '--norc', '--noprofile', '-c',
      `while read -r line; do printf '\\033]9;done %s\\a\\033]777;notify;tsmosh;body %s\\a\\033]9;4;1;42\\a' "$line" "$line"; echo "sent:$line"; done`,
    ];
    const first = client(await newNamed('notify', notifier));
    await waitUntil(async () => (await named('notify'))?.attached === true, 'the first client to attach');
    first.type('one\r');
    await first.waitForText('sent:one');
    await waitUntil(() => first.raw.includes('\x1b]9;4;1;42'), 'the progress report');
    const count = (raw: string, text: string): number => raw.split(text).length - 1;
    expect(count(first.raw, '\x1b]9;done one\x1b\\')).toBe(1);
    expect(count(first.raw, '\x1b]777;notify;tsmosh;body one\x1b\\')).toBe(1);
    // A second client takes the session over: it shows the progress state, but the old notifications are history.
    const second = client(await newNamed('notify'));
    await second.waitForText('sent:one');
    await waitUntil(() => second.raw.includes('\x1b]9;4;1;42'), 'the progress state on the new client');
    expect(second.raw).not.toContain('done one');
    second.type('two\r');
    await second.waitForText('sent:two');
    await waitUntil(() => second.raw.includes('\x1b]9;done two\x1b\\'), 'the new notification');
    expect(count(second.raw, '\x1b]9;done two\x1b\\')).toBe(1);
    await server(['kill', 'notify']);
    await second.waitForExit();
    // The progress bar is taken down when the client leaves.
    expect(second.raw.endsWith('\x1b]9;4;0;0\x1b\\') || second.raw.includes('\x1b]9;4;0;0\x1b\\')).toBe(true);
  });

  it('survives its client being killed with SIGKILL; a new client attaches to the same program and screen, and typing works', async () => {
    const first = await newNamed('crash');
    const before = await named('crash');
    expect(before).toBeDefined();
    const c1 = client(first);
    await c1.waitForText(/tick \d+/);
    c1.type('from-first\r');
    await c1.waitForTextAnywhere('got:from-first');
    const seenByFirst = lastTick(await c1.screen());
    c1.kill(); // SIGKILL: no goodbye reaches the server
    await c1.exited;

    // Attach: same session (ID, pid, port), fresh key; the command given now is ignored (tmux new -A).
    const second = await newNamed('crash', ['/bin/false']);
    expect(second.port).toBe(first.port);
    expect(second.key).not.toBe(first.key);
    expect(SessionKey.parse(second.key).sessionIdHex).not.toBe(SessionKey.parse(first.key).sessionIdHex);
    const during = await named('crash');
    expect(during).toMatchObject({ sessionId: before!.sessionId, pid: before!.pid, port: before!.port, command: TICKER });
    expect((await list()).filter((session) => session.name === 'crash')).toHaveLength(1);

    const c2 = client(second);
    // The current screen at once: what the first client saw is still there, and the program kept counting.
    await c2.waitFor('the screen the first client left, with later ticks', (lines) => lines.some((line) => line === 'got:from-first') || lastTick(lines) > seenByFirst);
    await c2.waitFor('ticks beyond those the first client saw', (lines) => lastTick(lines) > seenByFirst);
    c2.type('from-second\r');
    await c2.waitForTextAnywhere('got:from-second');
    const after = await named('crash');
    expect(after).toMatchObject({ sessionId: before!.sessionId, pid: before!.pid, attached: true, pendingAttaches: 0 });
    // Quitting (Ctrl-^ .) leaves a named session running for the next attach (an unnamed one ends, as in mosh).
    c2.type('\x1e.');
    expect((await c2.waitForExit()).exitCode).toBe(0);
    expect(await named('crash')).toMatchObject({ sessionId: before!.sessionId, pid: before!.pid });
    const third = client(await newNamed('crash'));
    third.type('from-third\r');
    await third.waitForTextAnywhere('got:from-third');
    await server(['kill', 'crash']);
    // Ended on the server, not by the program: tsmosh's 255, as ssh's when its connection is closed.
    expect((await third.waitForExit()).exitCode).toBe(255);
  });

  it('takes an unnamed session back by its ID after its client was killed; from then on it is named by its ID', async () => {
    const created = await server(['new', '--', ...TICKER]);
    const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(created.stdout);
    if (match === null) throw new Error(`tsmosh-server new printed ${JSON.stringify(created.stdout)} (stderr ${created.stderr})`);
    const first = { port: Number(match[1]), key: match[2]! };
    const id = SessionKey.parse(first.key).sessionIdHex;
    const c1 = client(first);
    c1.type('before-crash\r');
    // The ticker scrolls a line off the screen in 2.4 s: look in the scrollback too.
    await c1.waitForTextAnywhere('got:before-crash');
    const before = (await list()).find((session) => session.sessionId === id);
    expect(before?.name).toBeUndefined();
    expect(before?.idleTimeoutMs).toBe(72 * 60 * 60 * 1000); // the unnamed default
    c1.kill(); // SIGKILL: the laptop crashed, and with it the only key
    await c1.exited;

    const second = await newNamed(id, ['/bin/false']);
    expect(second.port).toBe(first.port);
    const adopted = await named(id);
    expect(adopted).toMatchObject({ sessionId: id, pid: before!.pid, command: TICKER });
    expect(adopted?.idleTimeoutMs).toBeUndefined(); // a named session's default: never
    // Recorded like any named session, so a reboot does not lose it either.
    const record = JSON.parse(readFileSync(join(workspace.runtimeDir, 'state', 'sessions', `${id}.json`), 'utf8')) as { name: string; command: string[] };
    expect(record).toMatchObject({ name: id, command: TICKER });
    const c2 = client(second);
    await c2.waitForTextAnywhere('got:before-crash');
    c2.type('after-crash\r');
    await c2.waitForTextAnywhere('got:after-crash');
    // Quitting now leaves it running, as with any named session.
    c2.type('\x1e.');
    expect((await c2.waitForExit()).exitCode).toBe(0);
    expect(await named(id)).toMatchObject({ sessionId: id, pid: before!.pid });
    await server(['kill', id]);
    await waitUntil(async () => (await named(id)) === undefined, 'the session to end');

    // A named session is attached by its ID too, and keeps its name.
    const byName = await newNamed('by-id');
    const namedId = SessionKey.parse(byName.key).sessionIdHex;
    const byId = await newNamed(namedId);
    expect(SessionKey.parse(byId.key).sessionIdHex).not.toBe(namedId);
    expect((await list()).filter((session) => session.sessionId === namedId)).toMatchObject([{ name: 'by-id' }]);
    expect(await named(namedId)).toBeUndefined();
    await server(['kill', 'by-id']);

    // An ID whose session has ended is refused in one line, not started as a new session named like an ID.
    const gone = await server(['new', '--name', id, '--', 'true']);
    expect(gone.code).not.toBe(0);
    expect(gone.stdout).toBe('');
    expect(gone.stderr.trim().split('\n')).toEqual([`tsmosh-server: no session with ID ${id} runs (it has ended); \`tsmosh-server list\` shows the running ones, or start one under a name that is not an ID`]);
    expect(await named(id)).toBeUndefined();
  });

  it('tells a live client that another one took the session over, from where, and it exits cleanly', async () => {
    const first = await newNamed('takeover');
    const c1 = client(first);
    await c1.waitForText(/tick \d+/);
    // An attach alone changes nothing: the first client keeps working until the new key is used.
    const second = await newNamed('takeover');
    c1.type('still-mine\r');
    await c1.waitForTextAnywhere('got:still-mine');
    expect((await named('takeover'))?.pendingAttaches).toBe(1);

    const c2 = client(second);
    const { exitCode } = await c1.waitForExit();
    expect(exitCode).toBe(0);
    const lines = await c1.logicalLines();
    expect(lines.join('\n')).toMatch(/tsmosh: this session was taken over by another client \(at 127\.0\.0\.1:\d+\); it goes on there\./);
    expect(c1.terminalModes()).toMatchObject({ cursorHidden: false, alternateScreen: false, bracketedPaste: false });

    c2.type('now-mine\r');
    await c2.waitForTextAnywhere('got:now-mine');
    expect(await named('takeover')).toMatchObject({ attached: true, pendingAttaches: 0 });
  });

  it('refuses a stale key and a forged one: nothing reaches the program, the current client stays attached', async () => {
    const first = await newNamed('stale');
    const owner1 = testClient(first);
    await owner1.waitForScreen((text) => /tick \d+/.test(text), 'ticks for the first client');
    const second = await newNamed('stale');
    const owner2 = testClient(second);
    await owner1.waitForShutdown(); // told it was taken over
    expect(owner1.transport.remote.ending).toMatchObject({ kind: 'taken-over' });
    owner1.close(); // acknowledged first, so the daemon retires the old key now
    await owner2.waitForScreen((text) => /tick \d+/.test(text), 'ticks for the new client');
    const current = await named('stale');
    await waitUntil(async () => (await named('stale'))?.pendingAttaches === 0, 'the attach to complete');

    const statusBefore = JSON.parse((await server(['status'])).stdout) as { endpoints: { port: number; unknownSession: number }[] };
    const unknownBefore = statusBefore.endpoints.find((endpoint) => endpoint.port === first.port)!.unknownSession;

    // The old key, replayed by someone who kept it: its session ID no longer routes anywhere.
    const staleClient = testClient(first);
    staleClient.type('typed-with-stale-key\r');
    await waitUntil(async () => {
      const status = JSON.parse((await server(['status'])).stdout) as { endpoints: { port: number; unknownSession: number }[] };
      return status.endpoints.find((endpoint) => endpoint.port === first.port)!.unknownSession > unknownBefore;
    }, 'the daemon to drop the stale key as an unknown session');

    // A stolen session ID with a guessed secret: routed to the session, refused by its tag check.
    const stolenId = SessionKey.parse(second.key).sessionId;
    const forged = SessionKey.generate(() => new Uint8Array([...stolenId, ...randomBytes(16)]));
    const forgedClient = testClient({ port: first.port, key: forged.toString() });
    forgedClient.type('typed-with-forged-key\r');
    await waitUntil(async () => ((await named('stale'))?.drops.dropBadTag ?? 0) >= 1, 'the session to drop the forged datagrams');

    // The real client still types, and is the only one whose keys reached the program.
    owner2.type('owner-again\r');
    await owner2.waitForScreen((text) => text.includes('got:owner-again'), 'the owner to type after the attempts');
    expect(owner2.text).not.toContain('stale-key');
    expect(owner2.text).not.toContain('forged-key');
    expect(staleClient.transport.connection.lastHeardAt).toBeUndefined();
    expect(forgedClient.transport.connection.lastHeardAt).toBeUndefined();
    const after = await named('stale');
    expect(after).toMatchObject({ sessionId: current!.sessionId, pid: current!.pid, clientAddress: current!.clientAddress, attached: true });
  });

  it('lists sessions for a person and as JSON, and kills one by name: its client is told why', async () => {
    const target = await newNamed('doomed');
    const c = client(target);
    await c.waitForText(/tick \d+/);
    await waitUntil(async () => (await named('doomed'))?.attached === true, 'the client to count as attached');

    const table = (await server(['list'])).stdout.split('\n');
    expect(table[0]).toMatch(/^NAME\s+ID\s+AGE\s+LAST CONTACT\s+ATTACHED\s+PORT\s+COMMAND$/);
    const row = table.find((line) => line.startsWith('doomed '));
    expect(row).toMatch(/^doomed\s+[0-9a-f]{16}\s+\d+[smhd]\S*\s+\d+\S* ago\s+yes \(127\.0\.0\.1:\d+\)\s+\d+\s+bash --norc/);

    const killed = await server(['kill', 'doomed']);
    expect(killed).toMatchObject({ code: 0 });
    expect((await c.waitForExit()).exitCode).toBe(255);
    expect((await c.logicalLines()).join('\n')).toContain('tsmosh: the session ended: the session was killed on the server (tsmosh-server kill).');
    expect(await named('doomed')).toBeUndefined();

    const unknown = await server(['kill', 'no-such-name']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr.trim().split('\n')).toHaveLength(1);
    expect(unknown.stderr).toContain('no session named or numbered "no-such-name"');

    const badName = await server(['new', '--name', '../etc', '--', 'true']);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toContain('--name "../etc"');
  });

  it('lists a session whose client quit (Ctrl-^ .) as not attached at once, not only after the client goes quiet', async () => {
    const target = await newNamed('left');
    const bare = testClient(target);
    await bare.waitForScreen((text) => /tick \d+/.test(text), 'the ticks');
    await waitUntil(async () => (await named('left'))?.attached === true, 'the client to count as attached');
    await bare.quit();
    // The client was heard a moment ago, well inside ATTACHED_WITHIN_MS: only its quit says it is gone.
    const after = await named('left');
    expect(after).toMatchObject({ attached: false });
    expect(after!.lastHeardMsAgo).toBeLessThan(15_000);
    expect((await server(['list'])).stdout.split('\n').find((line) => line.startsWith('left '))).toMatch(/\s+no\s+\d+\s+bash --norc/);
    expect(await server(['kill', 'left'])).toMatchObject({ code: 0 });
  });

  it('tells the client how the command ended: killed by a signal, or a non-zero exit status', async () => {
    const victim = await newNamed('oom-victim', ['sh', '-c', 'echo victim-ready; exec sleep 600']);
    const c = client(victim);
    await c.waitForText('victim-ready');
    const pid = (await named('oom-victim'))!.pid;
    process.kill(pid, 'SIGKILL'); // what the out-of-memory killer does
    expect((await c.waitForExit()).exitCode).toBe(128 + 9);
    expect((await c.logicalLines()).join('\n')).toContain("tsmosh: the session's command was killed by SIGKILL");

    const failing = await newNamed('exit-3', ['sh', '-c', 'read -r line; exit 3']);
    const session = connect({ host: '127.0.0.1', port: failing.port, key: failing.key, cols: 80, rows: 24 });
    session.write('\r');
    const exit = await session.done;
    expect(exit).toMatchObject({ reason: 'remote-exit', ending: { kind: 'command-exited', exitCode: 3 } });
    expect(exit.message).toBe('tsmosh: the remote command exited with status 3.');
  });

  it('keeps twenty sessions on one daemon port independent, through an attach and a kill among them', async () => {
    const count = 20;
    const targets = await Promise.all(Array.from({ length: count }, (_, index) => newNamed(`many-${index}`, ['bash', '--norc', '--noprofile'])));
    expect(new Set(targets.map((target) => target.port)).size).toBe(1);
    const clients = targets.map((target) => testClient(target));
    clients.forEach((bare, index) => bare.type(`echo S${index}-$((${index}*7+1000))\r`));
    await Promise.all(clients.map((bare, index) => bare.waitForScreen((text) => new RegExp(`^S${index}-${index * 7 + 1000}$`, 'm').test(text), `session ${index}'s answer`)));
    clients.forEach((bare, index) => {
      for (let other = 0; other < count; other++) if (other !== index) expect(bare.text).not.toMatch(new RegExp(`^S${other}-`, 'm'));
    });
    const listed = (await list()).filter((session) => session.name?.startsWith('many-'));
    expect(listed).toHaveLength(count);
    expect(new Set(listed.map((session) => session.pid)).size).toBe(count);

    // Take one over and kill another: the rest carry on untouched.
    const replacement = testClient(await newNamed('many-7'));
    await clients[7]!.waitForShutdown();
    await replacement.waitForScreen((text) => /^S7-1049$/m.test(text), 'the attached client to see session 7 as it was');
    await server(['kill', 'many-3']);
    await clients[3]!.waitForShutdown();
    clients.forEach((bare, index) => {
      if (index !== 3 && index !== 7) bare.type(`echo again-${index}\r`);
    });
    await Promise.all(
      clients.map((bare, index) =>
        index === 3 || index === 7 ? Promise.resolve() : bare.waitForScreen((text) => new RegExp(`^again-${index}$`, 'm').test(text), `session ${index} after the attach and the kill`),
      ),
    );
    expect((await list()).filter((session) => session.name?.startsWith('many-'))).toHaveLength(count - 1);
    for (let index = 0; index < count; index++) if (index !== 3) await server(['kill', `many-${index}`]);
  });
});
