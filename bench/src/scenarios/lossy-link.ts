/**
 * tsmosh against mosh and ssh on the same emulated links, in the same run, as a user feels it: real clients in
 * ptys, real servers, the screen read by a headless terminal, typing traces replayed at human pace (issue 7).
 * How it is built: bench/src/lossy/ (link-host.ts for the links, systems.ts for the three systems, replay.ts for
 * the timing of keys). Needs root (network namespaces, TUN), mosh and OpenSSH: `bench/setup-lossy-link.sh`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { dirname } from 'node:path';
import { CPU_SIDES, onSide, pinProcess } from '../lossy/cpu-sides.js';
import { createNamespaces, deleteNamespaces } from '../lossy/link-host.js';
import type { LinkTraffic } from '../lossy/link-process.js';
import { UsageTracker, type ProcessUsage } from '../lossy/procstat.js';
import { recordReference, replay, typeSetup, type KeyTiming, type Reference } from '../lossy/replay.js';
import { ScreenProgram, sameScreen } from '../lossy/screen.js';
import { cdfChart } from '../lossy/svg.js';
import { NamespacedSshd, SYSTEMS, relayCanRun, returningUser, sessionEnvironment, startSession, type PredictionCounters, type Session, type SystemContext, type SystemName } from '../lossy/systems.js';
import { detectWrongGuesses, type ScreenChange } from '../lossy/wrong-guesses.js';
import { loadTrace, prefixOf, screenRuleOf, type Trace } from '../lossy/trace.js';
import { THIN_LINK, runThinFlood, runThinReference, thinFloodTable, type ThinFloodRun } from '../lossy/thin-link.js';
import { latencyGoalNotes } from '../lossy/latency-goals.js';
import { waitForQuietLink } from '../lossy/quiet-link.js';
import type { BenchContext, Scenario, ScenarioResult, Table } from '../scenario.js';
import { formatMs, formatRatio, mean, median, percentile } from '../stats.js';
import { predictedKeyTable } from '../lossy/predicted-keys.js';
import { keyPathTable, keyPaths, type KeyPath } from '../lossy/key-path.js';
import { homedir } from 'node:os';
import { RETURNING_SYSTEM, firstKeysNote, memoryOf, returningNotes, type SessionMemory, type WarmUpRecord } from '../lossy/returning-user.js';

export interface LinkCase {
  readonly name: string;
  readonly label: string;
  readonly spec: string;
  readonly rttMs: number;
  /** An outage in both directions, starting as this key of the trace is typed. */
  readonly blackout?: { readonly atKey: number; readonly durationMs: number };
  readonly quick: boolean;
  readonly full: boolean;
}

export const LINKS: readonly LinkCase[] = [
  { name: 'loopback', label: 'loopback', spec: '', rttMs: 0, quick: false, full: true },
  { name: 'rtt100', label: '100 ms RTT', spec: 'delay=50ms', rttMs: 100, quick: false, full: true },
  { name: 'rtt300-loss10', label: '300 ms RTT, 10 % loss', spec: 'delay=150ms,loss=10%', rttMs: 300, quick: true, full: true },
  // Run on request only (TSMOSH_BENCH_LINKS), for the TCP carrier beside UDP (issue 15).
  { name: 'rtt100-loss10', label: '100 ms RTT, 10 % loss', spec: 'delay=50ms,loss=10%', rttMs: 100, quick: false, full: false },
  { name: 'rtt100-loss29', label: '100 ms RTT, 29 % loss each way', spec: 'delay=50ms,loss=29%', rttMs: 100, quick: true, full: true },
  // A LAN (issue 18: Enter → output within 1.05 × RTT + 1 ms); on request only.
  { name: 'lan20', label: '20 ms RTT (LAN)', spec: 'delay=10ms', rttMs: 20, quick: false, full: false },
  // Issue 18's satellite link: an RTO above the resend back-off ceiling must not resend every keystroke.
  { name: 'rtt600', label: '600 ms RTT (satellite)', spec: 'delay=300ms', rttMs: 600, quick: false, full: false },
  // A thin path (issue 18): 1 Mbit/s each way behind a 64 KB buffer, 40 ms RTT, 1 % loss; on request only.
  { name: 'thin', label: '1 Mbit/s, 64 KB queue, 40 ms RTT, 1 % loss', spec: 'delay=20ms,loss=1%,rate=1mbit,queue=64kB', rttMs: 40, quick: false, full: false },
  { name: 'blackout2s', label: '100 ms RTT, 2 s blackout', spec: 'delay=50ms', rttMs: 100, blackout: { atKey: 8, durationMs: 2000 }, quick: false, full: true },
  { name: 'blackout60s', label: '100 ms RTT, 60 s blackout', spec: 'delay=50ms', rttMs: 100, blackout: { atKey: 8, durationMs: 60_000 }, quick: false, full: true },
];

/**
 * Keys of the shell trace replayed per run: the quick pass keeps two commands, the full pass the whole trace. The
 * quick pass must stay under 5 minutes in all (issue 7); ssh at 29 % loss dominates it (a connect there takes 7–16 s),
 * so it tries one extra connect, not more, and idles 5 s (one or two heartbeats each way).
 */
const PLAN = {
  quick: { shellKeys: 20, otherTraces: [] as string[], idleMs: 5_000, extraConnects: 1, extraConnectLinks: ['rtt100-loss29'] },
  // claude: the real Claude Code, about 50 s of trace and a 80 s reference run; full pass only (or TSMOSH_BENCH_TRACES).
  full: { shellKeys: Infinity, otherTraces: ['vim', 'ink', 'claude'], idleMs: 60_000, extraConnects: 6, extraConnectLinks: ['rtt300-loss10', 'rtt100-loss29'] },
} as const;

/**
 * TSMOSH_BENCH_TRACES=name,name…: the traces to replay instead of the pass's own (e.g. `claude` for the Claude Code
 * trace alone, in the quick pass too). Without `shell`, the shell session and what rides on it (Ctrl-C in a flood,
 * bulk output, connects, idle cost) are left out.
 */
function chosenTraces(mode: 'quick' | 'full'): { shell: boolean; others: string[] } {
  const text = process.env.TSMOSH_BENCH_TRACES;
  if (text === undefined || text === '') return { shell: true, others: [...PLAN[mode].otherTraces] };
  const names = text.split(',').filter((name) => name !== '');
  const known = ['shell', 'vim', 'ink', 'claude'];
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) throw new Error(`TSMOSH_BENCH_TRACES: unknown trace(s) ${unknown.join(', ')}; choose from ${known.join(', ')}`);
  return { shell: names.includes('shell'), others: names.filter((name) => name !== 'shell') };
}

/** Bounds for a stuck run (ms), far beyond any sane figure; a run that hits one is reported as "> bound". */
const CONNECT_TIMEOUT_MS = 60_000;
const FLOOD_TIMEOUT_MS = 30_000;
const BULK_TIMEOUT_MS = 30_000;
/** After the prompt is back under "300000", how long the rest of the final screen may take to appear (ms): several RTTs of resends. */
const BULK_SETTLE_MS = 5_000;
/** How long the flood runs before Ctrl-C (ms): long enough that every system is deep in it. */
const FLOOD_RUN_MS = 1500;
/** Bound on waiting for the link to go quiet before the idle minute (ms): a flood's scrollback tail takes seconds. */
const IDLE_QUIET_BOUND_MS = 30_000;
/** A key a user waits for (a command's output) may take this long before the run types on anyway (ms). */
const WAIT_TIMEOUT_MS = 60_000;
/** Link seed of each run: the same for every system on a link, so a rerun reproduces the same link decisions. */
const DEFAULT_LINK_SEED = 7;
/**
 * TSMOSH_BENCH_SEED=N: another link seed for the whole run (every link, every system), so several runs show how much
 * a figure owes to one set of link decisions; merge-runs.ts keeps each seed's results side by side.
 */
