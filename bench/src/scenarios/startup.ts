/**
 * Start-up and the client's memory, beside mosh and ssh in the same run (issue 18):
 * - `… -- true` from start to exit: tsmosh --local with no daemon running and with one already running, mosh's own
 *   pieces as the --local peer (`mosh-server new -- true`, then `mosh-client` with its key), and through a throwaway
 *   sshd on 127.0.0.1: `tsmosh 127.0.0.1 -- true` (its server already installed there), `mosh 127.0.0.1 -- true`,
 *   `ssh 127.0.0.1 true`;
 * - the first frame of a new session: from start until the user's terminal shows the first line the session's
 *   program printed, and the client's resident memory half a second later (now and its peak, /proc/PID/status);
 * - many short sessions in a row, as mosh's own `repeat` test opens and closes them: total time for tsmosh --local
 *   and for mosh's pieces.
 * tsmosh runs as `npm install -g tsmosh` installs it (dist/tsmosh: the CLI and client in one file, the server
 * bundle beside it; `npm run build` makes it), and from the workspace's bins (a clone) for --local with no daemon.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ScreenProgram } from '../lossy/screen.js';
import { sessionEnvironment } from '../lossy/systems.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { LoopbackSshd, loopbackSshdAvailable } from '../startup/loopback-sshd.js';
import { holdDaemon, stopDaemon } from '../startup/local-daemon.js';
import { processMemory, type ProcessMemory } from '../startup/process-memory.js';
import { formatRatio, median } from '../stats.js';
import { hashbangNodeOptions } from '../node-options.js';
import { benchTempDir } from '../run-folder.js';

const run = promisify(execFile);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
/** The installed shape (scripts/build-bundles.mjs): what `npm install -g tsmosh` puts on a machine. */
const PACKED_CLI = join(ROOT, 'dist/tsmosh/dist/tsmosh.mjs');
const PACKED_SERVER = join(ROOT, 'dist/tsmosh/dist/server/tsmosh-server.mjs');
/** The workspace's bins (a clone of the repository after `npm run build`). */
const WORKSPACE_CLI = join(ROOT, 'packages/cli/bin/tsmosh.js');
const WORKSPACE_SERVER = join(ROOT, 'packages/server/bin/tsmosh-server.js');

/** Tries per measured row: quick 5, full 15; TSMOSH_BENCH_STARTUP_TRIES=N instead (1 for a check that it runs). */
const TRIES = { quick: 5, full: 15 } as const;
/**
 * Short sessions opened and closed in a row (mosh's `repeat` test runs its client in a loop the same way); with
 * TSMOSH_BENCH_STARTUP_TRIES, that many.
 */
const REPEAT_SESSIONS = 20;

function chosenTries(): number | undefined {
  const text = process.env.TSMOSH_BENCH_STARTUP_TRIES;
  if (text === undefined || text === '') return undefined;
  const tries = Number(text);
  if (!Number.isInteger(tries) || tries < 1) throw new Error(`startup: TSMOSH_BENCH_STARTUP_TRIES=${text}: expected a whole number of tries, 1 or more`);
  return tries;
}
/** What the first-frame run's program prints, then how long it stays (s) so the client's memory can be read. */
const MARK = 'startup-bench-mark';
const MARK_COMMAND = `echo ${MARK}; sleep 1`;
/** When the client's memory is read after the mark is on the screen (ms): the session is up and idle by then. */
const MEMORY_SAMPLE_DELAY_MS = 500;
/** A try that takes longer than this has failed (ms): a bound for a stuck run, not a speed claim. */
const TRY_TIMEOUT_MS = 60_000;

type SystemId = 'tsmosh-local-cold' | 'tsmosh-local-warm' | 'tsmosh-local-workspace' | 'mosh-local' | 'tsmosh-ssh' | 'mosh-ssh' | 'ssh' | 'bare-node';

