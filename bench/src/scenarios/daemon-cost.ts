/**
 * What hosting sessions costs the host (issue 8): the real `tsmosh-server daemon` process, real ptys, real clients
 * (`connect()` from @tsmosh/client, in this process) over loopback UDP. Measured from /proc (Linux): the daemon's
 * resident memory with 1 and with 20 idle sessions (each with its client attached), its CPU time while all 20 sit
 * idle (it should sleep between heartbeats, not poll), its CPU time to push `seq 1 300000` to one client, and its peak
 * resident memory (VmHWM) by the end of that flood, the figure the lossy-link benchmark compares with mosh-server's.
 * The daemon runs with the node options `tsmosh-server new` gives it (DAEMON_NODE_OPTIONS); to measure it with
 * others, set TSMOSH_BENCH_DAEMON_NODE_OPTIONS (space-separated; empty for node's defaults).
 */
import { clockTicksPerSecond, cpuMs, memoryMiB, sleep, startBenchDaemon, waitForScreen, type ClientHandle } from '../daemon-process.js';
import type { BenchContext, Scenario, ScenarioResult } from '../scenario.js';

/** Idle sessions in the larger set: the "20 sessions on one daemon port". */
const MANY_SESSIONS = 20;
/** How long the idle CPU is sampled (ms): three heartbeat periods (3 s) and more, so each session wakes several times. */
const IDLE_SAMPLE_MS = { quick: 10_000, full: 30_000 } as const;
/** Runs of the flood; the quick pass makes one. */
const FLOOD_RUNS = { quick: 1, full: 3 } as const;
/** Settling time before a memory reading (ms): lets the attach traffic and the first frames finish. */
const SETTLE_MS = 2_000;
const FLOOD_LINES = 300_000;
const DONE_MARK = 'FLOOD-DONE';

export const daemonCost: Scenario = {
  name: 'daemon-cost',
  title: 'Daemon cost: memory per session, idle CPU, CPU to push a flood',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const ticks = clockTicksPerSecond();
    const daemon = await startBenchDaemon();
    const { pid, nodeOptions } = daemon;
    const newSession = daemon.newSession;
    const attachClient = (target: { port: number; key: string }, ready: (text: string) => boolean, what: string): Promise<ClientHandle> =>
      daemon.attach(target, ready, what);
    const server = daemon.server;
    try {
      context.log(`daemon node options: ${nodeOptions.join(' ') || '(none)'}`);
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
      await daemon.stop();
    }
  },
};