const LINK_SEED = (() => {
  const text = process.env.TSMOSH_BENCH_SEED;
  if (text === undefined || text === '') return DEFAULT_LINK_SEED;
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`TSMOSH_BENCH_SEED=${text}: not a link seed; give a whole number, e.g. TSMOSH_BENCH_SEED=8`);
  return seed;
})();
const CHART_COLOURS: Record<SystemName, string> = { tsmosh: '#d62728', 'tsmosh-returning': '#9467bd', 'tsmosh-tcp': '#ff7f0e', mosh: '#1f77b4', ssh: '#7f7f7f', 'node-relay': '#2ca02c' };

export interface TraceRun {
  readonly trace: string;
  readonly keys: KeyTiming[];
  readonly traffic: LinkTraffic;
  readonly cpuMs: number;
  readonly wallMs: number;
  readonly blackoutEndAt?: number;
  /** Wrong guesses on display while typing, read off the screen (wrong-guesses.ts); absent in runs older than it. */
  readonly wrongGuesses?: WrongGuessSummary;
  /** tsmosh only: its prediction engine's counters over this trace (TSMOSH_CLIENT_STATS_FILE, before and after). */
  readonly engine?: PredictionCounters;
  /**
   * tsmosh only: epochs begun at a known prompt before the trace (its setup line's): 1 when the client started with
   * the prompt remembered (returning-user.ts), 0 when it had to learn it; absent in older runs.
   */
  readonly knownPromptEpochsBefore?: number;
  /** tsmosh only: each predicted key split at the client's read and draw (key-path.ts); absent in older runs. */
  readonly keyPaths?: KeyPath[];
}

/** What the results keep of a WrongGuessReport: the figures, and each episode with its first wrong screen. */
export interface WrongGuessSummary {
  readonly judgedKeys: number;
  readonly unjudgedRuns: number;
  readonly shownBeforeEcho: number;
  readonly wrongKeys: number;
  readonly guessedKeys: number;
  /** null where the share is not defined (JSON has no NaN). */
  readonly erasedShare: number | null;
  /** Wrong-screen episodes, and how many of them had the right text with the cursor elsewhere. */
  readonly episodeCount: number;
  readonly cursorOnlyEpisodes: number;
  readonly episodes: ReadonlyArray<{ readonly atMs: number; readonly durationMs: number | null; readonly keys: readonly number[]; readonly cursorOnly: boolean; readonly screen: readonly string[] }>;
}

/** Episodes kept with their screen in the results (count): enough to diagnose, small enough for the JSON. */
const EPISODES_KEPT = 20;

export interface RunResult {
  readonly link: string;
  readonly system: SystemName;
  /** The link seed (TSMOSH_BENCH_SEED); absent in runs older than the option, which all used the default. */
  readonly seed?: number;
  /**
   * What the session started with (returning-user.ts): tsmosh's first-ever session, its returning user, or none (a
   * system that keeps nothing between sessions); absent in runs older than the returning user (all first-ever).
   */
  memory?: SessionMemory;
  /** tsmosh-returning only: the warm-up session before its first measured session on this link. */
  warmUp?: WarmUpRecord;
  readonly error?: string;
  readonly connectMs: Array<number | undefined>;
  readonly traces: TraceRun[];
  readonly ctrlCMs?: number | undefined;
  readonly bulkMs?: number | undefined;
  /** The screen when `seq 1 300000` had ended with the prompt back but other rows wrong (a rendering fault). */
  readonly bulkWrongScreen?: readonly string[];
  readonly idle?: { readonly ms: number; readonly traffic: LinkTraffic; readonly cpuMs: number };
  readonly server?: ProcessUsage;
  /** Traces after the shell trace that failed (the error's message), so the tables say so instead of leaving them out. */
  traceErrors?: Array<{ readonly trace: string; readonly error: string }>;
  /** The thin link only: keys typed beside `seq 1 10000000` and Ctrl-C in it (thin-link.ts), or why that failed. */
  thinFlood?: ThinFloodRun;
  thinFloodError?: string;
  /** The thin link only: the local reference (thin-link.ts's runThinReference) run just before this system's flood. */
  thinReference?: ThinFloodRun;
}

