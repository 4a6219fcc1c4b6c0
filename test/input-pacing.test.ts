/**
 * Keys that reach the daemon in one state, read by a real program in a real pty through the real daemon: the
 * program (a small node script that logs each read() it gets, in hex) sees Esc and the key after it in separate
 * reads, and tmux's prefix apart from the text before it, while typed text and a paste come in one read each
 * (packages/server input-pacing.ts). No timing is asserted: only what the program read. Build first: `npx tsc -b`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClient, daemonStatus, makeRuntimeDir, parseConnectLine, runServer, serverEnv, stopDaemon, waitUntil } from './server-helpers.js';

/**
 * Raw mode, then one line of hex per read() of its terminal, appended to the file named by its argument. After each
 * read it is busy for READER_BUSY_MS, as a UI that draws each key: keys written back to back (as before pacing) then
 * always share its next read, whatever the machine's load, while keys written a gap apart do not.
 */
const READER_BUSY_MS = 5;
const READER = `
const { appendFileSync } = require('node:fs');
const log = process.argv[2];
const pause = new Int32Array(new SharedArrayBuffer(4));
process.stdin.setRawMode(true);
process.stdin.on('data', (chunk) => {
  appendFileSync(log, chunk.toString('hex') + '\\n');
  Atomics.wait(pause, 0, 0, ${READER_BUSY_MS});
});
process.stdout.write('READER READY\\n');
`;

const ESC = '\x1b';

describe('input pacing through the daemon (a real program reading a real pty)', () => {
  let runtime: ReturnType<typeof makeRuntimeDir>;
  let env: NodeJS.ProcessEnv;
  let work: string;
  let daemonPid: number | undefined;
  const clients: TestClient[] = [];

  beforeEach(() => {
    runtime = makeRuntimeDir();
    env = serverEnv(runtime.dir);
    work = mkdtempSync(join(tmpdir(), 'tsm-reads-'));
    daemonPid = undefined;
  });
  const tmuxSockets: string[] = [];
  afterEach(async () => {
    for (const socket of tmuxSockets.splice(0)) {
      try {
        execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    for (const client of clients.splice(0)) client.close();
    await stopDaemon(daemonPid);
    runtime.cleanup();
    rmSync(work, { recursive: true, force: true });
  });

  it('gives the program Esc and the next key in separate reads, and typed text or a paste in one, when the client sent them in one datagram', async () => {
    const script = join(work, 'reader.cjs');
    const log = join(work, 'reads.log');
    writeFileSync(script, READER);
    const result = await runServer(['new', '--', process.execPath, script, log], env);
    expect(result.code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    const client = new TestClient(parseConnectLine(result.stdout));
    clients.push(client);
    await client.waitForScreen((text) => text.includes('READER READY'), 'the reader to start');

    const reads = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter((line) => line !== '').map((hex) => Buffer.from(hex, 'hex').toString('latin1')) : []);
    const untilRead = async (bytes: string): Promise<string[]> => {
      await waitUntil(() => reads().join('').length >= bytes.length, `the program to read ${JSON.stringify(bytes)}; it read ${JSON.stringify(reads())}`);
      return reads();
    };

    // Typed text, each letter its own event, in one datagram: one write, one read.
    client.typeTogether(['h', 'e', 'l', 'l', 'o']);
    expect(await untilRead('hello')).toEqual(['hello']);

    // a, Esc, j in one datagram: whatever else, the Esc ends its read and j starts a later one (not Alt+j).
    client.typeTogether(['a', ESC, 'j']);
    let sent = `hello${'a'}${ESC}j`;
    let got = await untilRead(sent);
    expect(got.join('')).toBe(sent);
    const escRead = got.findIndex((read) => read.includes(ESC));
    expect(got[escRead]!.endsWith(ESC)).toBe(true);
    expect(got.slice(escRead + 1).join('')).toBe('j');

    // Text, tmux's prefix (Ctrl-B) and its key in one datagram: the prefix starts a read of its own.
    client.typeTogether(['x', 'y', '\x02', 'o']);
    sent += 'xy\x02o';
    got = await untilRead(sent);
    expect(got.join('')).toBe(sent);
    expect(got.find((read) => read.includes('\x02'))!.startsWith('\x02')).toBe(true);

    // A paste (one event) holding Enter and Esc stays one write: one read.
    const paste = `${ESC}[200~one\rtwo${ESC}[201~`;
    const before = got.length;
    client.typeTogether([paste]);
    sent += paste;
    got = await untilRead(sent);
    expect(got.slice(before)).toEqual([paste]);
  });

  it("runs tmux's binding for Ctrl-B o sent in one datagram right after other keys, rather than taking it for a paste", async () => {
    // Two panes, the second active; `Ctrl-B o` selects the first. With the keys in one read, tmux (assume-paste-time,
    // 1 ms) takes the prefix for pasted text and sends it and `o` to the second pane's shell.
    const socket = join(work, 'tmux.sock');
    tmuxSockets.push(socket);
    const result = await runServer(['new', '--', 'tmux', '-S', socket, '-f', '/dev/null', 'new-session', '-s', 't', ';', 'split-window', '-h'], env);
    expect(result.code).toBe(0);
    daemonPid = (await daemonStatus(env)).pid;
    const client = new TestClient(parseConnectLine(result.stdout));
    clients.push(client);
    const tmux = (...args: string[]): string => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' }).trim();
    await waitUntil(() => existsSync(socket) && tmux('list-panes', '-F', '#{pane_index}').split('\n').length === 2, 'tmux with two panes');
    await waitUntil(() => tmux('display-message', '-p', '#{pane_index}') === '1', 'the second pane active');
    await client.waitForScreen((text) => text.includes('│') && /^[#$]/.test(text), "the two panes with their shells' prompts");

    client.typeTogether(['x', 'y', '\x02', 'o']);
    await waitUntil(() => tmux('display-message', '-p', '#{pane_index}') === '0', `tmux to select the first pane; the second shows ${JSON.stringify(tmux('capture-pane', '-p', '-t', '1'))}`);
    expect(tmux('capture-pane', '-p', '-t', '1')).toContain('xy');
  });
});