const SYSTEM_LABELS: Readonly<Record<SystemId, string>> = {
  'tsmosh-local-cold': 'tsmosh --local, no daemon running',
  'tsmosh-local-warm': 'tsmosh --local, daemon already running',
  'tsmosh-local-workspace': 'tsmosh --local from the workspace bins, no daemon',
  'mosh-local': 'mosh-server new + mosh-client (mosh\'s --local peer)',
  'tsmosh-ssh': 'tsmosh 127.0.0.1 (server installed there, no daemon running)',
  'mosh-ssh': 'mosh 127.0.0.1',
  ssh: 'ssh 127.0.0.1',
  'bare-node': 'bare node, the client\'s V8 options (the runtime alone: memory only)',
};
/** The V8 options the tsmosh bin's #! line gives node (packages/cli/bin/tsmosh.js), for the bare-node reference. */
const CLIENT_NODE_OPTIONS = hashbangNodeOptions(WORKSPACE_CLI);
/** Systems measured only in the first-frame runs (the bare runtime is no session; the workspace row is one figure). */
const EXIT_ONLY: readonly SystemId[] = ['tsmosh-local-workspace'];
const FRAME_ONLY: readonly SystemId[] = ['bare-node'];

interface TrySample {
  readonly system: SystemId;
  readonly kind: 'exit' | 'first-frame';
  /** Start to exit (ms). */
  readonly exitMs: number;
  /** Start to the program's first line on the user's screen (ms); first-frame tries only. */
  readonly firstFrameMs?: number;
  /** The client process's memory MEMORY_SAMPLE_DELAY_MS after the first frame; first-frame tries only. */
  readonly clientMemory?: ProcessMemory;
}

interface RepeatSample {
  readonly system: 'tsmosh-local' | 'mosh-local';
  readonly sessions: number;
  readonly totalMs: number;
}

/** One program in a pty, as the user starts it: how long until it exits and, if asked, until `MARK` shows. */
async function timeProgram(file: string, args: readonly string[], env: Record<string, string>, startedAt: number, watchMark: boolean): Promise<Omit<TrySample, 'system' | 'kind'>> {
  const program = new ScreenProgram({ file, args, env });
  const timer = setTimeout(() => program.kill(), TRY_TIMEOUT_MS);
  try {
    let firstFrameMs: number | undefined;
    let clientMemory: ProcessMemory | undefined;
    if (watchMark) {
      const at = await program.waitFor((screen) => screen.rows.some((row) => row.includes(MARK)), TRY_TIMEOUT_MS);
      if (at === undefined) throw new Error(`startup: ${file} ${args.join(' ')} never showed its program's output: ${program.recentOutput.slice(-300)}`);
      firstFrameMs = at - startedAt;
      await new Promise((r) => setTimeout(r, MEMORY_SAMPLE_DELAY_MS));
      clientMemory = processMemory(program.pid);
    }
    const status = await program.exited;
    const exitMs = performance.now() - startedAt;
    if (status !== 0) throw new Error(`startup: ${file} ${args.join(' ')} exited ${status}: ${program.recentOutput.slice(-300)}`);
    return { exitMs, ...(firstFrameMs === undefined ? {} : { firstFrameMs }), ...(clientMemory === undefined ? {} : { clientMemory }) };
  } finally {
    clearTimeout(timer);
    if (program.running) program.kill();
  }
}

/** mosh's local pieces: `mosh-server new -- COMMAND` prints its port and key, then mosh-client connects with them. */
async function moshLocal(command: readonly string[], env: Record<string, string>, watchMark: boolean): Promise<Omit<TrySample, 'system' | 'kind'>> {
  const startedAt = performance.now();
  const { stdout } = await run('mosh-server', ['new', '-i', '127.0.0.1', '--', ...command], { env, timeout: TRY_TIMEOUT_MS });
  const connect = /MOSH CONNECT (\d+) (\S+)/.exec(stdout);
  if (connect === null) throw new Error(`startup: mosh-server new printed no MOSH CONNECT line: ${stdout}`);
  return timeProgram('mosh-client', ['127.0.0.1', connect[1]!], { ...env, MOSH_KEY: connect[2]! }, startedAt, watchMark);
}