function diffTraffic(a: LinkTraffic, b: LinkTraffic): LinkTraffic {
  return {
    upPackets: b.upPackets - a.upPackets,
    upBytes: b.upBytes - a.upBytes,
    downPackets: b.downPackets - a.downPackets,
    downBytes: b.downBytes - a.downBytes,
    dropped: b.dropped - a.dropped,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** `seq 1 300000`'s last screen: every row above the prompt holds the numbers that end at 300000, in order. */
const bulkFinalScreen = (screen: { rows: readonly string[]; cursorY: number; cursorX: number }): boolean =>
  promptRow(screen) && screen.rows.slice(0, screen.cursorY).every((row, y) => row === String(300000 - (screen.cursorY - 1 - y)));
const promptRow = (screen: { rows: readonly string[]; cursorY: number; cursorX: number }): boolean => screen.rows[screen.cursorY] === '$' && screen.cursorX === 2;

async function referenceFor(trace: Trace, log: (m: string) => void): Promise<Reference> {
  // The program on the server's CPUs, as in the measured runs (cpu-sides.ts); the harness reads it from the laptop's.
  const command = onSide(CPU_SIDES, 'server', trace.command[0]!, trace.command.slice(1));
  const program = new ScreenProgram({ file: command.file, args: command.args, env: sessionEnvironment(), cwd: homedir() });
  try {
    const reference = await recordReference(program, trace);
    log(`  reference for ${trace.name}: ${trace.events.length} keys, ${reference.invisible.filter(Boolean).length} without a visible effect`);
    return reference;
  } finally {
    // Hung up rather than killed: the claude trace's launcher then stops its tmux server and removes its folders.
    await program.hangUp();
  }
}

/** Starts a session and waits for its first screen; undefined connect time when it never came. */
async function connect(system: SystemName, context: SystemContext, trace: Trace, link: LinkCase, firstScreen: (s: ReturnType<ScreenProgram['snapshot']>) => boolean, seed = LINK_SEED): Promise<{ session: Session; connectMs: number | undefined }> {
  const session = await startSession(system, context, trace.command, link.spec, seed);
  const at = await session.client.waitFor(firstScreen, CONNECT_TIMEOUT_MS);
  return { session, connectMs: at === undefined ? undefined : at - session.clientStartedAt };
}

async function runTrace(session: Session, tracker: UsageTracker, trace: Trace, reference: Reference, link: LinkCase): Promise<TraceRun> {
  await typeSetup(session.client, trace.setup);
  const ready = await session.client.waitFor((screen) => sameScreen(screen, reference.initial, screenRuleOf(trace)), CONNECT_TIMEOUT_MS);
  if (ready === undefined) {
    throw new Error(`the screen never matched the reference start of trace "${trace.name}"; it shows:\n${session.client.snapshot().rows.join('\n')}`);
  }
  await sleep(300);
  const traffic0 = await session.link.traffic();
  const cpu0 = tracker.sample().cpuMs;
  const engineBefore = await session.predictionStats?.();
  const startedAt = performance.now();
  let blackoutEndAt: number | undefined;
  let blackoutOver: Promise<void> = Promise.resolve();
  const changes: ScreenChange[] = [];
  const keys = await replay(session.client, trace, reference, {
    waitTimeoutMs: WAIT_TIMEOUT_MS + (link.blackout?.durationMs ?? 0),
    onScreen: (screen, at) => changes.push({ at, screen }),
    beforeKey: (index) => {
      if (link.blackout === undefined || index !== link.blackout.atKey) return;
      session.link.setBlackout(true);
      blackoutOver = sleep(link.blackout.durationMs).then(() => {
        session.link.setBlackout(false);
        blackoutEndAt = performance.now();
      });
    },
  });
  // A trace shorter than the outage must not leave the link dark for what follows.
  await blackoutOver;
  const traffic = diffTraffic(traffic0, await session.link.traffic());
  const engineAfter = await session.predictionStats?.();
  const engine = engineBefore === undefined || engineAfter === undefined ? undefined : counterDelta(engineBefore, engineAfter);
  const paths = engineAfter?.keyTimes === undefined ? undefined : keyPaths(keys, engineAfter.keyTimes, link.rttMs);
  const wrongGuesses = summarizeWrongGuesses(trace, reference, keys, changes, link.rttMs, startedAt);
  return { trace: trace.name, keys, traffic, cpuMs: tracker.sample().cpuMs - cpu0, wallMs: performance.now() - startedAt, ...(blackoutEndAt !== undefined ? { blackoutEndAt } : {}), wrongGuesses, ...(engine !== undefined ? { engine } : {}), ...(engineBefore?.knownPromptEpochs !== undefined ? { knownPromptEpochsBefore: engineBefore.knownPromptEpochs } : {}), ...(paths !== undefined ? { keyPaths: paths } : {}) };
}

function counterDelta(a: PredictionCounters, b: PredictionCounters): PredictionCounters {
  const known = b.knownPromptEpochs === undefined ? {} : { knownPromptEpochs: b.knownPromptEpochs - (a.knownPromptEpochs ?? 0) };
  const resends = b.clientResends === undefined ? {} : { clientResends: b.clientResends - (a.clientResends ?? 0) };
  return { predicted: b.predicted - a.predicted, confirmed: b.confirmed - a.confirmed, erased: b.erased - a.erased, discardedUnshown: b.discardedUnshown - a.discardedUnshown, ...known, ...resends };
}

function summarizeWrongGuesses(trace: Trace, reference: Reference, keys: readonly KeyTiming[], changes: readonly ScreenChange[], rttMs: number, startedAt: number): WrongGuessSummary {
  const report = detectWrongGuesses({
    kinds: trace.events.map((e) => e.kind),
    initial: reference.initial,
    afterKey: reference.afterKey,
    invisible: reference.invisible,
    screenRule: screenRuleOf(trace),
    sentAt: keys.map((k) => k.sentAt),
    shownAt: keys.map((k) => (k.latencyMs === undefined ? undefined : k.sentAt + k.latencyMs)),
    changes,
    rttMs,
  });
  const trimmed = (rows: readonly string[]): string[] => {
    const out = [...rows];
    while (out.length > 0 && out[out.length - 1] === '') out.pop();
    return out;
  };
  return {
    judgedKeys: report.judgedKeys,
    unjudgedRuns: report.unjudgedRuns,
    shownBeforeEcho: report.shownBeforeEcho,
    wrongKeys: report.wrongKeys,
    guessedKeys: report.guessedKeys,
    erasedShare: Number.isFinite(report.erasedShare) ? report.erasedShare : null,
    episodeCount: report.episodes.length,
    cursorOnlyEpisodes: report.episodes.filter((e) => e.cursorOnly).length,
    episodes: report.episodes.slice(0, EPISODES_KEPT).map((e) => ({
      atMs: Math.round(e.startAt - startedAt),
      durationMs: e.endAt === undefined ? null : Math.round(e.endAt - e.startAt),
      keys: e.keys,
      cursorOnly: e.cursorOnly,
      screen: trimmed(e.screen.rows),
    })),
  };
}

async function runShellSession(system: SystemName, context: SystemContext, trace: Trace, reference: Reference, link: LinkCase, idleMs: number, log: (m: string) => void): Promise<RunResult> {
  const { session, connectMs } = await connect(system, context, trace, link, promptRow);
  const tracker = new UsageTracker(() => session.serverPids());
  try {
    if (connectMs === undefined) throw new Error(`no prompt ${CONNECT_TIMEOUT_MS} ms after the client started`);
    const traceRun = await runTrace(session, tracker, trace, reference, link);
    const client = session.client;

    // Ctrl-C during a flood: the prompt must come back, after whatever the pipe still holds.
    client.type('seq 1 1000000000\r');
    await client.waitFor((screen) => screen.rows.some((row) => /^\d{4,}$/.test(row)), FLOOD_TIMEOUT_MS);
    await sleep(FLOOD_RUN_MS);
    const ctrlCAt = client.type('\x03');
    const promptAt = await client.waitFor(promptRow, FLOOD_TIMEOUT_MS);
    const ctrlCMs = promptAt === undefined ? undefined : promptAt - ctrlCAt;
    if (promptAt === undefined) {
      log(`  ${system}: no prompt ${FLOOD_TIMEOUT_MS / 1000} s after Ctrl-C; the rest of this run is skipped`);
      return { link: link.name, system, connectMs: [connectMs], traces: [traceRun], ctrlCMs, server: tracker.stop() };
    }

    // Bulk output: time until the last line and the prompt after it are on screen.
    await sleep(500);
    const bulkAt = client.type('seq 1 300000\r');
    // First the prompt under "300000", then (a frame may still be on its way) the whole final screen.
    await client.waitFor((screen) => promptRow(screen) && screen.rows[screen.cursorY - 1] === '300000', BULK_TIMEOUT_MS);
    const doneAt = await client.waitFor(bulkFinalScreen, BULK_SETTLE_MS);
    const bulkMs = doneAt === undefined ? undefined : doneAt - bulkAt;
    // The prompt back under "300000" while the rows above are not the numbers before it: a wrong screen, not a slow one.
    const after = client.snapshot();
    const bulkWrongScreen = doneAt === undefined && promptRow(after) && after.rows[after.cursorY - 1] === '300000' ? after.rows : undefined;
    if (bulkWrongScreen !== undefined) log(`  ${system} on ${link.name}: seq 1 300000 ended on a wrong screen:\n    ${bulkWrongScreen.join('\n    ')}`);

    // Idle: nothing typed, nothing printed; what does keeping the session cost? It starts once the link carries no
    // more than keep-alives (tsmosh may still be syncing the flood's scrollback tail: a cost of the flood, not of idling).
    await sleep(1000);
    const settled = await waitForQuietLink(() => session.link.traffic(), IDLE_QUIET_BOUND_MS, sleep);
    if (!settled.quiet) log(`  ${system} on ${link.name}: the link was still busy ${settled.waitedMs / 1000} s after the flood; idle measured anyway`);
    const idleTraffic0 = await session.link.traffic();
    const idleCpu0 = tracker.sample().cpuMs;
    await sleep(idleMs);
    const idle = { ms: idleMs, traffic: diffTraffic(idleTraffic0, await session.link.traffic()), cpuMs: tracker.sample().cpuMs - idleCpu0 };
    return { link: link.name, system, connectMs: [connectMs], traces: [traceRun], ctrlCMs, bulkMs, ...(bulkWrongScreen !== undefined ? { bulkWrongScreen } : {}), idle, server: tracker.stop() };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`  ${system} on ${link.name}: ${message}`);
    return { link: link.name, system, error: message, connectMs: [connectMs], traces: [], server: tracker.stop() };
  } finally {
    tracker.stop();
    await session.stop();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Summaries

interface LatencySummary {
  readonly keys: number;
  readonly missing: number;
  readonly medianMs: number;
  readonly meanMs: number;
  readonly p95Ms: number;
  readonly under5: number;
}

function summarizeLatency(keys: readonly KeyTiming[]): LatencySummary {
  const measured = keys.filter((k) => !k.invisible);
  const values = measured.flatMap((k) => (k.latencyMs === undefined ? [] : [k.latencyMs]));
  // A key that never appeared is slower than every key that did: it ranks last, so percentiles see it.
  const ranked = [...values, ...measured.filter((k) => k.latencyMs === undefined).map(() => Infinity)];
  return {
    keys: measured.length,
    missing: ranked.length - values.length,
    medianMs: median(ranked),
    meanMs: mean(values),
    p95Ms: percentile(ranked, 95),
    under5: ranked.length === 0 ? NaN : ranked.filter((v) => v < 5).length / ranked.length,
  };
}

const pct = (share: number): string => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : 'n/a');
const rttMultiple = (ms: number, rtt: number): string => (!Number.isFinite(ms) ? '∞' : rtt > 0 ? `${(ms / rtt).toFixed(2)}×` : formatMs(ms));
const kib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes >= 10_240 ? `${(bytes / 1024).toFixed(0)} KiB` : `${Math.round(bytes)} B`) : 'n/a');
const bound = (ms: number | undefined, limit: number): string => (ms === undefined ? `> ${formatMs(limit)}` : formatMs(ms));
const ratioOrNa = (ours: number | undefined, theirs: number | undefined): string => (ours === undefined || theirs === undefined ? 'n/a' : formatRatio(ours, theirs));

