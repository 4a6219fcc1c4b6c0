/**
 * The client's own memory beside mosh-client's (issue 18), at start and after output has gone through it: the
 * start-up scenario reads it half a second after a session's first frame, when a Node client has done little; a
 * session that has shown a flood has a heap that has grown, and what V8 gives back afterwards decides what the
 * client keeps for the rest of the session. Per try, interleaved (a burst of load hits all alike):
 * - tsmosh --local in its installed shape (dist/tsmosh, run as its #! line says), and mosh-server new + mosh-client;
 * - `start`: the program prints a line; the client measured MEMORY_SAMPLE_DELAY_MS after it is on screen;
 * - `flood`: the program prints FLOOD_LINES lines, then a line; measured MEMORY_SAMPLE_DELAY_MS after that line is
 *   on screen, and again AFTER_FLOOD_MS later with nothing printed meanwhile;
 * - a bare node with the client's options, at start: the runtime's floor.
 * Own pages: the private pages of /proc/PID/smaps_rollup (the rest being shared, for node mostly its binary).
 */
import { execFile } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ScreenProgram } from '../lossy/screen.js';
import { sessionEnvironment } from '../lossy/systems.js';
import { hashbangNodeOptions } from '../node-options.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { stopDaemon } from '../startup/local-daemon.js';
import { processMemory, type ProcessMemory } from '../startup/process-memory.js';
import { median } from '../stats.js';
import { benchTempDir } from '../run-folder.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PACKED_CLI = join(ROOT, 'dist/tsmosh/dist/tsmosh.mjs');
const PACKED_SERVER = join(ROOT, 'dist/tsmosh/dist/server/tsmosh-server.mjs');
const MARK = 'client-memory-mark';
/** Lines of the flood: enough that the client's heap grows well past its start (a few hundred screens of output). */
const FLOOD_LINES = 30_000;
/** After the mark is on screen (ms): the last frame drawn, the client quiet. */
const MEMORY_SAMPLE_DELAY_MS = 500;
/** Then this long again (ms), nothing printed: the history still streaming in, then what the heap gives back. */
const AFTER_FLOOD_MS = 12_000;
/** Bound on one try (ms): a hang detector on a loaded machine, not a measurement. */
const TRY_TIMEOUT_MS = 60_000;
const TRIES = { quick: 3, full: 5 } as const;

type SystemId = 'tsmosh' | 'mosh' | 'bare-node';
type Phase = 'start' | 'flood' | 'after-flood';

