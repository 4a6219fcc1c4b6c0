/**
 * The client's CPU and wake-ups beside mosh-client's: battery is what a laptop's or phone's user pays. tsmosh and
 * mosh are started the lossy-link bench's way (server `new` on this host, the client in a pty, a UDP link process
 * between them), and the client process alone is read from /proc:
 * - CPU: utime + stime of /proc/PID/stat (every thread: V8's helpers count too);
 * - wake-ups: voluntary context switches summed over /proc/PID/task/TID/status (each one a sleep the
 *   kernel later woke the thread from), per second of wall time.
 * Workloads, each interleaved tsmosh then mosh per try (a burst of load hits both alike):
 * - `flood`: `seq 1 FLOOD_LINES`, from the Enter that starts it to FLOOD_TAIL_MS after its end mark is on the client's screen, on loopback
 *   and on a 100 ms RTT link;
 * - `idle`: nothing printed (heartbeats only) for IDLE_MS;
 * - `clock`: `while :; do date; sleep 1; done` (one line a second) for IDLE_MS.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicksPerSecond, cpuMs } from '../daemon-process.js';
import { startUdpSession, type Session } from '../lossy/systems.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { median } from '../stats.js';

type SystemId = 'tsmosh' | 'mosh';
type Workload = 'flood' | 'idle' | 'clock';

/** Lines of the flood: long enough (several seconds for either system) that start and end cost little beside it. */
const FLOOD_LINES = 2_000_000;
/** Quiet and clock sampling (ms): the brief's minute on a full run; 20 s (six heartbeat periods) on a quick one. */
const IDLE_MS = { quick: 20_000, full: 60_000 } as const;
const TRIES = { quick: 1, full: 2 } as const;
/**
 * After a flood's end is on screen (ms), still counted: tsmosh's history goes on arriving and being written for
 * about a second after the screen is done (a 256-line window per acknowledged state), and that is the flood's cost too.
 */
const FLOOD_TAIL_MS = 2_000;
/** After the ready mark (ms): the first frames, the attach and the first heartbeats done before sampling starts. */
const SETTLE_MS = 2_000;
/** Bound on one wait (ms): a hang detector on a loaded machine, not a measurement. */
const WAIT_TIMEOUT_MS = 180_000;
const READY = 'cpu-ready';
const DONE = 'FLOOD-DONE';
const LINKS = [
  { name: 'loopback', spec: '' },
  { name: '100 ms RTT', spec: 'delay=50ms' },
] as const;

interface Sample {
  readonly system: SystemId;
  readonly workload: Workload;
  readonly link: string;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly wakeups: number;
  /** A flood: from the Enter to its end on the client's screen (ms). */
  readonly onScreenMs?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Voluntary context switches of every thread of `pid`. */
export function wakeups(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // the thread exited while we looked
    }
  }
  return total;
}

function commandFor(workload: Workload): string[] {
  // The marks are printed with printf so the echoed command line never shows them.
  switch (workload) {
    case 'flood':
      return ['sh', '-c', `printf '%s-%s\\n' cpu ready; read x; seq 1 ${FLOOD_LINES}; printf '%s-%s\\n' FLOOD DONE; exec sleep 600`];
    case 'idle':
      return ['sh', '-c', `printf '%s-%s\\n' cpu ready; exec sleep 600`];
    case 'clock':
      return ['sh', '-c', `printf '%s-%s\\n' cpu ready; while :; do date; sleep 1; done`];
  }
}

async function measure(system: SystemId, workload: Workload, link: (typeof LINKS)[number], idleMs: number, ticks: number): Promise<Sample> {
  const session: Session = await startUdpSession(system, commandFor(workload), link.spec, 1);
  const screenHas = (text: string) => (screen: { rows: readonly string[] }) => screen.rows.some((row) => row.includes(text));
  try {
    const pid = session.client.pid;
    if ((await session.client.waitFor(screenHas(READY), WAIT_TIMEOUT_MS)) === undefined) throw new Error(`client-cpu: ${system} never showed ${READY}: ${JSON.stringify(session.client.recentOutput.slice(-300))}`);
    await sleep(SETTLE_MS);
    const cpuBefore = cpuMs(pid, ticks);
    const wakeBefore = wakeups(pid);
    const started = performance.now();
    let onScreenMs: number | undefined;
    if (workload === 'flood') {
      session.client.type('\r');
      const shownAt = await session.client.waitFor(screenHas(DONE), WAIT_TIMEOUT_MS);
      if (shownAt === undefined) throw new Error(`client-cpu: ${system} never showed ${DONE} on ${link.name}`);
      onScreenMs = shownAt - started;
      await sleep(FLOOD_TAIL_MS);
    } else {
      await sleep(idleMs);
    }
    const wallMs = performance.now() - started;
    return { system, workload, link: link.name, cpuMs: cpuMs(pid, ticks) - cpuBefore, wallMs, wakeups: wakeups(pid) - wakeBefore, ...(onScreenMs === undefined ? {} : { onScreenMs }) };
  } finally {
    await session.stop();
  }
}