function keysOf(result: RunResult | undefined, trace: string, kinds: readonly string[]): KeyTiming[] {
  return (result?.traces ?? []).filter((t) => t.trace === trace).flatMap((t) => t.keys.filter((k) => kinds.includes(k.kind)));
}

export function buildTables(links: readonly LinkCase[], results: readonly RunResult[], allTraces: readonly string[]): { tables: Table[]; notes: string[] } {
  // The claude trace has its own table and goals (one row per seed); the other tables read one run per link and
  // system: the first with a trace other than claude's (a claude-only run has no shell figures).
  const find = (link: string, system: SystemName): RunResult | undefined =>
    results.find((r) => r.link === link && r.system === system && (r.error !== undefined || r.traces.some((t) => t.trace !== CLAUDE_TRACE)));
  const traces = allTraces.filter((trace) => trace !== CLAUDE_TRACE);
  const notes: string[] = [];
  const tables: Table[] = [];
  if (allTraces.includes(CLAUDE_TRACE)) {
    const claude = claudeTables(links, results);
    tables.push(...claude.tables);
    notes.push(...claude.notes);
  }

  for (const trace of traces) {
    const rows: string[][] = [];
    for (const link of links) {
      const moshTyping = summarizeLatency(keysOf(find(link.name, 'mosh'), trace, ['typing']));
      for (const system of SYSTEMS) {
        const result = find(link.name, system);
        if (result === undefined) continue;
        const s = summarizeLatency(keysOf(result, trace, ['typing']));
        if (s.keys === 0 && result.error !== undefined) {
          rows.push([link.label, system, 'failed', '', '', '', '', '', result.error.split('\n')[0]!.slice(0, 80)]);
          continue;
        }
        // This trace did not run on this link (the blackout links replay only the shell trace): no row of n/a.
        if (s.keys === 0) continue;
        rows.push([link.label, system, String(s.keys), formatMs(s.medianMs), formatMs(s.meanMs), formatMs(s.p95Ms), pct(s.under5), formatRatio(s.p95Ms, moshTyping.p95Ms), s.missing > 0 ? `${s.missing} never shown` : '']);
      }
    }
    tables.push({ caption: `Typing keys (printable and backspace) → on screen, ${trace} trace`, columns: ['link', 'system', 'keys', 'median', 'mean', 'p95', '< 5 ms', 'p95 ÷ mosh', ''], rows });
    const predicted = predictedKeyTable(links, trace, (link, system) => keysOf(find(link, system), trace, ['typing']));
    if (predicted !== undefined) tables.push(predicted);
    const paths = keyPathTable(
      trace,
      links.flatMap((link) => SYSTEMS.map((system) => ({ label: link.label, system, paths: (find(link.name, system)?.traces ?? []).filter((t) => t.trace === trace).flatMap((t) => t.keyPaths ?? []) }))),
    );
    if (paths !== undefined) tables.push(paths);
    const erased = wrongGuessTable(links, trace, find);
    if (erased !== undefined) tables.push(erased);
  }

  for (const trace of traces) {
    const rows: string[][] = [];
    for (const link of links) {
      const moshKeys = summarizeLatency(keysOf(find(link.name, 'mosh'), trace, ['enter', 'navigation']));
      for (const system of SYSTEMS) {
        const result = find(link.name, system);
        if (result === undefined || result.traces.length === 0) continue;
        const s = summarizeLatency(keysOf(result, trace, ['enter', 'navigation']));
        if (s.keys === 0) continue;
        rows.push([link.label, system, String(s.keys), rttMultiple(s.medianMs, link.rttMs), rttMultiple(s.p95Ms, link.rttMs), formatMs(s.medianMs), formatRatio(s.medianMs, moshKeys.medianMs)]);
      }
    }
    tables.push({ caption: `Unpredictable keys (Enter → output${trace === 'vim' ? ', vim normal-mode keys' : ''}) in multiples of the RTT, ${trace} trace`, columns: ['link', 'system', 'keys', 'median', 'p95', 'median (ms)', 'median ÷ mosh'], rows });
  }

  const rows: string[][] = [];
  const costRows: string[][] = [];
  for (const link of links) {
    const mosh = find(link.name, 'mosh');
    const moshConnect = mosh === undefined ? undefined : median(mosh.connectMs.map((c) => c ?? Infinity));
    const perKey = (r: RunResult | undefined): { bytes: number; packets: number } => {
      const t = r?.traces.find((x) => x.trace === 'shell');
      if (t === undefined || t.keys.length === 0) return { bytes: NaN, packets: NaN };
      return { bytes: (t.traffic.upBytes + t.traffic.downBytes) / t.keys.length, packets: (t.traffic.upPackets + t.traffic.downPackets) / t.keys.length };
    };
    const idlePerSecond = (r: RunResult | undefined): { bytes: number; packets: number; cpuMsPerS: number } =>
      r?.idle === undefined
        ? { bytes: NaN, packets: NaN, cpuMsPerS: NaN }
        : { bytes: ((r.idle.traffic.upBytes + r.idle.traffic.downBytes) * 1000) / r.idle.ms, packets: ((r.idle.traffic.upPackets + r.idle.traffic.downPackets) * 1000) / r.idle.ms, cpuMsPerS: (r.idle.cpuMs * 1000) / r.idle.ms };
    for (const system of SYSTEMS) {
      const r = find(link.name, system);
      if (r === undefined) continue;
      const connectValues = r.connectMs.map((c) => c ?? Infinity);
      const connectMedian = median(connectValues);
      rows.push([
        link.label,
        system,
        r.ctrlCMs === undefined && r.traces.length === 0 ? 'n/a' : bound(r.ctrlCMs, FLOOD_TIMEOUT_MS),
        ratioOrNa(r.ctrlCMs, mosh?.ctrlCMs),
        r.bulkWrongScreen !== undefined ? 'wrong final screen' : r.bulkMs === undefined && r.ctrlCMs === undefined ? 'n/a' : bound(r.bulkMs, BULK_TIMEOUT_MS),
        ratioOrNa(r.bulkMs, mosh?.bulkMs),
        `${formatMs(connectMedian)} (max ${formatMs(Math.max(...connectValues))}, ${connectValues.length} tries)`,
        ratioOrNa(connectMedian, moshConnect),
      ]);
      const key = perKey(r);
      const moshKey = perKey(mosh);
      const idle = idlePerSecond(r);
      const moshIdle = idlePerSecond(mosh);
      costRows.push([
        link.label,
        system,
        kib(key.bytes),
        Number.isFinite(key.packets) ? key.packets.toFixed(1) : 'n/a',
        formatRatio(key.bytes, moshKey.bytes),
        Number.isFinite(idle.bytes) ? `${Math.round(idle.bytes)} B` : 'n/a',
        Number.isFinite(idle.packets) ? idle.packets.toFixed(2) : 'n/a',
        formatRatio(idle.bytes, moshIdle.bytes),
        r.server === undefined ? 'n/a' : `${(r.server.cpuMs / 1000).toFixed(2)} s`,
        Number.isFinite(idle.cpuMsPerS) ? `${idle.cpuMsPerS.toFixed(1)} ms/s` : 'n/a',
        r.server === undefined ? 'n/a' : `${(r.server.peakRssKiB / 1024).toFixed(1)} MiB`,
        ratioOrNa(r.server?.peakRssKiB, mosh?.server?.peakRssKiB),
      ]);
    }
  }
  // A run of chosen traces without the shell trace has no shell session: no rows, no table.
  if (rows.length > 0) tables.push({ caption: 'Ctrl-C during a flood (`seq 1 1000000000`) until the prompt is back; `seq 1 300000` until its last line and the prompt are on screen; connect (client start → first prompt, median of tries)', columns: ['link', 'system', 'Ctrl-C → prompt', '÷ mosh', 'seq 1 300000', '÷ mosh', 'connect', '÷ mosh'], rows });
  if (costRows.length > 0) tables.push({
    caption: 'Cost: bytes (IP packets, headers included) and packets on the link per keystroke of the shell trace (echo and output included), per idle second; server CPU over the whole run, while idle, and peak RSS (tsmosh: the daemon; mosh: mosh-server; ssh: its sshd processes)',
    columns: ['link', 'system', 'bytes/key', 'packets/key', '÷ mosh', 'idle bytes/s', 'idle packets/s', '÷ mosh', 'server CPU', 'idle CPU', 'peak RSS', '÷ mosh'],
    rows: costRows,
  });

  // Blackouts: keys typed while the link was dark, and when the last of them appeared after it came back.
  const blackoutRows: string[][] = [];
  for (const link of links.filter((l) => l.blackout !== undefined)) {
    for (const system of SYSTEMS) {
      const run = find(link.name, system)?.traces.find((t) => t.trace === 'shell');
      if (run === undefined || run.blackoutEndAt === undefined) continue;
      const during = run.keys.filter((k) => k.sentAt < run.blackoutEndAt!);
      const last = Math.max(...during.map((k) => (k.latencyMs === undefined ? Infinity : k.sentAt + k.latencyMs)));
      blackoutRows.push([link.label, system, String(during.length), Number.isFinite(last) ? formatMs(Math.max(0, last - run.blackoutEndAt)) : 'never']);
    }
  }
  if (blackoutRows.length > 0) tables.push({ caption: 'Blackouts: keys typed before the link came back, and how long after it came back the last of them was on screen', columns: ['link', 'system', 'keys', 'caught up after'], rows: blackoutRows });

  // The issue's goals, reported (not asserted).
  const typing = (link: string, system: SystemName): LatencySummary => summarizeLatency(keysOf(find(link, system), 'shell', ['typing']));
  const enter = (link: string, system: SystemName): LatencySummary => summarizeLatency(keysOf(find(link, system), 'shell', ['enter']));
  const t300 = typing('rtt300-loss10', 'tsmosh');
  const m300 = typing('rtt300-loss10', 'mosh');
  if (t300.keys > 0) {
    notes.push(`Goal "printable keys at 300 ms RTT: ≥ 95 % on screen within 5 ms, p95 no worse than mosh's" (measured on the 300 ms, 10 % loss link): tsmosh ${pct(t300.under5)} within 5 ms, p95 ${formatMs(t300.p95Ms)} against mosh's ${formatMs(m300.p95Ms)} — ${t300.under5 >= 0.95 && t300.p95Ms <= m300.p95Ms ? 'met' : 'NOT met'}.`);
  }
  for (const [name, goal] of [['rtt100', 1.1], ['rtt100-loss29', 1.3]] as const) {
    const link = links.find((l) => l.name === name);
    const e = enter(name, 'tsmosh');
    if (link === undefined || e.keys === 0) continue;
    const m = enter(name, 'mosh');
    const ok = e.medianMs / link.rttMs <= goal && e.p95Ms / link.rttMs <= 2;
    notes.push(`Goal "unpredictable keys: median ≤ ${goal} × RTT, p95 ≤ 2 × RTT" on ${link.label}: tsmosh median ${rttMultiple(e.medianMs, link.rttMs)}, p95 ${rttMultiple(e.p95Ms, link.rttMs)} (mosh ${rttMultiple(m.medianMs, link.rttMs)} / ${rttMultiple(m.p95Ms, link.rttMs)}; ${e.keys} keys, few for a p95) — ${ok ? 'met' : 'NOT met'}.`);
  }
  for (const link of links.filter((l) => l.rttMs > 0 && l.blackout === undefined)) {
    const r = find(link.name, 'tsmosh');
    if (r === undefined || r.traces.length === 0) continue;
    const goal = link.rttMs + 100;
    notes.push(`Goal "Ctrl-C during a flood: prompt back within RTT + 100 ms" (${goal} ms) on ${link.label}: tsmosh ${bound(r.ctrlCMs, FLOOD_TIMEOUT_MS)}, mosh ${find(link.name, 'mosh') === undefined ? 'not run' : bound(find(link.name, 'mosh')?.ctrlCMs, FLOOD_TIMEOUT_MS)} — ${r.ctrlCMs !== undefined && r.ctrlCMs <= goal ? 'met' : 'NOT met'} (one flood per run).`);
  }
  const lossy = find('rtt100-loss29', 'tsmosh');
  if (lossy !== undefined) {
    const values = lossy.connectMs.map((c) => c ?? Infinity);
    const moshValues = find('rtt100-loss29', 'mosh')?.connectMs.map((c) => c ?? Infinity) ?? [];
    notes.push(`Goal "connect at 29 % loss each way under 1 s": tsmosh ${values.map((v) => formatMs(v)).join(', ')}; mosh ${moshValues.map((v) => formatMs(v)).join(', ')} — ${Math.max(...values) < 1000 ? 'met in every try' : 'NOT met in every try'}.`);
  }
  for (const link of links) {
    const t = find(link.name, 'tsmosh');
    const m = find(link.name, 'mosh');
    const tKey = t?.traces.find((x) => x.trace === 'shell');
    const mKey = m?.traces.find((x) => x.trace === 'shell');
    if (tKey === undefined || mKey === undefined || tKey.keys.length === 0 || mKey.keys.length === 0) continue;
    const tb = (tKey.traffic.upBytes + tKey.traffic.downBytes) / tKey.keys.length;
    const mb = (mKey.traffic.upBytes + mKey.traffic.downBytes) / mKey.keys.length;
    const ti = t?.idle === undefined ? NaN : t.idle.traffic.upBytes + t.idle.traffic.downBytes;
    const mi = m?.idle === undefined ? NaN : m.idle.traffic.upBytes + m.idle.traffic.downBytes;
    notes.push(`Goal "bytes per keystroke and per idle minute no more than mosh's" on ${link.label}: per key ${kib(tb)} vs ${kib(mb)} (${formatRatio(tb, mb)}), idle ${kib(ti)} vs ${kib(mi)} over ${((t?.idle?.ms ?? 0) / 1000).toFixed(0)} s (${formatRatio(ti, mi)}) — ${tb <= mb && (!(ti > mi)) ? 'met' : 'NOT met'}.`);
  }
  notes.push(...latencyGoalNotes(links, find));
  notes.push(...returningNotes(SYSTEMS, results.flatMap((r) => (r.warmUp === undefined ? [] : [{ link: links.find((l) => l.name === r.link)?.label ?? r.link, record: r.warmUp }]))));
  for (const link of links) {
    const [firstEver, again] = [traceRunOf(find(link.name, 'tsmosh'), 'shell'), traceRunOf(find(link.name, RETURNING_SYSTEM), 'shell')];
    if (firstEver === undefined || again === undefined) continue;
    const note = firstKeysNote(link.label, firstEver.keys, again.keys, { firstEver: firstEver.engine?.knownPromptEpochs, returning: again.engine?.knownPromptEpochs });
    if (note !== undefined) notes.push(note);
  }
  notes.push(...wrongGuessNotes(links, traces, find));
  const thin = thinFloodTable(links, find);
  tables.push(...thin.tables);
  notes.push(...thin.notes);
  for (const r of results.filter((x) => x.bulkWrongScreen !== undefined)) {
    const rows = r.bulkWrongScreen!;
    const y = rows.findIndex((row, i) => i < rows.length - 2 && row !== String(300000 - (rows.length - 2 - i)));
    notes.push(`${r.system} on ${r.link}: after \`seq 1 300000\` the prompt came back under "300000", but the rows above are wrong (row ${y} shows "${rows[y]}" where "${300000 - (rows.length - 2 - y)}" belongs; mosh and ssh show the right numbers): a screen-fidelity fault when output scrolls, so no time to the final screen.`);
  }
  for (const r of results.filter((x) => x.error !== undefined)) notes.push(`${r.system} on ${r.link} failed: ${r.error!.split('\n')[0]}`);
  return { tables, notes };
}

