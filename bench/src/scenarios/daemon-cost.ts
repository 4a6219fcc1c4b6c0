/**
 * What hosting sessions costs the host (issue 8): the real `tsmosh-server daemon` process, real ptys, real clients
 * (`connect()` from @tsmosh/client, in this process) over loopback UDP. Measured from /proc (Linux): the daemon's
 * resident memory with 1 and with 20 idle sessions (each with its client attached), its CPU time while all 20 sit
 * idle (it should sleep between heartbeats, not poll), and its CPU time to push `seq 1 300000` to one client.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

/** Resident set size (MiB), from /proc/<pid>/status. */
function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
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
      daemon = spawn(process.execPath, [SERVER_BIN, 'daemon'], { env, stdio: 'ignore' });
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
      const baseRss = rssMiB(pid);
      const idleCommand = ['sh', '-c', 'echo idle-ready; exec cat'];
      context.log('one idle session');
      await attachClient(newSession('idle-0', idleCommand), (text) => text.includes('idle-ready'), 'session 0');
      await sleep(SETTLE_MS);
      const oneRss = rssMiB(pid);
      context.log(`${MANY_SESSIONS} idle sessions`);
      for (let index = 1; index < MANY_SESSIONS; index++) {
        await attachClient(newSession(`idle-${index}`, idleCommand), (text) => text.includes('idle-ready'), `session ${index}`);
      }
      await sleep(SETTLE_MS);
      const manyRss = rssMiB(pid);

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

      const perSession = (manyRss - oneRss) / (MANY_SESSIONS - 1);
      const idleCpuPercent = (idleCpuMs / idleMs) * 100;
      const floodCpu = floods.map((flood) => flood.cpuMs).sort((a, b) => a - b)[Math.floor(floods.length / 2)]!;
      const floodWall = floods.map((flood) => flood.wallMs).sort((a, b) => a - b)[Math.floor(floods.length / 2)]!;
      return {
        notes: [
          `Each idle session (a pty, its headless mirror, its transport, an attached client) adds about ${perSession.toFixed(1)} MiB to the daemon's resident memory.`,
          `With ${MANY_SESSIONS} idle sessions attached, the daemon used ${idleCpuMs.toFixed(0)} ms of CPU in ${idleMs / 1000} s (${idleCpuPercent.toFixed(2)} %): heartbeats every 3 s per session, no polling.`,
          `Pushing \`seq 1 ${FLOOD_LINES}\` through to a client cost the daemon ${floodCpu.toFixed(0)} ms of CPU over ${(floodWall / 1000).toFixed(1)} s of wall time (median of ${floods.length}): parsing the output in the headless mirror, snapshots and diffs; intermediate screens are skipped, not sent.`,
          'Linux only (reads /proc). CPU is utime + stime of the daemon process alone: the client runs in the benchmark process.',
        ],
        tables: [
          {
            caption: 'Daemon resident memory (VmRSS)',
            columns: ['sessions (idle, client attached)', 'RSS (MiB)', 'per session (MiB)'],
            rows: [
              ['0 (just started)', baseRss.toFixed(1), '—'],
              ['1', oneRss.toFixed(1), '—'],
              [String(MANY_SESSIONS), manyRss.toFixed(1), perSession.toFixed(1)],
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
        data: { baseRssMiB: baseRss, oneRssMiB: oneRss, manyRssMiB: manyRss, sessions: MANY_SESSIONS, idleMs, idleCpuMs, floods, clockTicksPerSecond: ticks },
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
