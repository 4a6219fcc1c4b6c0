/**
 * Helpers for the server end-to-end tests: run the built `tsmosh-server` bin under plain node with its own runtime
 * dir, and a minimal Node client (Connection + Transport<InputStream, ScreenState> over real UDP) that types into a
 * session and reads its screen.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Connection, SessionKey, Transport, clockDerivedInitialSeq, type PeerAddress } from '@tsmosh/protocol';
import { screenLines, InputStream, ScreenState, type Framebuffer } from '@tsmosh/terminal';
import type { DaemonStatus } from '@tsmosh/server';
import { WAIT_BOUND_MS, isAlive, stopProcess, waitUntil } from '@tsmosh/testkit';

export const SERVER_BIN = resolve(import.meta.dirname, '../packages/server/bin/tsmosh-server.js');

// Waits and process ends are testkit's (one rule for every test); a daemon ends as any process a test started.
export { WAIT_BOUND_MS, isAlive, waitUntil, stopProcess as stopDaemon };

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A private runtime dir per test (short path: Unix socket paths are limited to 107 bytes). */
export function makeRuntimeDir(): { dir: string; cleanup: () => void } {
  const parent = mkdtempSync(join(tmpdir(), 'tsm-'));
  return { dir: join(parent, 'rt'), cleanup: () => rmSync(parent, { recursive: true, force: true }) };
}

/** The environment a server test runs with: no inherited TSMOSH_* knobs, a UTF-8 locale, a plain shell. */
export function serverEnv(runtimeDir: string, extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('TSMOSH_') && !name.startsWith('LC_') && name !== 'LANG') env[name] = value;
  }
  Object.assign(env, { TSMOSH_RUNTIME_DIR: runtimeDir, LANG: 'C.UTF-8', SHELL: '/bin/sh', PS1: '$ ' });
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

/** Runs `tsmosh-server ARGS`: this checkout's, or the one whose entry is `bin` (a copy of the bundle). */
export function runServer(args: readonly string[], env: NodeJS.ProcessEnv, bin: string = SERVER_BIN): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), WAIT_BOUND_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr });
    });
  });
}

export interface Connect {
  port: number;
  key: string;
}

export function parseConnectLine(stdout: string): Connect {
  const match = /^TSMOSH CONNECT (\d+) (\S+)\n$/.exec(stdout);
  if (!match) throw new Error(`expected exactly one CONNECT line, got ${JSON.stringify(stdout)}`);
  return { port: Number(match[1]), key: match[2]! };
}

export async function daemonStatus(env: NodeJS.ProcessEnv): Promise<DaemonStatus> {
  const result = await runServer(['status'], env);
  if (result.code !== 0) throw new Error(`tsmosh-server status failed: ${result.stderr}`);
  return JSON.parse(result.stdout);
}

export function screenText(framebuffer: Framebuffer): string {
  return screenLines(framebuffer).join('\n');
}

/** A bare-bones tsmosh client over real UDP, driven like the real one: one loop, one timer. */
export class TestClient {
  readonly transport: Transport<InputStream, ScreenState>;
  private readonly socket: Socket;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private input = InputStream.empty();
  private readonly listeners = new Set<() => void>();

  constructor(connect: Connect, host = '127.0.0.1') {
    const server: PeerAddress = { host, port: connect.port };
    const connection = new Connection({
      role: 'client',
      key: SessionKey.parse(connect.key),
      random: (length: number) => new Uint8Array(randomBytes(length)),
      initialSeq: clockDerivedInitialSeq(Date.now()),
      serverAddress: server,
    });
    this.transport = new Transport<InputStream, ScreenState>({
      connection,
      initialLocal: InputStream.empty(),
      initialRemote: ScreenState.zero(),
    });
    this.socket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
    this.socket.on('message', (message, remote) => {
      if (this.closed) return;
      const now = performance.now();
      this.transport.receive(new Uint8Array(message.buffer, message.byteOffset, message.byteLength), { host: remote.address, port: remote.port }, now);
      this.step(now);
    });
    this.socket.on('error', () => {});
    this.socket.bind(0, host, () => this.resize(80, 24));
  }

  get screen(): Framebuffer {
    return this.transport.remote.framebuffer;
  }

  get text(): string {
    return screenText(this.screen);
  }

  type(text: string): void {
    this.input = this.input.append({ kind: 'keys', bytes: new TextEncoder().encode(text) });
    this.transport.setLocal(this.input, performance.now());
    this.step();
  }

  /**
   * Keys read one by one from the user's terminal (an event each) that leave in one state, as when they were typed
   * within one send interval or during an outage.
   */
  typeTogether(keys: readonly string[]): void {
    for (const key of keys) this.input = this.input.append({ kind: 'keys', bytes: new TextEncoder().encode(key) });
    this.transport.setLocal(this.input, performance.now());
    this.step();
  }

  resize(cols: number, rows: number): void {
    this.input = this.input.append({ kind: 'resize', cols, rows });
    this.transport.setLocal(this.input, performance.now());
    this.step();
  }

  /** Resolves once the screen satisfies `predicate`; fails with the last screen after WAIT_BOUND_MS. */
  waitForScreen(predicate: (text: string) => boolean, what: string): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const check = (): boolean => {
        if (!predicate(this.text)) return false;
        this.listeners.delete(listener);
        clearTimeout(bound);
        resolvePromise();
        return true;
      };
      const listener = (): void => void check();
      const bound = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}; screen:\n${this.text}`));
      }, WAIT_BOUND_MS);
      if (!check()) this.listeners.add(listener);
    });
  }

  /** Quits as the client's Ctrl-^ . does (the transport's shutdown); resolves once the server acknowledged it. */
  quit(): Promise<void> {
    this.transport.startShutdown(performance.now());
    this.step();
    return this.waitForTransport(() => this.transport.shutdownAcknowledged, 'the server to acknowledge the quit');
  }

  /** Resolves when the server has told us the session ended. */
  waitForShutdown(): Promise<void> {
    return this.waitForTransport(() => this.transport.counterpartyShutdown, 'the server to shut the session down');
  }

  /** Resolves once `holds` is true after a datagram or a step; fails after WAIT_BOUND_MS. */
  private waitForTransport(holds: () => boolean, what: string): Promise<void> {
    return new Promise((resolvePromise, reject) => {
      const listener = (): void => {
        if (!holds()) return;
        this.listeners.delete(listener);
        clearTimeout(bound);
        resolvePromise();
      };
      const bound = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`timed out waiting for ${what}`));
      }, WAIT_BOUND_MS);
      this.listeners.add(listener);
      listener();
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.socket.close();
  }

  private step(now: number = performance.now()): void {
    if (this.closed) return;
    for (const datagram of this.transport.tick(now)) {
      this.socket.send(datagram.bytes, datagram.to.port, datagram.to.host);
    }
    for (const listener of [...this.listeners]) listener();
    if (this.timer !== undefined) clearTimeout(this.timer);
    const delay = Math.max(0, Math.ceil(this.transport.nextWakeup(now) - now));
    this.timer = setTimeout(() => this.step(), Math.min(delay, 2 ** 31 - 1));
  }
}