const CLAUDE_TRACE = 'claude';
/** The issue's figure for the claude trace (issue 12), checked in every run (every seed) on its links. */
const CLAUDE_GOAL = '≥ 95 % of typed keys on screen before any echo could return, p95 ≤ a quarter of mosh\'s, no wrong guess left on screen';
const CLAUDE_GOAL_SHARE = 0.95;
const CLAUDE_GOAL_P95_OF_MOSH = 0.25;

/** What issue 12 asks of one run of the claude trace (one link, seed and system). */
interface ClaudeFigures {
  /** Typing keys with a visible effect. */
  readonly typed: number;
  /** Of those, on screen sooner than the link's round-trip delay: drawn before any echo could have returned. */
  readonly beforeEcho: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly missing: number;
  readonly episodes: number;
  readonly keysInvolved: number;
  /** Wrong screens still up one round trip after they appeared, or when their run of typing ended: left on screen. */
  readonly leftOnScreen: number;
}

function claudeFigures(run: TraceRun, rttMs: number): ClaudeFigures {
  const typing = run.keys.filter((k) => k.kind === 'typing' && !k.invisible);
  const latency = summarizeLatency(typing);
  const w = run.wrongGuesses;
  return {
    typed: typing.length,
    beforeEcho: typing.filter((k) => k.latencyMs !== undefined && k.latencyMs < rttMs).length,
    medianMs: latency.medianMs,
    p95Ms: latency.p95Ms,
    missing: latency.missing,
    episodes: w?.episodeCount ?? 0,
    keysInvolved: w?.wrongKeys ?? 0,
    leftOnScreen: (w?.episodes ?? []).filter((e) => e.durationMs === null || e.durationMs > rttMs).length,
  };
}

