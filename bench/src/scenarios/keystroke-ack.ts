/**
 * The first benchmark (the foundation issue): on a seeded in-memory link, per loss rate and RTT, how long from a
 * keystroke to its acknowledgement, and how many datagrams each keystroke costs, for tsmosh's timing policy and
 * for mosh's (`MOSH_TIMING`), on the same link seed and the same typing trace.
 */
import { MOSH_TIMING, TSMOSH_CLIENT_TIMING, TSMOSH_SERVER_TIMING, TSMOSH_TIMING, type TransportTiming } from '@tsmosh/protocol';
import { SeededRandom, deriveSeed, symmetricLink } from '@tsmosh/netem';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { runKeystrokeSession, type KeystrokeRunResult } from '../sim/keystroke-session.js';
import { formatMs, formatRatio, mean, median, percentile } from '../stats.js';

/** Loss per direction (29 % each way is the paper's experiment: about 50 % of round trips fail). */
const LOSS_RATES = [0, 0.1, 0.29, 0.5];
const RTTS_MS = [50, 100, 300];

/** Keys per run and seeds per cell: the quick pass gives a readable table in seconds, the full pass tighter tails. */
const PLAN = {
  quick: { keys: 300, seeds: [1] },
  full: { keys: 2000, seeds: [1, 2, 3, 4, 5] },
} as const;

/** The typing starts 2 s after the session opens, as a user's first key does, so the set-up is not measured. */
const FIRST_KEY_AT_MS = 2000;
/** A run ends at most 60 s after its last key: far beyond any resend schedule, so an unfinished key is a real stall. */
const DRAIN_MS = 60_000;
/** Acks caused by the last echo are counted: mosh's delayed ack leaves 100 ms after it; 300 ms covers jitter-free links. */
const SETTLE_MS = 300;

/**
 * mosh's client sends a keystroke after a 1 ms collection interval (set_send_delay(1)); the 8 ms of MOSH_TIMING is
 * the server's, which waits for an application's screen update. tsmosh's client is the real one's timing
 * (TSMOSH_CLIENT_TIMING: no collection interval, the echo acknowledgement's hold).
 */
const MOSH_CLIENT_COLLECTION_INTERVAL_MS = 1;

interface Policy {
  readonly name: 'tsmosh' | 'mosh';
  readonly client: Partial<TransportTiming>;
  readonly server: Partial<TransportTiming>;
}

const POLICIES: readonly Policy[] = [
  { name: 'tsmosh', client: { ...TSMOSH_TIMING, ...TSMOSH_CLIENT_TIMING }, server: { ...TSMOSH_TIMING, ...TSMOSH_SERVER_TIMING } },
  { name: 'mosh', client: { ...MOSH_TIMING, collectionIntervalMs: MOSH_CLIENT_COLLECTION_INTERVAL_MS }, server: MOSH_TIMING },
];

/**
 * A typing trace: 80 % of gaps within a word (80–250 ms, about 6 keys/s) and 20 % pauses (0.5–3 s), so the
 * trace has both keys in quick succession (which can share a datagram or an ack) and isolated keys (which wait
 * on resend timers alone).
 */
function typingTrace(keys: number, seed: number): number[] {
  const random = new SeededRandom(deriveSeed(seed, 200));
  const times: number[] = [];
  let t = FIRST_KEY_AT_MS;
  for (let i = 0; i < keys; i++) {
    times.push(t);
    t += random.nextFloat() < 0.8 ? 80 + random.nextFloat() * 170 : 500 + random.nextFloat() * 2500;
  }
  return times;
}

interface CellSummary {
  readonly policy: Policy['name'];
  readonly lossPerDirection: number;
  readonly rttMs: number;
  readonly keys: number;
  readonly unfinished: number;
  readonly echoMedianMs: number;
  readonly echoP95Ms: number;
  readonly echoMeanMs: number;
  readonly echoMaxMs: number;
  readonly serverMedianMs: number;
  readonly serverP95Ms: number;
  readonly datagramsPerKey: number;
  readonly upDatagramsPerKey: number;
  readonly downDatagramsPerKey: number;
  readonly bytesPerKey: number;
}