interface Sample {
  readonly system: SystemId;
  readonly phase: Phase;
  readonly memory: ProcessMemory;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Starts a client in a pty, waits for MARK, and reads its memory at each of `samplesAt` (ms after the mark). */
async function measureClient(file: string, args: readonly string[], env: Record<string, string>, samplesAt: readonly number[]): Promise<ProcessMemory[]> {
  const program = new ScreenProgram({ file, args, env });
  try {
    const at = await program.waitFor((screen) => screen.rows.some((row) => row.includes(MARK)), TRY_TIMEOUT_MS);
    if (at === undefined) throw new Error(`client-memory: ${file} ${args.join(' ')} never showed ${MARK}: ${JSON.stringify(program.recentOutput.slice(-300))}`);
    const memories: ProcessMemory[] = [];
    for (const delay of samplesAt) {
      await sleep(Math.max(0, at + delay - performance.now()));
      const memory = processMemory(program.pid);
      if (memory === undefined) throw new Error(`client-memory: ${file} exited before its memory was read`);
      memories.push(memory);
    }
    return memories;
  } finally {
    program.kill();
    await Promise.race([program.exited, sleep(2000)]);
  }
}

function programFor(phase: 'start' | 'flood'): string[] {
  const seconds = Math.ceil((MEMORY_SAMPLE_DELAY_MS + AFTER_FLOOD_MS) / 1000) + 5;
  return ['sh', '-c', `${phase === 'flood' ? `seq 1 ${FLOOD_LINES}; ` : ''}echo ${MARK}; sleep ${seconds}`];
}

async function moshClient(phase: 'start' | 'flood', env: Record<string, string>, samplesAt: readonly number[]): Promise<ProcessMemory[]> {
  const { stdout } = await run('mosh-server', ['new', '-i', '127.0.0.1', '--', ...programFor(phase)], { env, timeout: TRY_TIMEOUT_MS });
  const connect = /MOSH CONNECT (\d+) (\S+)/.exec(stdout);
  if (connect === null) throw new Error(`client-memory: mosh-server new printed no MOSH CONNECT line: ${stdout}`);
  return measureClient('mosh-client', ['127.0.0.1', connect[1]!], { ...env, MOSH_KEY: connect[2]! }, samplesAt);
}

const mb = (kib: number | undefined): string => (kib === undefined || !Number.isFinite(kib) ? 'n/a' : `${(kib / 1024).toFixed(1)} MB`);

export function clientMemoryTable(samples: readonly Sample[], tries: number): Table {
  const pick = (system: SystemId, phase: Phase, field: 'privateKiB' | 'rssKiB'): number => median(samples.filter((s) => s.system === system && s.phase === phase).flatMap((s) => (s.memory[field] === undefined ? [] : [s.memory[field]!])));
  const labels: Record<Phase, string> = {
    start: `start: the program's first line on screen + ${MEMORY_SAMPLE_DELAY_MS} ms`,
    flood: `after \`seq 1 ${FLOOD_LINES}\`: its last line on screen + ${MEMORY_SAMPLE_DELAY_MS} ms`,
    'after-flood': `the same, ${AFTER_FLOOD_MS / 1000} s later (nothing printed)`,
  };
  const rows = (['start', 'flood', 'after-flood'] as const).map((phase) => {
    const ratio = (system: SystemId): string => {
      const own = pick(system, phase, 'privateKiB');
      const mosh = pick('mosh', phase, 'privateKiB');
      return Number.isFinite(own) && Number.isFinite(mosh) && mosh > 0 ? `${(own / mosh).toFixed(2)}×` : '';
    };
    return [labels[phase], mb(pick('tsmosh', phase, 'privateKiB')), mb(pick('tsmosh', phase, 'rssKiB')), ratio('tsmosh'), mb(pick('mosh', phase, 'privateKiB')), mb(pick('mosh', phase, 'rssKiB')), mb(pick('bare-node', phase, 'privateKiB'))];
  });
  return {
    caption: `The client's memory (own pages: private pages of smaps_rollup; resident: VmRSS), medians of ${tries} tries each: tsmosh --local (installed shape, its #! options) beside mosh-client, and a bare node with the client's options`,
    columns: ['when', 'tsmosh own', 'tsmosh resident', 'own × mosh', 'mosh-client own', 'mosh-client resident', 'bare node own'],
    rows,
  };
}

export const clientMemory: Scenario = {
  name: 'client-memory',
  title: "The client's own memory beside mosh-client's, at start and after a flood",
  async run(context: BenchContext): Promise<ScenarioResult> {
    for (const file of [PACKED_CLI, PACKED_SERVER]) {
      if (!existsSync(file)) throw new Error(`client-memory: ${file} is missing; run \`npm run build\` first (it makes the installed shape in dist/tsmosh)`);
    }
    const tries = TRIES[context.mode];
    const runtimeDir = benchTempDir('tsmosh-bench-memory-');
    const env = sessionEnvironment({ TSMOSH_RUNTIME_DIR: runtimeDir });
    const bareOptions = hashbangNodeOptions(PACKED_CLI);
    const samples: Sample[] = [];
    const floodSamplesAt = [MEMORY_SAMPLE_DELAY_MS, MEMORY_SAMPLE_DELAY_MS + AFTER_FLOOD_MS];
    try {
      for (let t = 0; t < tries; t++) {
        for (const phase of ['start', 'flood'] as const) {
          const at = phase === 'start' ? [MEMORY_SAMPLE_DELAY_MS] : floodSamplesAt;
          const phases: Phase[] = phase === 'start' ? ['start'] : ['flood', 'after-flood'];
          const tsmosh = await measureClient(PACKED_CLI, ['--local', '--', ...programFor(phase)], env, at);
          tsmosh.forEach((memory, i) => samples.push({ system: 'tsmosh', phase: phases[i]!, memory }));
          const mosh = await moshClient(phase, env, at);
          mosh.forEach((memory, i) => samples.push({ system: 'mosh', phase: phases[i]!, memory }));
        }
        const bare = await measureClient(process.execPath, [...bareOptions, '-e', `console.log('${MARK}'); setTimeout(() => {}, 5000)`], env, [MEMORY_SAMPLE_DELAY_MS]);
        samples.push({ system: 'bare-node', phase: 'start', memory: bare[0]! });
        context.log(`  try ${t + 1} of ${tries} done`);
      }
    } finally {
      await stopDaemon(PACKED_SERVER, runtimeDir, env).catch(() => undefined);
      rmSync(runtimeDir, { recursive: true, force: true });
    }
    const table = clientMemoryTable(samples, tries);
    const own = (phase: Phase, system: SystemId): number => median(samples.filter((s) => s.system === system && s.phase === phase).flatMap((s) => (s.memory.privateKiB === undefined ? [] : [s.memory.privateKiB])));
    const notes = [
      `The client's own pages: tsmosh ${mb(own('start', 'tsmosh'))} at start against mosh-client's ${mb(own('start', 'mosh'))} (a bare node alone ${mb(own('start', 'bare-node'))}); after a ${FLOOD_LINES}-line flood ${mb(own('flood', 'tsmosh'))} against ${mb(own('flood', 'mosh'))}, and ${AFTER_FLOOD_MS / 1000} s later ${mb(own('after-flood', 'tsmosh'))} against ${mb(own('after-flood', 'mosh'))}.`,
    ];
    return { tables: [table], notes, data: { tries, floodLines: FLOOD_LINES, sampleDelayMs: MEMORY_SAMPLE_DELAY_MS, afterFloodMs: AFTER_FLOOD_MS, samples } };
  },
};
