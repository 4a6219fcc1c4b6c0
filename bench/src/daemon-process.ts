/**
 * A real `tsmosh-server daemon` for benchmarks that measure the daemon itself (daemon-cost, hostile-neighbour): started
 * with the node options `tsmosh-server new` gives it, in a private runtime folder, with sessions made through the
 * server bin and clients attached in this process through @tsmosh/client's `connect()`. Also /proc readings of a
 * process's CPU time and memory. Linux only.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_OPTIONS } from '@tsmosh/server';
import { benchTempDir } from './run-folder.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const SERVER_BIN = join(ROOT, 'packages/server/bin/tsmosh-server.js');

/** Upper bound on any wait (ms): a hang detector on a loaded machine, not a measurement. */
export const WAIT_BOUND_MS = 60_000;

/** The few members of @tsmosh/client these scenarios use (loaded at run time: bench does not build against client). */
export interface ClientModule {
  connect(init: { host: string; port: number; key: string; cols: number; rows: number }): ClientHandle;
}
export interface ClientHandle {
  readonly screen: { lines: ReadonlyArray<{ cells: ReadonlyArray<{ text: string }> }> };
  on(event: 'screen', listener: () => void): void;
  off(event: 'screen', listener: () => void): void;
  write(bytes: string): void;
  close(): Promise<unknown>;
}

export function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process (ms), from /proc/<pid>/stat. */
export function cpuMs(pid: number, ticksPerSecond: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / ticksPerSecond;
}

/**
 * Memory figures (MiB) from /proc/<pid>/status: resident (VmRSS), its anonymous part (RssAnon: the heap and other
 * private memory; the rest is mostly the node binary's pages, shared with every process running the same binary),
 * and the peak resident size since start (VmHWM).
 */
export function memoryMiB(pid: number): { rss: number; anonymous: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  };
  return { rss: field('VmRSS'), anonymous: field('RssAnon'), peak: field('VmHWM') };
}

/** The daemon's node options: DAEMON_NODE_OPTIONS unless TSMOSH_BENCH_DAEMON_NODE_OPTIONS says otherwise. */
export function daemonNodeOptions(): string[] {
  const override = process.env['TSMOSH_BENCH_DAEMON_NODE_OPTIONS'];
  return override === undefined ? [...DAEMON_NODE_OPTIONS] : override.split(/\s+/).filter((option) => option !== '');
}

export function screenText(client: ClientHandle): string {
  return client.screen.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('')).join('\n');
}

export function waitForScreen(client: ClientHandle, test: (text: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!test(screenText(client))) return;
      client.off('screen', check);
      clearTimeout(bound);
      resolve();
    };
    const bound = setTimeout(() => {
      client.off('screen', check);
      reject(new Error(`bench: timed out waiting for ${what}`));
    }, WAIT_BOUND_MS);
    client.on('screen', check);
    check();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface BenchDaemon {
  readonly pid: number;
  readonly nodeOptions: readonly string[];
  /** Runs the server bin with `args` against this daemon; its stdout. */
  server(args: string[]): string;
  /** A named session running `command`; where and how to connect. */
  newSession(name: string, command: string[]): { port: number; key: string };
  /** A client in this process attached to `target`, once `ready` holds for its screen. */
  attach(target: { port: number; key: string }, ready: (text: string) => boolean, what: string): Promise<ClientHandle>;
  stop(): Promise<void>;
}

export async function startBenchDaemon(): Promise<BenchDaemon> {
  if (process.platform !== 'linux') throw new Error('bench: the daemon scenarios read /proc: run them on Linux');
  const { connect } = (await import('@tsmosh/' + 'client')) as ClientModule;
  const runtimeParent = benchTempDir('tsm-bench-');
  const env: NodeJS.ProcessEnv = { ...process.env, TSMOSH_RUNTIME_DIR: join(runtimeParent, 'rt'), TSMOSH_STATE_DIR: join(runtimeParent, 'state'), LANG: 'C.UTF-8', SHELL: '/bin/sh' };
  const clients: ClientHandle[] = [];
  const nodeOptions = daemonNodeOptions();
  const server = (args: string[]): string =>
    execFileSync(process.execPath, [SERVER_BIN, ...args], { env, encoding: 'utf8', timeout: WAIT_BOUND_MS, stdio: ['ignore', 'pipe', 'pipe'] });
  const daemon: ChildProcess = spawn(process.execPath, [...nodeOptions, SERVER_BIN, 'daemon'], { env, stdio: 'ignore' });
  for (let tries = 0; ; tries++) {
    try {
      server(['status']);
      break;
    } catch {
      if (tries > 400) throw new Error('bench: the daemon did not start');
      await sleep(25);
    }
  }
  return {
    pid: daemon.pid!,
    nodeOptions,
    server,
    newSession(name, command) {
      const match = /^TSMOSH CONNECT (\d+) (\S+)$/m.exec(server(['new', '--name', name, '-p', '0', '--', ...command]));
      if (match === null) throw new Error('bench: tsmosh-server new printed no CONNECT line');
      return { port: Number(match[1]), key: match[2]! };
    },
    async attach(target, ready, what) {
      const client = connect({ host: '127.0.0.1', port: target.port, key: target.key, cols: 80, rows: 24 });
      clients.push(client);
      await waitForScreen(client, ready, what);
      return client;
    },
    async stop() {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      if (daemon.exitCode === null) {
        daemon.kill('SIGTERM');
        await new Promise((resolve) => {
          const bound = setTimeout(() => {
            daemon.kill('SIGKILL');
            resolve(undefined);
          }, WAIT_BOUND_MS);
          daemon.once('exit', () => {
            clearTimeout(bound);
            resolve(undefined);
          });
        });
      }
      rmSync(runtimeParent, { recursive: true, force: true });
    },
  };
}