/** The claude trace: one row per link, seed and system, and the issue's goal per link over every seed. */
function claudeTables(links: readonly LinkCase[], results: readonly RunResult[]): { tables: Table[]; notes: string[] } {
  const rows: string[][] = [];
  const notes: string[] = [];
  const seedOf = (r: RunResult): number => r.seed ?? DEFAULT_LINK_SEED;
  for (const link of links) {
    const runs = results.filter((r) => r.link === link.name && (traceRunOf(r, CLAUDE_TRACE) !== undefined || r.traceErrors?.some((e) => e.trace === CLAUDE_TRACE)));
    const seeds = [...new Set(runs.map(seedOf))].sort((a, b) => a - b);
    const verdicts: string[] = [];
    let met = seeds.length > 0;
    for (const seed of seeds) {
      const of = (system: SystemName): TraceRun | undefined => traceRunOf(runs.find((r) => r.system === system && seedOf(r) === seed), CLAUDE_TRACE);
      const mosh = of('mosh');
      const moshFigures = mosh === undefined ? undefined : claudeFigures(mosh, link.rttMs);
      for (const system of SYSTEMS) {
        const result = runs.find((r) => r.system === system && seedOf(r) === seed);
        if (result === undefined) continue;
        const run = traceRunOf(result, CLAUDE_TRACE);
        if (run === undefined) {
          const error = result.traceErrors?.find((e) => e.trace === CLAUDE_TRACE)?.error ?? 'no run';
          rows.push([link.label, String(seed), system, 'failed', '', '', '', '', '', '', error.split('\n')[0]!.slice(0, 80)]);
          continue;
        }
        const f = claudeFigures(run, link.rttMs);
        rows.push([
          link.label,
          String(seed),
          system,
          String(f.typed),
          link.rttMs === 0 ? 'n/a' : `${pct(f.beforeEcho / f.typed)} (${f.beforeEcho})`,
          formatMs(f.medianMs),
          formatMs(f.p95Ms),
          moshFigures === undefined ? 'n/a' : formatRatio(f.p95Ms, moshFigures.p95Ms),
          `${f.episodes} (${f.keysInvolved} keys)`,
          String(f.leftOnScreen),
          `${engineText(run.engine)}${f.missing > 0 ? `${run.engine !== undefined ? '; ' : ''}${f.missing} never shown` : ''}`,
        ]);
      }
      const t = of('tsmosh');
      if (t === undefined || moshFigures === undefined || link.rttMs === 0) {
        met = false;
        verdicts.push(`seed ${seed}: ${t === undefined ? 'no tsmosh run' : 'no mosh run'}`);
        continue;
      }
      const f = claudeFigures(t, link.rttMs);
      const ok = f.beforeEcho / f.typed >= CLAUDE_GOAL_SHARE && f.p95Ms <= CLAUDE_GOAL_P95_OF_MOSH * moshFigures.p95Ms && f.leftOnScreen === 0;
      met &&= ok;
      verdicts.push(`seed ${seed}: tsmosh ${pct(f.beforeEcho / f.typed)} before echo, p95 ${formatMs(f.p95Ms)} vs mosh's ${formatMs(moshFigures.p95Ms)} (mosh ${pct(moshFigures.beforeEcho / moshFigures.typed)} before echo), ${f.leftOnScreen} wrong screen(s) left on screen of ${f.episodes}`);
    }
    if (seeds.length > 0 && link.rttMs > 0) notes.push(`Goal "${CLAUDE_GOAL}" in every run, the real Claude Code (claude trace) on ${link.label}: ${verdicts.join('; ')} — ${met ? 'met' : 'NOT met'}.`);
  }
  if (rows.length === 0) return { tables: [], notes };
  return {
    tables: [
      {
        caption: 'The real Claude Code (claude trace): typing keys on screen before any echo could return (sooner than the RTT), latency, wrong screens read off the screen (episodes, keys involved, left on screen past one RTT) and tsmosh\'s own engine, per link seed',
        columns: ['link', 'seed', 'system', 'typing keys', 'before echo', 'median', 'p95', 'p95 ÷ mosh', 'wrong screens', 'left on screen', 'tsmosh engine'],
        rows,
      },
    ],
    notes,
  };
}