function summarize(policy: Policy, loss: number, rttMs: number, runs: KeystrokeRunResult[]): CellSummary {
  const echo = runs.flatMap((r) => r.toEchoMs.filter((x): x is number => x !== undefined));
  const server = runs.flatMap((r) => r.toServerMs.filter((x): x is number => x !== undefined));
  const keys = runs.reduce((n, r) => n + r.toEchoMs.length, 0);
  const up = runs.reduce((n, r) => n + r.datagrams.up, 0);
  const down = runs.reduce((n, r) => n + r.datagrams.down, 0);
  const bytes = runs.reduce((n, r) => n + r.bytes.up + r.bytes.down, 0);
  return {
    policy: policy.name,
    lossPerDirection: loss,
    rttMs,
    keys,
    unfinished: keys - echo.length,
    echoMedianMs: median(echo),
    echoP95Ms: percentile(echo, 95),
    echoMeanMs: mean(echo),
    echoMaxMs: echo.length === 0 ? NaN : Math.max(...echo),
    serverMedianMs: median(server),
    serverP95Ms: percentile(server, 95),
    datagramsPerKey: (up + down) / keys,
    upDatagramsPerKey: up / keys,
    downDatagramsPerKey: down / keys,
    bytesPerKey: bytes / keys,
  };
}

export const keystrokeAck: Scenario = {
  name: 'keystroke-ack',
  title: 'Keystroke to acknowledgement under loss (simulated link, tsmosh vs mosh timing)',
  async run(context: BenchContext): Promise<ScenarioResult> {
    const plan = PLAN[context.mode];
    const cells: Array<{ tsmosh: CellSummary; mosh: CellSummary }> = [];
    for (const loss of LOSS_RATES) {
      for (const rttMs of RTTS_MS) {
        const profile = symmetricLink({ delayMs: rttMs / 2, loss });
        const byPolicy = {} as Record<Policy['name'], CellSummary>;
        for (const policy of POLICIES) {
          const runs = plan.seeds.map((seed) =>
            runKeystrokeSession({
              profile,
              seed,
              keyTimes: typingTrace(plan.keys, seed),
              clientTiming: policy.client,
              serverTiming: policy.server,
              initialRttMs: rttMs,
              drainMs: DRAIN_MS,
              settleMs: SETTLE_MS,
            }),
          );
          byPolicy[policy.name] = summarize(policy, loss, rttMs, runs);
          sanityCheck(byPolicy[policy.name], rttMs);
        }
        context.log(
          `loss ${pct(loss)} rtt ${rttMs} ms: echo median tsmosh ${formatMs(byPolicy.tsmosh.echoMedianMs)} ` +
            `mosh ${formatMs(byPolicy.mosh.echoMedianMs)}`,
        );
        cells.push({ tsmosh: byPolicy.tsmosh, mosh: byPolicy.mosh });
      }
    }
    return {
      tables: tables(cells, plan.keys, plan.seeds.length),
      notes: findings(cells),
      data: { plan, lossRates: LOSS_RATES, rttsMs: RTTS_MS, firstKeyAtMs: FIRST_KEY_AT_MS, cells },
    };
  },
};

/** Physical limits a correct simulation cannot break; a violation means the harness or a transport is wrong. */
function sanityCheck(cell: CellSummary, rttMs: number): void {
  if (cell.echoMedianMs < rttMs || cell.serverMedianMs < rttMs / 2) {
    throw new Error(
      `keystroke benchmark: ${cell.policy} at ${pct(cell.lossPerDirection)} loss, ${rttMs} ms RTT saw an echo in ` +
        `${cell.echoMedianMs} ms (faster than the link allows); the simulation loop or a transport is broken`,
    );
  }
}

function pct(fraction: number): string {
  return `${Math.round(fraction * 100)} %`;
}

/** One figure's three columns: tsmosh's, mosh's and their ratio. */
function latencyColumns(tsmosh: CellSummary, mosh: CellSummary, figure: (cell: CellSummary) => number): string[] {
  return [formatMs(figure(tsmosh)), formatMs(figure(mosh)), formatRatio(figure(tsmosh), figure(mosh))];
}