export const startup: Scenario = {
  name: 'startup',
  title: 'Start-up: a short session from start to exit, the first frame, many sessions in a row, the client\'s memory',
  async run(context: BenchContext): Promise<ScenarioResult> {
    for (const file of [PACKED_CLI, PACKED_SERVER, WORKSPACE_CLI]) {
      if (!existsSync(file)) throw new Error(`startup: ${file} is missing; run \`npm run build\` first (it makes the installed shape in dist/tsmosh)`);
    }
    if (!loopbackSshdAvailable()) throw new Error('startup: needs root and /usr/sbin/sshd (apt-get install openssh-server) for the runs over SSH');
    const tries = chosenTries() ?? TRIES[context.mode];
    const repeatSessions = chosenTries() ?? REPEAT_SESSIONS;
    const scratch = benchTempDir('tsmosh-bench-startup-');
    const clientHome = join(scratch, 'client-home');
    mkdirSync(join(clientHome, '.ssh'), { recursive: true, mode: 0o700 });
    // The host's PATH: node and the system (mosh-server), never this checkout's bins, so tsmosh installs itself there.
    const hostBin = join(scratch, 'host-bin');
    mkdirSync(hostBin);
    symlinkSync(process.execPath, join(hostBin, 'node'));
    const hostRun = join(scratch, 'host-run');
    const sshd = new LoopbackSshd({ PATH: `${hostBin}:/usr/bin:/bin`, XDG_DATA_HOME: join(scratch, 'host-data'), TSMOSH_RUNTIME_DIR: hostRun });
    const localRuns: string[] = [];
    const localRun = (name: string): string => {
      const dir = join(scratch, name);
      localRuns.push(dir);
      return dir;
    };
    const warmRun = localRun('run-warm');
    const env = (runtimeDir: string): Record<string, string> => sessionEnvironment({ HOME: clientHome, TSMOSH_RUNTIME_DIR: runtimeDir });
    const samples: TrySample[] = [];
    const repeats: RepeatSample[] = [];
    try {
      await sshd.start();
      copyFileSync(sshd.clientConfig, join(clientHome, '.ssh', 'config'));
      const sshCommand = `ssh -F ${sshd.clientConfig}`;
      const hostEnv = env(join(scratch, 'unused-run'));
      // The first connect installs tsmosh's server on the "host" (the first-connect scenario measures that); every
      // timed connect below reuses the install, as every connect after a host's first does.
      await timeProgram(PACKED_CLI, ['127.0.0.1', '--', 'true'], hostEnv, performance.now(), false);
      await holdDaemon(PACKED_SERVER, warmRun, env(warmRun));

      let coldCount = 0;
      const once = async (system: SystemId, watchMark: boolean): Promise<Omit<TrySample, 'system' | 'kind'>> => {
        const command = watchMark ? ['sh', '-c', MARK_COMMAND] : ['true'];
        switch (system) {
          case 'tsmosh-local-cold':
          case 'tsmosh-local-workspace': {
            // A folder no daemon has used: nothing runs there, whatever the daemon's rule for exiting.
            const dir = localRun(`run-cold-${coldCount++}`);
            const [cli, server] = system === 'tsmosh-local-cold' ? [PACKED_CLI, PACKED_SERVER] : [WORKSPACE_CLI, WORKSPACE_SERVER];
            try {
              return await timeProgram(cli, ['--local', '--', ...command], env(dir), performance.now(), watchMark);
            } finally {
              await stopDaemon(server, dir, env(dir));
            }
          }
          case 'tsmosh-local-warm':
            return timeProgram(PACKED_CLI, ['--local', '--', ...command], env(warmRun), performance.now(), watchMark);
          case 'mosh-local':
            return moshLocal(command, env(warmRun), watchMark);
          case 'tsmosh-ssh':
            // The host's first session in a while: no daemon of an earlier try still lingers there.
            await stopDaemon(PACKED_SERVER, hostRun, env(hostRun));
            return timeProgram(PACKED_CLI, ['127.0.0.1', '--', ...command], hostEnv, performance.now(), watchMark);
          case 'mosh-ssh':
            return timeProgram('mosh', [`--ssh=${sshCommand}`, '127.0.0.1', '--', ...command], hostEnv, performance.now(), watchMark);
          case 'bare-node':
            return timeProgram(process.execPath, [...CLIENT_NODE_OPTIONS, '-e', `console.log('${MARK}'); setTimeout(() => {}, 1000)`], hostEnv, performance.now(), watchMark);
          case 'ssh':
            // `ssh host true` as typed; the first-frame run asks for a terminal as an interactive login has one.
            return timeProgram('ssh', ['-F', sshd.clientConfig, ...(watchMark ? ['-t', '127.0.0.1', MARK_COMMAND] : ['127.0.0.1', 'true'])], hostEnv, performance.now(), watchMark);
        }
      };

      const systems = Object.keys(SYSTEM_LABELS) as SystemId[];
      // Interleaved (one try of each system per round), so a burst of load on the shared machine hits all alike.
      for (const kind of ['exit', 'first-frame'] as const) {
        for (let round = 0; round < tries; round++) {
          for (const system of systems) {
            if ((kind === 'first-frame' ? EXIT_ONLY : FRAME_ONLY).includes(system)) continue;
            const sample = { system, kind, ...(await once(system, kind === 'first-frame')) };
            samples.push(sample);
            const memory = sample.clientMemory === undefined ? '' : `, client ${Math.round(sample.clientMemory.rssKiB / 1024)} MB (peak ${Math.round(sample.clientMemory.peakKiB / 1024)} MB, private ${Math.round((sample.clientMemory.privateKiB ?? NaN) / 1024)} MB)`;
            context.log(`${kind} ${system}: ${Math.round(sample.exitMs)} ms to exit${sample.firstFrameMs === undefined ? '' : `, first frame ${Math.round(sample.firstFrameMs)} ms`}${memory}`);
          }
        }
      }

      // Many short sessions in a row, each started as soon as the last ended (the daemon's rule decides whether one
      // runs between them, as it would for a user).
      const repeatRun = localRun('run-repeat');
      for (const system of ['mosh-local', 'tsmosh-local'] as const) {
        const started = performance.now();
        for (let i = 0; i < repeatSessions; i++) {
          if (system === 'mosh-local') await moshLocal(['true'], env(repeatRun), false);
          else await timeProgram(PACKED_CLI, ['--local', '--', 'true'], env(repeatRun), performance.now(), false);
        }
        repeats.push({ system, sessions: repeatSessions, totalMs: performance.now() - started });
        context.log(`repeat ${system}: ${repeatSessions} sessions in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      }
    } finally {
      for (const dir of localRuns) await stopDaemon(PACKED_SERVER, dir, env(dir));
      await stopDaemon(PACKED_SERVER, hostRun, env(hostRun));
      await sshd.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
    return summarize(samples, repeats, tries, repeatSessions);
  },
};

function summarize(samples: readonly TrySample[], repeats: readonly RepeatSample[], tries: number, repeatSessions: number): ScenarioResult {
  const pick = (system: SystemId, kind: TrySample['kind'], value: (s: TrySample) => number | undefined): number[] =>
    samples.filter((s) => s.system === system && s.kind === kind).flatMap((s) => {
      const v = value(s);
      return v === undefined ? [] : [v];
    });
  const ms = (values: readonly number[]): string => `${Math.round(median(values))} ms`;
  const range = (values: readonly number[], scale = 1, unit = ' ms'): string => `${Math.round(Math.min(...values) / scale)}–${Math.round(Math.max(...values) / scale)}${unit}`;
  const peer = (system: SystemId): SystemId | undefined => (system.startsWith('tsmosh-local') ? 'mosh-local' : system === 'tsmosh-ssh' ? 'mosh-ssh' : undefined);
  const ratio = (system: SystemId, kind: TrySample['kind'], value: (s: TrySample) => number | undefined): string => {
    const other = peer(system);
    return other === undefined ? '' : formatRatio(median(pick(system, kind, value)), median(pick(other, kind, value)));
  };
  const systems = Object.keys(SYSTEM_LABELS) as SystemId[];
  const exitMs = (s: TrySample): number => s.exitMs;
  const frameMs = (s: TrySample): number | undefined => s.firstFrameMs;
  const rss = (s: TrySample): number | undefined => s.clientMemory?.rssKiB;
  const peak = (s: TrySample): number | undefined => s.clientMemory?.peakKiB;
  const mb = (kib: readonly number[]): string => `${(median(kib) / 1024).toFixed(1)} MB`;

  const exitTable: Table = {
    caption: `\`… -- true\` from start to exit, ${tries} tries each, interleaved (ratio: tsmosh's median over mosh's, the --local rows against mosh's local pieces)`,
    columns: ['system', 'median', 'range', '× mosh'],
    rows: systems.filter((s) => !FRAME_ONLY.includes(s)).map((system) => {
      const values = pick(system, 'exit', exitMs);
      return [SYSTEM_LABELS[system], ms(values), range(values), ratio(system, 'exit', exitMs)];
    }),
  };
  const frameSystems = systems.filter((s) => !EXIT_ONLY.includes(s));
  const own = (s: TrySample): number | undefined => s.clientMemory?.privateKiB;
  const frameTable: Table = {
    caption: `The first frame of a new session: start until the program's first line (\`${MARK_COMMAND}\`) is on the user's screen, and the client process's memory ${MEMORY_SAMPLE_DELAY_MS} ms later (/proc/PID/status VmRSS; peak: VmHWM; own: the private pages of smaps_rollup, the rest being shared, for node mostly its binary), ${tries} tries each`,
    columns: ['system', 'first frame (median)', 'range', '× mosh', 'client resident', 'client peak', 'peak × mosh', 'client own', 'own × mosh'],
    rows: frameSystems.map((system) => {
      const frames = pick(system, 'first-frame', frameMs);
      const isRuntime = system === 'bare-node';
      return [
        SYSTEM_LABELS[system],
        isRuntime ? '' : ms(frames),
        isRuntime ? '' : range(frames),
        isRuntime ? '' : ratio(system, 'first-frame', frameMs),
        mb(pick(system, 'first-frame', rss)),
        mb(pick(system, 'first-frame', peak)),
        ratio(system, 'first-frame', peak),
        mb(pick(system, 'first-frame', own)),
        ratio(system, 'first-frame', own),
      ];
    }),
  };
  const repeatTotal = (system: RepeatSample['system']): number => repeats.find((r) => r.system === system)?.totalMs ?? NaN;
  const repeatTable: Table = {
    caption: `${repeatSessions} short sessions (\`-- true\`) opened and closed in a row, as mosh's \`repeat\` test does`,
    columns: ['system', 'total', 'per session', '× mosh'],
    rows: (['tsmosh-local', 'mosh-local'] as const).map((system) => [
      system === 'tsmosh-local' ? 'tsmosh --local' : 'mosh-server new + mosh-client',
      `${(repeatTotal(system) / 1000).toFixed(1)} s`,
      `${Math.round(repeatTotal(system) / repeatSessions)} ms`,
      system === 'tsmosh-local' ? formatRatio(repeatTotal('tsmosh-local'), repeatTotal('mosh-local')) : '',
    ]),
  };
  const coldLocal = median(pick('tsmosh-local-cold', 'exit', exitMs));
  const moshLocalMs = median(pick('mosh-local', 'exit', exitMs));
  return {
    notes: [
      `A short local session takes tsmosh ${Math.round(coldLocal)} ms with no daemon running against ${Math.round(moshLocalMs)} ms for mosh's pieces (${formatRatio(coldLocal, moshLocalMs)}); over SSH on loopback tsmosh takes ${ms(pick('tsmosh-ssh', 'exit', exitMs))}, mosh ${ms(pick('mosh-ssh', 'exit', exitMs))}, ssh ${ms(pick('ssh', 'exit', exitMs))}.`,
      `The client's peak resident memory: tsmosh --local ${mb(pick('tsmosh-local-cold', 'first-frame', peak))}, tsmosh over SSH ${mb(pick('tsmosh-ssh', 'first-frame', peak))}, mosh-client ${mb(pick('mosh-local', 'first-frame', peak))}, ssh ${mb(pick('ssh', 'first-frame', peak))}; a bare node with the same options ${mb(pick('bare-node', 'first-frame', peak))}. Its own pages (not shared with other processes): tsmosh --local ${mb(pick('tsmosh-local-cold', 'first-frame', own))}, mosh-client ${mb(pick('mosh-local', 'first-frame', own))}, bare node ${mb(pick('bare-node', 'first-frame', own))}.`,
    ],
    tables: [exitTable, frameTable, repeatTable],
    data: { tries, repeatSessions, samples, repeats },
  };
}