/** A share as a percentage with one decimal: one wrong key in a few hundred must not read as 0 %. */
const pct1 = (share: number | null | undefined): string => (share === null || share === undefined || !Number.isFinite(share) ? 'n/a' : `${(share * 100).toFixed(1)} %`);
const traceRunOf = (result: RunResult | undefined, trace: string): TraceRun | undefined => result?.traces.find((t) => t.trace === trace);
const engineText = (e: PredictionCounters | undefined): string => (e === undefined ? '' : `${e.predicted} predicted, ${e.confirmed} confirmed, ${e.erased} erased, ${e.discardedUnshown} dropped unshown${e.knownPromptEpochs !== undefined ? `, ${e.knownPromptEpochs} known-prompt epochs` : ''}`);

/** Erased predictions beside the typing latencies: one row per link and system that ran this trace with the detector. */
function wrongGuessTable(links: readonly LinkCase[], trace: string, find: (link: string, system: SystemName) => RunResult | undefined): Table | undefined {
  const rows: string[][] = [];
  for (const link of links) {
    for (const system of SYSTEMS) {
      const run = traceRunOf(find(link.name, system), trace);
      if (run === undefined || run.keys.length === 0) continue;
      const w = run.wrongGuesses;
      if (w === undefined) {
        rows.push([link.label, system, 'n/a (run older than the detector)', '', '', '', '', '']);
        continue;
      }
      const episodes = `${w.episodeCount}${w.cursorOnlyEpisodes > 0 ? ` (${w.cursorOnlyEpisodes} cursor only)` : ''}`;
      const share = system === 'ssh' ? 'n/a (no prediction)' : link.rttMs === 0 ? 'n/a (no delay)' : `${pct1(w.erasedShare)} (${w.wrongKeys} of ${w.guessedKeys})`;
      rows.push([link.label, system, `${w.judgedKeys}${w.unjudgedRuns > 0 ? ` (${w.unjudgedRuns} runs unjudged)` : ''}`, link.rttMs === 0 ? 'n/a' : String(w.shownBeforeEcho), episodes, String(w.wrongKeys), share, engineText(run.engine)]);
    }
  }
  if (rows.length === 0 || rows.every((row) => row[2]!.startsWith('n/a'))) return undefined;
  return {
    caption: `Predictions that had to be erased while typing, ${trace} trace (read off the screen; ssh predicts nothing, so its row is the rule's control; last column: tsmosh's own engine over the whole trace, navigation keys included)`,
    columns: ['link', 'system', 'typing keys', 'shown before echo', 'wrong screens', 'keys involved', 'erased share', 'tsmosh engine'],
    rows,
  };
}