const CASES: ReadonlyArray<{ workload: Workload; link: (typeof LINKS)[number] }> = [
  { workload: 'flood', link: LINKS[0] },
  { workload: 'flood', link: LINKS[1] },
  { workload: 'idle', link: LINKS[0] },
  { workload: 'clock', link: LINKS[0] },
];

export function clientCpuTable(samples: readonly Sample[], tries: number): Table {
  const label: Record<Workload, string> = {
    flood: `\`seq 1 ${FLOOD_LINES}\`, Enter to its end on screen + ${FLOOD_TAIL_MS / 1000} s`,
    idle: 'idle (heartbeats only)',
    clock: '`while :; do date; sleep 1; done`',
  };
  const rows = CASES.map(({ workload, link }) => {
    const of = (system: SystemId) => samples.filter((s) => s.system === system && s.workload === workload && s.link === link.name);
    const share = (system: SystemId): number => median(of(system).map((s) => (s.cpuMs / s.wallMs) * 100));
    const perSecond = (system: SystemId): number => median(of(system).map((s) => s.wakeups / (s.wallMs / 1000)));
    const wall = (system: SystemId): number => median(of(system).map((s) => s.wallMs / 1000));
    const cpu = (system: SystemId): number => median(of(system).map((s) => s.cpuMs));
    // The same work (or the same wall time) for both: CPU against CPU.
    const ratio = cpu('mosh') > 0 ? `${(cpu('tsmosh') / cpu('mosh')).toFixed(1)}×` : '';
    const onScreen = (system: SystemId): string => (workload === 'flood' ? `${(median(of(system).map((s) => s.onScreenMs ?? NaN)) / 1000).toFixed(1)} s` : '');
    return [
      `${label[workload]}, ${link.name}`,
      `${cpu('tsmosh').toFixed(0)} ms / ${wall('tsmosh').toFixed(1)} s = ${share('tsmosh').toFixed(2)} %`,
      `${cpu('mosh').toFixed(0)} ms / ${wall('mosh').toFixed(1)} s = ${share('mosh').toFixed(2)} %`,
      ratio,
      perSecond('tsmosh').toFixed(1),
      perSecond('mosh').toFixed(1),
      workload === 'flood' ? `${onScreen('tsmosh')} / ${onScreen('mosh')}` : '',
    ];
  });
  return {
    caption: `The client's CPU (utime + stime, all threads) and wake-ups (voluntary context switches, all threads, per second), medians of ${tries} tries: tsmosh-client (its #! options) beside mosh-client, each through the same UDP link process`,
    columns: ['workload, link', 'tsmosh-client CPU / wall', 'mosh-client CPU / wall', 'CPU × mosh', 'tsmosh wake-ups/s', 'mosh wake-ups/s', 'flood on screen, tsmosh / mosh'],
    rows,
  };
}

export const clientCpu: Scenario = {
  name: 'client-cpu',
  title: "The client's CPU and wake-ups beside mosh-client's: a flood, idle, a clock",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const ticks = clockTicksPerSecond();
    const tries = TRIES[context.mode];
    const idleMs = IDLE_MS[context.mode];
    const samples: Sample[] = [];
    for (let t = 0; t < tries; t++) {
      for (const { workload, link } of CASES) {
        for (const system of ['tsmosh', 'mosh'] as const) {
          const sample = await measure(system, workload, link, idleMs, ticks);
          context.log(`  ${system} ${workload} ${link.name}: ${sample.cpuMs.toFixed(0)} ms CPU in ${(sample.wallMs / 1000).toFixed(1)} s, ${sample.wakeups} wake-ups`);
          samples.push(sample);
        }
      }
      context.log(`  try ${t + 1} of ${tries} done`);
    }
    const table = clientCpuTable(samples, tries);
    return {
      tables: [table],
      notes: [
        `CPU is read in clock ticks (${ticks}/s): a figure of a few ticks is ±1 tick. A flood's CPU counts from the Enter to ${FLOOD_TAIL_MS / 1000} s after its end is on screen (tsmosh's history is still arriving then); its wall time includes those ${FLOOD_TAIL_MS / 1000} s.`,
      ],
      data: { tries, floodLines: FLOOD_LINES, floodTailMs: FLOOD_TAIL_MS, idleMs, settleMs: SETTLE_MS, samples },
    };
  },
};
