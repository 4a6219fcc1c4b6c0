/**
 * What hosting sessions costs the host (issue 8): the real `tsmosh-server daemon` process, real ptys, real clients
 * (`connect()` from @tsmosh/client, in this process) over loopback UDP. Measured from /proc (Linux): the daemon's
 * resident memory with 1 and with 20 idle sessions (each with its client attached), its CPU time while all 20 sit
 * idle (it should sleep between heartbeats, not poll), its CPU time to push `seq 1 300000` to one client, and its peak
 * resident memory (VmHWM) by the end of that flood, the figure the lossy-link benchmark compares with mosh-server's.
 * The daemon runs with the node options `tsmosh-server new` gives it (DAEMON_NODE_OPTIONS); to measure it with
 * others, set TSMOSH_BENCH_DAEMON_NODE_OPTIONS (space-separated; empty for node's defaults).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_OPTIONS } from '@tsmosh/server';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SERVER_BIN = join(ROOT, 'packages/server/bin/tsmosh-server.js');

/** Idle sessions in the larger set: the "20 sessions on one daemon port". */
const MANY_SESSIONS = 20;
/** How long the idle CPU is sampled (ms): three heartbeat periods (3 s) and more, so each session wakes several times. */
const IDLE_SAMPLE_MS = { quick: 10_000, full: 30_000 } as const;
/** Runs of the flood; the quick pass makes one. */
const FLOOD_RUNS = { quick: 1, full: 3 } as const;
/** Settling time before a memory reading (ms): lets the attach traffic and the first frames finish. */
const SETTLE_MS = 2_000;
/** Upper bound on any wait (ms): a hang detector on a loaded machine, not a measurement. */
const WAIT_BOUND_MS = 60_000;
const FLOOD_LINES = 300_000;
const DONE_MARK = 'FLOOD-DONE';

/** The few members of @tsmosh/client this scenario uses (loaded at run time: bench does not build against client). */
interface ClientModule {
  connect(init: { host: string; port: number; key: string; cols: number; rows: number }): ClientHandle;
}
interface ClientHandle {
  readonly screen: { lines: ReadonlyArray<{ cells: ReadonlyArray<{ text: string }> }> };
  on(event: 'screen', listener: () => void): void;
  write(bytes: string): void;
  close(): Promise<unknown>;
}

function clockTicksPerSecond(): number {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
}

/** utime + stime of a process (ms), from /proc/<pid>/stat. */
function cpuMs(pid: number, ticksPerSecond: number): number {
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
function memoryMiB(pid: number): { rss: number; anonymous: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : NaN;
  };
  return { rss: field('VmRSS'), anonymous: field('RssAnon'), peak: field('VmHWM') };
}

/** The daemon's node options: DAEMON_NODE_OPTIONS unless TSMOSH_BENCH_DAEMON_NODE_OPTIONS says otherwise. */
function daemonNodeOptions(): string[] {
  const override = process.env['TSMOSH_BENCH_DAEMON_NODE_OPTIONS'];
  return override === undefined ? [...DAEMON_NODE_OPTIONS] : override.split(/\s+/).filter((option) => option !== '');
}

function screenText(client: ClientHandle): string {
  return client.screen.lines.map((row) => row.cells.map((cell) => cell.text || ' ').join('')).join('\n');
}