function wrongGuessNotes(links: readonly LinkCase[], traces: readonly string[], find: (link: string, system: SystemName) => RunResult | undefined): string[] {
  const notes: string[] = [];
  const shareText = (run: TraceRun | undefined): string | undefined =>
    run?.wrongGuesses === undefined ? undefined : `${pct1(run.wrongGuesses.erasedShare)} (${run.wrongGuesses.wrongKeys} of ${run.wrongGuesses.guessedKeys} keys guessed on screen, ${run.wrongGuesses.episodeCount} wrong screens)`;
  for (const link of links.filter((l) => l.rttMs > 0)) {
    const parts: string[] = [];
    for (const trace of traces) {
      const t = shareText(traceRunOf(find(link.name, 'tsmosh'), trace));
      const m = shareText(traceRunOf(find(link.name, 'mosh'), trace));
      if (t === undefined && m === undefined) continue;
      parts.push(`${trace} trace: tsmosh ${t ?? 'n/a'}, mosh ${m ?? 'n/a'}`);
    }
    if (parts.length > 0) notes.push(`Goal "the share of predictions that had to be erased, beside mosh's on the same link and trace in the same run" on ${link.label} (reported; the issue sets no bound): ${parts.join('; ')}.`);
  }
  for (const link of links) {
    for (const trace of traces) {
      const ssh = traceRunOf(find(link.name, 'ssh'), trace)?.wrongGuesses;
      if (ssh !== undefined && ssh.episodeCount > 0) {
        notes.push(`The erased-prediction rule flagged ${ssh.episodeCount} wrong screen(s) for ssh, which predicts nothing, on ${link.label}, ${trace} trace: screens the program itself showed but no reference run did (each episode's first screen is in the results file); read the tsmosh and mosh counts there with that margin.`);
      }
      const tsmosh = traceRunOf(find(link.name, 'tsmosh'), trace);
      const w = tsmosh?.wrongGuesses;
      if (w !== undefined && tsmosh?.engine !== undefined && tsmosh.engine.erased !== w.episodeCount) {
        notes.push(`tsmosh on ${link.label}, ${trace} trace: its prediction engine counted ${tsmosh.engine.erased} erased guess(es) where the screen showed ${w.episodeCount} wrong screen(s) (${engineText(tsmosh.engine)}). The two count different things: the engine counts each guess (a cell or the cursor) it judged wrong in a displayed epoch, whether or not it was ever drawn differently from the truth; the screen rule counts what a user could have seen.`);
      }
    }
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------------------------

/** mosh and OpenSSH come from Debian's packages; the set-up script installs what is missing (needs root and apt). */
function ensureInstalled(log: (m: string) => void): void {
  const missing = ['/usr/bin/mosh-server', '/usr/bin/mosh-client', '/usr/sbin/sshd', '/usr/bin/ssh', '/usr/sbin/ip'].filter((path) => !existsSync(path));
  if (missing.length === 0) return;
  log(`  installing what ${missing.join(', ')} need(s): bench/src/lossy/setup.sh`);
  execFileSync('sh', [fileURLToPath(new URL('../../src/lossy/setup.sh', import.meta.url))], { stdio: 'inherit' });
}

async function run(context: BenchContext): Promise<ScenarioResult> {
  const plan = PLAN[context.mode];
  // TSMOSH_BENCH_LINKS=name,name… reruns chosen links only (to reproduce one figure).
  const chosen = process.env.TSMOSH_BENCH_LINKS?.split(',');
  const links = LINKS.filter((l) => (chosen !== undefined ? chosen.includes(l.name) : context.mode === 'quick' ? l.quick : l.full));
  // TSMOSH_BENCH_PIN: this process is the user's terminal, on the laptop's CPUs until the run ends (cpu-sides.ts).
  if (CPU_SIDES !== undefined) {
    pinProcess(process.pid, CPU_SIDES.laptop);
    context.log(`  TSMOSH_BENCH_PIN: laptop side (harness, clients) on CPU ${CPU_SIDES.laptop}, server side (daemons, sshd, the programs) on CPU ${CPU_SIDES.server}, links on ${CPU_SIDES.all}`);
  }
  try {
    return await runPinned(context, plan, links, chosen);
  } finally {
    if (CPU_SIDES !== undefined) pinProcess(process.pid, CPU_SIDES.all);
  }
}

async function runPinned(context: BenchContext, plan: (typeof PLAN)[keyof typeof PLAN], links: readonly LinkCase[], chosen: readonly string[] | undefined): Promise<ScenarioResult> {
  const shell = prefixOf(loadTrace('shell'), plan.shellKeys);
  const chosenNames = chosenTraces(context.mode);
  const otherTraces = chosenNames.others.map(loadTrace);
  const references = new Map<string, Reference>();
  for (const trace of [...(chosenNames.shell ? [shell] : []), ...otherTraces]) references.set(trace.name, await referenceFor(trace, context.log));

  ensureInstalled(context.log);
  const pair = createNamespaces();
  const sshd = new NamespacedSshd(pair);
  // The returning user's client state folders, warmed up with the shell trace's program (the same prompt).
  const returning = SYSTEMS.includes(RETURNING_SYSTEM) ? returningUser(shell.command, LINK_SEED) : undefined;
  const systemContext: SystemContext = { pair, sshd, ...(returning !== undefined ? { returning } : {}) };
  const results: RunResult[] = [];
  const partialPath = fileURLToPath(new URL(`../../results/lossy-link.partial${chosen !== undefined ? `-${chosen.join('-')}` : ''}${LINK_SEED !== DEFAULT_LINK_SEED ? `-seed${LINK_SEED}` : ''}.json`, import.meta.url));
  mkdirSync(dirname(partialPath), { recursive: true });
  try {
    await sshd.start();
    for (const link of links) {
      for (const system of SYSTEMS) {
        if (system === 'node-relay' && !relayCanRun(link.spec, link.blackout !== undefined)) {
          context.log(`${link.label}: node-relay skipped (it has no retransmission; this link loses or reorders datagrams)`);
          continue;
        }
        const startedAt = performance.now();
        const result: RunResult = chosenNames.shell
          ? { ...(await runShellSession(system, systemContext, shell, references.get('shell')!, link, plan.idleMs, context.log)), seed: LINK_SEED }
          : { link: link.name, system, seed: LINK_SEED, connectMs: [], traces: [] };
        // Extra connects on the lossy links: one try says little when the first datagrams may be lost.
        if (chosenNames.shell && (plan.extraConnectLinks as readonly string[]).includes(link.name) && result.error === undefined) {
          for (let i = 0; i < plan.extraConnects; i++) {
            // Another seed per try: the same seed and the same first datagrams would drop the same ones every time.
            const { session, connectMs } = await connect(system, systemContext, shell, link, promptRow, LINK_SEED + 1 + i);
            await session.stop();
            result.connectMs.push(connectMs);
          }
        }
        if (chosenNames.shell && link.name === THIN_LINK && result.error === undefined) {
          try {
            // Just before the system's own, in the same spell of the machine's load: every system alike.
            result.thinReference = await runThinReference(context.log);
            result.thinFlood = await runThinFlood(system, systemContext, link, LINK_SEED, context.log);
          } catch (error) {
            context.log(`  ${system} on ${link.name}, beside the flood: ${(error as Error).message}`);
            result.thinFloodError = (error as Error).message;
          }
        }
        if (link.blackout === undefined) {
          for (const trace of otherTraces) {
            const { session } = await connect(system, systemContext, trace, link, () => true, LINK_SEED);
            const tracker = new UsageTracker(() => session.serverPids());
            try {
              result.traces.push(await runTrace(session, tracker, trace, references.get(trace.name)!, link));
            } catch (error) {
              context.log(`  ${system} on ${link.name}, ${trace.name}: ${(error as Error).message}`);
              (result.traceErrors ??= []).push({ trace: trace.name, error: (error as Error).message });
            } finally {
              tracker.stop();
              await session.stop();
            }
          }
        }
        result.memory = memoryOf(system);
        const warmUp = system === RETURNING_SYSTEM ? await returning?.record(link.spec) : undefined;
        if (warmUp !== undefined) result.warmUp = warmUp;
        results.push(result);
        // Each system's figures as soon as they exist: a long full pass stopped early (a time box, a crash) still leaves them.
        writeFileSync(partialPath, `${JSON.stringify({ partial: true, mode: context.mode, seed: LINK_SEED, links: links.map((l) => l.name), results }, null, 1)}\n`);
        const typingText = result.traces.map((t) => {
          const typing = summarizeLatency(keysOf(result, t.trace, ['typing']));
          return `${t.trace} typing median ${formatMs(typing.medianMs)} p95 ${formatMs(typing.p95Ms)}`;
        });
        const shellText = chosenNames.shell ? `, Ctrl-C ${bound(result.ctrlCMs, FLOOD_TIMEOUT_MS)}, seq ${bound(result.bulkMs, BULK_TIMEOUT_MS)}, connect ${result.connectMs.map((c) => bound(c, CONNECT_TIMEOUT_MS)).join('/')}` : '';
        const localText = result.thinReference?.ctrlCMs == null ? '' : ` (local ${Math.round(result.thinReference.ctrlCMs)} ms)`;
        const thinText = result.thinFlood === undefined ? '' : `; beside the flood: echo ${result.thinFlood.echoMs.map((ms) => (ms === null ? '∞' : Math.round(ms))).join(' ')} ms, Ctrl-C ${result.thinFlood.ctrlCMs === null ? '∞' : Math.round(result.thinFlood.ctrlCMs)} ms${localText}`;
        context.log(`  ${link.name} · seed ${LINK_SEED} · ${system}: ${typingText.join('; ')}${shellText}${thinText} (${((performance.now() - startedAt) / 1000).toFixed(0)} s)`);
      }
    }
  } finally {
    returning?.cleanup();
    await sshd.stop();
    deleteNamespaces(pair);
  }

  const traceNames = [...(chosenNames.shell ? [shell.name] : []), ...otherTraces.map((t) => t.name)];
  const { tables, notes } = buildTables(links, results, traceNames);
  if (CPU_SIDES !== undefined) {
    notes.unshift(`Pinned run (TSMOSH_BENCH_PIN): every system's laptop side (the harness's terminal, the client) on CPU ${CPU_SIDES.laptop} and its server side (the daemon, sshd, the program, and the local reference run's program) on CPU ${CPU_SIDES.server}, the link process on either: two one-core machines, not the shared cores of an unpinned run. Read these figures beside an unpinned run's, not instead of them.`);
  }
  const chartsDir = context.chartsDir;
  mkdirSync(chartsDir, { recursive: true });
  const charts: string[] = [];
  for (const link of links) {
    for (const trace of traceNames) {
      const series = SYSTEMS.map((system) => {
        const keys = keysOf(results.find((r) => r.link === link.name && r.system === system), trace, ['typing', 'enter', 'navigation']).filter((k) => !k.invisible);
        return { label: system, colour: CHART_COLOURS[system], values: keys.flatMap((k) => (k.latencyMs === undefined ? [] : [k.latencyMs])), missing: keys.filter((k) => k.latencyMs === undefined).length };
      });
      if (series.every((s) => s.values.length + s.missing === 0)) continue;
      const file = `lossy-link-${link.name}-${trace}.svg`;
      writeFileSync(`${chartsDir}${file}`, cdfChart(`${trace} trace, every key: ${link.label}`, series, link.rttMs));
      // Drawn in the page (an image), not only linked.
      charts.push(`![${link.label}, ${trace}](charts/${file})`);
    }
  }
  notes.push(`Latency distributions (share of keys on screen by time, all keys of the trace):\n\n${charts.join('\n')}`);
  return {
    tables,
    notes,
    data: { links, plan, seed: LINK_SEED, ...(CPU_SIDES === undefined ? {} : { cpuSides: CPU_SIDES }), traces: traceNames.map((name) => ({ name, keys: name === 'shell' ? shell.events.length : otherTraces.find((t) => t.name === name)!.events.length })), results },
  };
}

export const lossyLink: Scenario = {
  name: 'lossy-link',
  title: 'tsmosh, mosh and ssh on the same emulated links, as a user feels it',
  run,
};