function tables(cells: Array<{ tsmosh: CellSummary; mosh: CellSummary }>, keys: number, seeds: number): Table[] {
  const scope = `${keys} keys × ${seeds} seed${seeds === 1 ? '' : 's'} per cell; ratio = tsmosh ÷ mosh (below 1: tsmosh better)`;
  return [
    {
      caption: `Keystroke → echo seen by the client (ms, simulated). ${scope}`,
      columns: ['loss each way', 'RTT', 'tsmosh median', 'mosh median', 'ratio', 'tsmosh p95', 'mosh p95', 'ratio', 'unfinished (tsmosh/mosh)'],
      rows: cells.map(({ tsmosh, mosh }) => [
        pct(tsmosh.lossPerDirection),
        `${tsmosh.rttMs} ms`,
        ...latencyColumns(tsmosh, mosh, (cell) => cell.echoMedianMs),
        ...latencyColumns(tsmosh, mosh, (cell) => cell.echoP95Ms),
        `${tsmosh.unfinished}/${mosh.unfinished}`,
      ]),
    },
    {
      caption: `Keystroke → held by the server (ms, simulated). ${scope}`,
      columns: ['loss each way', 'RTT', 'tsmosh median', 'mosh median', 'ratio', 'tsmosh p95', 'mosh p95', 'ratio'],
      rows: cells.map(({ tsmosh, mosh }) => [
        pct(tsmosh.lossPerDirection),
        `${tsmosh.rttMs} ms`,
        ...latencyColumns(tsmosh, mosh, (cell) => cell.serverMedianMs),
        ...latencyColumns(tsmosh, mosh, (cell) => cell.serverP95Ms),
      ]),
    },
    {
      caption: `Datagrams and bytes sent per keystroke, both directions, before loss. ${scope}`,
      columns: ['loss each way', 'RTT', 'tsmosh datagrams (up+down)', 'mosh datagrams (up+down)', 'ratio', 'tsmosh bytes', 'mosh bytes', 'ratio'],
      rows: cells.map(({ tsmosh, mosh }) => [
        pct(tsmosh.lossPerDirection),
        `${tsmosh.rttMs} ms`,
        `${tsmosh.datagramsPerKey.toFixed(2)} (${tsmosh.upDatagramsPerKey.toFixed(2)}+${tsmosh.downDatagramsPerKey.toFixed(2)})`,
        `${mosh.datagramsPerKey.toFixed(2)} (${mosh.upDatagramsPerKey.toFixed(2)}+${mosh.downDatagramsPerKey.toFixed(2)})`,
        formatRatio(tsmosh.datagramsPerKey, mosh.datagramsPerKey),
        tsmosh.bytesPerKey.toFixed(0),
        mosh.bytesPerKey.toFixed(0),
        formatRatio(tsmosh.bytesPerKey, mosh.bytesPerKey),
      ]),
    },
  ];
}

/** Where tsmosh loses, in plain words: a regression should be read, not found by squinting at ratios. */
function findings(cells: Array<{ tsmosh: CellSummary; mosh: CellSummary }>): string[] {
  const notes: string[] = [];
  const worse = (ours: number, theirs: number): boolean => ours > theirs * 1.05; // 5 %: below that it is noise of the trace
  for (const { tsmosh, mosh } of cells) {
    const where = `at ${pct(tsmosh.lossPerDirection)} loss each way and ${tsmosh.rttMs} ms RTT`;
    if (worse(tsmosh.echoMedianMs, mosh.echoMedianMs)) {
      notes.push(`tsmosh's median echo is slower than mosh's ${where}: ${formatMs(tsmosh.echoMedianMs)} vs ${formatMs(mosh.echoMedianMs)}.`);
    }
    if (worse(tsmosh.echoP95Ms, mosh.echoP95Ms)) {
      notes.push(`tsmosh's p95 echo is slower than mosh's ${where}: ${formatMs(tsmosh.echoP95Ms)} vs ${formatMs(mosh.echoP95Ms)}.`);
    }
    if (worse(tsmosh.datagramsPerKey, mosh.datagramsPerKey)) {
      notes.push(
        `tsmosh sends more datagrams per keystroke than mosh ${where}: ${tsmosh.datagramsPerKey.toFixed(2)} vs ` +
          `${mosh.datagramsPerKey.toFixed(2)} (${formatRatio(tsmosh.datagramsPerKey, mosh.datagramsPerKey)}).`,
      );
    }
    if (tsmosh.unfinished > 0) notes.push(`tsmosh left ${tsmosh.unfinished} keys unechoed ${where}.`);
  }
  if (notes.length === 0) notes.push('tsmosh is no worse than mosh (within 5 %) on any figure in any cell.');
  return notes;
}