function waitForScreen(client: ClientHandle, test: (text: string) => boolean, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (test(screenText(client))) return resolve();
    const bound = setTimeout(() => reject(new Error(`daemon-cost: timed out waiting for ${what}`)), WAIT_BOUND_MS);
    client.on('screen', () => {
      if (test(screenText(client))) {
        clearTimeout(bound);
        resolve();
      }
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const daemonCost: Scenario = {
  name: 'daemon-cost',
  title: 'Daemon cost: memory per session, idle CPU, CPU to push a flood',
  async run(context: BenchContext): Promise<ScenarioResult> {
    if (process.platform !== 'linux') throw new Error('daemon-cost reads /proc: run it on Linux');
    const { connect } = (await import('@tsmosh/' + 'client')) as ClientModule;
    const ticks = clockTicksPerSecond();
    const runtimeParent = mkdtempSync(join(tmpdir(), 'tsm-bench-'));
    const env: NodeJS.ProcessEnv = { ...process.env, TSMOSH_RUNTIME_DIR: join(runtimeParent, 'rt'), LANG: 'C.UTF-8', SHELL: '/bin/sh' };
    let daemon: ChildProcess | undefined;
    const clients: ClientHandle[] = [];
    const server = (args: string[]): string =>
      execFileSync(process.execPath, [SERVER_BIN, ...args], { env, encoding: 'utf8', timeout: WAIT_BOUND_MS, stdio: ['ignore', 'pipe', 'pipe'] });
    const newSession = (name: string, command: string[]): { port: number; key: string } => {
      const match = /^TSMOSH CONNECT (\d+) (\S+)$/m.exec(server(['new', '--name', name, '-p', '0', '--', ...command]));
      if (match === null) throw new Error('daemon-cost: tsmosh-server new printed no CONNECT line');
      return { port: Number(match[1]), key: match[2]! };
    };
    const attachClient = async (target: { port: number; key: string }, ready: (text: string) => boolean, what: string): Promise<ClientHandle> => {
      const client = connect({ host: '127.0.0.1', port: target.port, key: target.key, cols: 80, rows: 24 });
      clients.push(client);
      await waitForScreen(client, ready, what);
      return client;
    };
    try {
      const nodeOptions = daemonNodeOptions();
      context.log(`daemon node options: ${nodeOptions.join(' ') || '(none)'}`);
      daemon = spawn(process.execPath, [...nodeOptions, SERVER_BIN, 'daemon'], { env, stdio: 'ignore' });
      const pid = daemon.pid!;
      for (let tries = 0; ; tries++) {
        try {
          server(['status']);
          break;
        } catch {
          if (tries > 400) throw new Error('daemon-cost: the daemon did not start');
          await sleep(25);
        }
      }
      const base = memoryMiB(pid);
      const idleCommand = ['sh', '-c', 'echo idle-ready; exec cat'];
      context.log('one idle session');
      await attachClient(newSession('idle-0', idleCommand), (text) => text.includes('idle-ready'), 'session 0');
      await sleep(SETTLE_MS);
      const one = memoryMiB(pid);
      context.log(`${MANY_SESSIONS} idle sessions`);
      for (let index = 1; index < MANY_SESSIONS; index++) {
        await attachClient(newSession(`idle-${index}`, idleCommand), (text) => text.includes('idle-ready'), `session ${index}`);
      }
      await sleep(SETTLE_MS);
      const many = memoryMiB(pid);

      const idleMs = IDLE_SAMPLE_MS[context.mode];
      context.log(`idle CPU over ${idleMs / 1000} s`);
      const idleStart = cpuMs(pid, ticks);
      await sleep(idleMs);
      const idleCpuMs = cpuMs(pid, ticks) - idleStart;

      const floods: { cpuMs: number; wallMs: number }[] = [];
      for (let run = 0; run < FLOOD_RUNS[context.mode]; run++) {
        context.log(`flood run ${run + 1}: seq 1 ${FLOOD_LINES}`);
        // The mark is printed with printf so the command line itself never shows it.
        const target = newSession(`flood-${run}`, ['sh', '-c', `echo flood-ready; read x; seq 1 ${FLOOD_LINES}; printf '%s-%s\\n' FLOOD DONE; exec cat`]);
        const client = await attachClient(target, (text) => text.includes('flood-ready'), 'the flood session');
        await sleep(SETTLE_MS);
        const cpuBefore = cpuMs(pid, ticks);
        const started = performance.now();
        client.write('\r');
        await waitForScreen(client, (text) => text.includes(DONE_MARK), 'the end of the flood');
        floods.push({ cpuMs: cpuMs(pid, ticks) - cpuBefore, wallMs: performance.now() - started });
        server(['kill', `flood-${run}`]);
      }
      const peakRss = memoryMiB(pid).peak;

      const perSession = (many.rss - one.rss) / (MANY_SESSIONS - 1);
      const idleCpuPercent = (idleCpuMs / idleMs) * 100;
      const floodCpu = floods.map((flood) => flood.cpuMs).sort((a, b) => a - b)[Math.floor(floods.length / 2)]!;
      const floodWall = floods.map((flood) => flood.wallMs).sort((a, b) => a - b)[Math.floor(floods.length / 2)]!;
      return {
        notes: [
          `Each idle session (a pty, its headless mirror, its transport, an attached client) adds about ${perSession.toFixed(1)} MiB to the daemon's resident memory.`,
          `With ${MANY_SESSIONS} idle sessions attached, the daemon used ${idleCpuMs.toFixed(0)} ms of CPU in ${idleMs / 1000} s (${idleCpuPercent.toFixed(2)} %): heartbeats every 3 s per session, no polling.`,
          `Pushing \`seq 1 ${FLOOD_LINES}\` through to a client cost the daemon ${floodCpu.toFixed(0)} ms of CPU over ${(floodWall / 1000).toFixed(1)} s of wall time (median of ${floods.length}): parsing the output in the headless mirror, snapshots and diffs; intermediate screens are skipped, not sent.`,
          `Peak resident memory (VmHWM) by the end of the flood${floods.length > 1 ? 's' : ''}: ${peakRss.toFixed(1)} MiB, with the ${MANY_SESSIONS} idle sessions still open. Daemon node options: ${nodeOptions.join(' ') || '(none)'}.`,
          'Linux only (reads /proc). CPU is utime + stime of the daemon process alone: the client runs in the benchmark process.',
        ],
        tables: [
          {
            caption: 'Daemon resident memory (VmRSS; anonymous = RssAnon, the part not shared with other node processes)',
            columns: ['sessions (idle, client attached)', 'RSS (MiB)', 'anonymous (MiB)', 'per session (MiB)'],
            rows: [
              ['0 (just started)', base.rss.toFixed(1), base.anonymous.toFixed(1), '—'],
              ['1', one.rss.toFixed(1), one.anonymous.toFixed(1), '—'],
              [String(MANY_SESSIONS), many.rss.toFixed(1), many.anonymous.toFixed(1), perSession.toFixed(1)],
              [`${MANY_SESSIONS}, peak by the end of \`seq 1 ${FLOOD_LINES}\` (VmHWM)`, peakRss.toFixed(1), '—', '—'],
            ],
          },
          {
            caption: 'Daemon CPU time',
            columns: ['workload', 'CPU (ms)', 'wall (s)', 'CPU share'],
            rows: [
              [`${MANY_SESSIONS} idle sessions`, idleCpuMs.toFixed(0), (idleMs / 1000).toFixed(0), `${idleCpuPercent.toFixed(2)} %`],
              [`seq 1 ${FLOOD_LINES} to one client`, floodCpu.toFixed(0), (floodWall / 1000).toFixed(1), `${((floodCpu / floodWall) * 100).toFixed(0)} %`],
            ],
          },
        ],
        data: { nodeOptions, baseRssMiB: base.rss, oneRssMiB: one.rss, manyRssMiB: many.rss, baseAnonMiB: base.anonymous, oneAnonMiB: one.anonymous, manyAnonMiB: many.anonymous, peakRssMiB: peakRss, sessions: MANY_SESSIONS, idleMs, idleCpuMs, floods, clockTicksPerSecond: ticks },
      };
    } finally {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      if (daemon !== undefined && daemon.exitCode === null) {
        daemon.kill('SIGTERM');
        await new Promise((resolve) => {
          const bound = setTimeout(() => {
            daemon?.kill('SIGKILL');
            resolve(undefined);
          }, WAIT_BOUND_MS);
          daemon!.once('exit', () => {
            clearTimeout(bound);
            resolve(undefined);
          });
        });
      }
      rmSync(runtimeParent, { recursive: true, force: true });
    }
  },
};
