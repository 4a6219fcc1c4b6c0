/**
 * The thin link's own figure (issue 18): on 1 Mbit/s with a 64 KB buffer, 40 ms RTT and 1 % loss, while
 * `seq 1 10000000` runs in the session, how long a typed key takes to show and how long Ctrl-C takes to bring the
 * prompt back, in multiples of the RTT, for tsmosh, mosh and ssh in one run. The goal: both ≤ 2 × RTT.
 *
 * The session runs tmux with two panes (thin-session.ts): the flood in the top one, a shell in the bottom one, as a
 * user types beside a long command. In a single pane a key's echo is written into the flood and scrolls away within
 * a millisecond, so no screen could show it; in its own pane it stays, and every system has to carry the flood's
 * screens and the echo over the same thin path. tmux's prefix (Ctrl-B) and `o` move between the panes.
 */
import { fileURLToPath } from 'node:url';
import type { LinkCase, RunResult } from '../scenarios/lossy-link.js';
import type { Table } from '../scenario.js';
import { formatMs, median, percentile } from '../stats.js';
import type { ScreenSnapshot } from './screen.js';
import { ROWS } from './screen.js';
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { benchTempDir } from '../run-folder.js';
import { CPU_SIDES, onSide } from './cpu-sides.js';
import { harnessTraceFrom } from './harness-trace.js';
import { ScreenProgram } from './screen.js';
import { SYSTEMS, sessionEnvironment, startSession, type PredictionCounters, type SystemContext, type SystemName } from './systems.js';

/** The link this figure is measured on (lossy-link.ts's LINKS). */
export const THIN_LINK = 'thin';
export const THIN_FLOOD_COMMAND = 'seq 1 10000000';
/** The goal, in multiples of the link's RTT, for the keystroke echo's p95 and for Ctrl-C → prompt. */
export const THIN_GOAL_RTTS = 2;
const THIN_SESSION = fileURLToPath(new URL('./thin-session.js', import.meta.url));
/** The bottom pane's height (rows): a prompt and a few lines; the flood gets the rest. */
const INPUT_PANE_ROWS = 4;
/** The first row of the bottom pane (tmux draws a border row between the panes). */
const INPUT_TOP = ROWS - INPUT_PANE_ROWS;
/** Keys typed beside the flood: letters (the flood prints only digits), one every KEY_GAP_MS, as a person types. */
const KEYS = 'typingbesideflood';
const KEY_GAP_MS = 150;
/** How long the flood runs before the first key (ms): every system is deep in it. */
const FLOOD_LEAD_MS = 500;
/** Bounds for a stuck run (ms), far beyond any sane figure: a key not shown by then counts as never shown. */
const READY_TIMEOUT_MS = 60_000;
const ECHO_TIMEOUT_MS = 15_000;
const PROMPT_TIMEOUT_MS = 30_000;
/** Bound on asking tmux for its counters (ms): a tmux command answers in a few ms even on the loaded machine. */
const TMUX_QUERY_TIMEOUT_MS = 5_000;
const execFileAsync = promisify(execFile);
/** Bound on a traced run's client exiting after its hang-up (ms); it exits within a few ms unless the machine stalls. */
const CLIENT_EXIT_GRACE_MS = 2_000;

export interface ThinFloodRun {
  /** ms from each typed key to its echo in the bottom pane; null: not shown within ECHO_TIMEOUT_MS. */
  readonly echoMs: Array<number | null>;
  /** ms from Ctrl-C in the top pane to its prompt; null: not within PROMPT_TIMEOUT_MS. */
  readonly ctrlCMs: number | null;
  /** The flood had already ended on screen before Ctrl-C (then Ctrl-C measured nothing of it). */
  readonly floodEndedFirst: boolean;
  /**
   * tsmosh only: its prediction engine over the typed keys (the counters after the last echo less those before the
   * first key): `knownPrompt` true when an epoch began at a known prompt meanwhile (the keys are one line, so that is
   * the first key's: it could be shown at once).
   */
  readonly engine?: { readonly erased: number; readonly knownPrompt: boolean };
  /**
   * tmux's count of the bytes it threw away because its terminal (the daemon, mosh-server, the harness) did not take
   * them fast enough (`#{client_discarded}`): after the keys (before the pane switch back) and once the prompt showed.
   * tmux 3.3a then stops drawing and redraws from a 100 ms timer only after an interval with nothing drawn (session 10
   * in the journal), so a count that grew between the two means Ctrl-C's prompt waited for that timer. Absent where
   * tmux could not be asked.
   */
  readonly tmuxDiscarded?: { readonly beforeCtrlC: number; readonly atPrompt: number };
}

/**
 * The local reference (no network at all): the same tmux session and flood in a pty of this harness, driven by the
 * same steps. Its Ctrl-C → prompt is tmux's (and bash's, and seq's) own time under the flood, the part of a system's
 * figure that no remote terminal can take away; what a system's figure has beyond it is the link's and the system's.
 */
export const LOCAL_REFERENCE = 'local';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const inTopPane = (screen: ScreenSnapshot): boolean => screen.cursorY < INPUT_TOP - 1;
const inputRows = (screen: ScreenSnapshot): readonly string[] => screen.rows.slice(INPUT_TOP);
const topPrompt = (screen: ScreenSnapshot): boolean => inTopPane(screen) && screen.rows[screen.cursorY] === '$' && screen.cursorX === 2;
const floodShowing = (screen: ScreenSnapshot): boolean => screen.rows.slice(0, INPUT_TOP).some((row) => /^\d{4,}$/.test(row));

/** One system's run: a session of its own on the thin link, the flood, the keys beside it, Ctrl-C. */
export async function runThinFlood(system: SystemName, context: SystemContext, link: LinkCase, seed: number, log: (m: string) => void): Promise<ThinFloodRun> {
  const folder = benchTempDir('tsmosh-bench-thin-socket-');
  const socket = join(folder, 'tmux.sock');
  try {
    const session = await startSession(system, context, ['node', THIN_SESSION, String(INPUT_PANE_ROWS), socket], link.spec, seed);
    try {
      return await thinFloodSteps(session.client, `${system} on ${link.name}`, log, socket, session.predictionStats?.bind(session));
    } finally {
      // Traced: the client is hung up first, so that it writes the trace lines it still holds as it exits (stop()
      // kills it outright, and a flood's last lines, Ctrl-C's among them, were lost with it).
      if (harnessTraceFrom() !== undefined) await session.client.hangUp(CLIENT_EXIT_GRACE_MS);
      await session.stop();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}

/**
 * The local reference's run (LOCAL_REFERENCE): thin-session.ts in a pty of this harness, on the server side's CPUs as
 * the measured runs' program is (cpu-sides.ts), the same steps as runThinFlood's.
 */
export async function runThinReference(log: (m: string) => void): Promise<ThinFloodRun> {
  const folder = benchTempDir('tsmosh-bench-thin-socket-');
  const socket = join(folder, 'tmux.sock');
  const command = onSide(CPU_SIDES, 'server', process.execPath, [THIN_SESSION, String(INPUT_PANE_ROWS), socket]);
  const program = new ScreenProgram({ file: command.file, args: command.args, env: sessionEnvironment(), cwd: homedir() });
  try {
    return await thinFloodSteps(program, `${LOCAL_REFERENCE} (no network)`, log, socket);
  } finally {
    // Hung up rather than killed: thin-session.ts then stops its tmux server and removes its folder.
    await program.hangUp();
    rmSync(folder, { recursive: true, force: true });
  }
}

/** tmux's `#{client_discarded}` for the session's one client, or undefined when tmux does not answer. */
async function tmuxDiscarded(socket: string): Promise<number | undefined> {
  try {
    const { stdout } = await execFileAsync('tmux', ['-S', socket, 'list-clients', '-F', '#{client_discarded}'], { timeout: TMUX_QUERY_TIMEOUT_MS });
    const value = Number(stdout.trim().split('\n')[0]);
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The steps of a run on a screen that shows thin-session.ts's two panes (a system's client, or the program itself). */
async function thinFloodSteps(client: ScreenProgram, name: string, log: (m: string) => void, socket: string, predictionStats?: () => Promise<PredictionCounters | undefined>): Promise<ThinFloodRun> {
  const trace = harnessTraceFrom();
  const ready = await client.waitFor((s) => s.rows[0] === '$' && inputRows(s).includes('$') && topPrompt(s), READY_TIMEOUT_MS);
  if (ready === undefined) throw new Error(`${name}: the two panes' prompts never showed; the screen shows:\n${client.snapshot().rows.join('\n')}`);
  client.type(`${THIN_FLOOD_COMMAND}\r`);
  if ((await client.waitFor(floodShowing, PROMPT_TIMEOUT_MS)) === undefined) throw new Error(`${name}: ${THIN_FLOOD_COMMAND} never showed its numbers`);
  await sleep(FLOOD_LEAD_MS);
  // Read while the flood runs, before the keys: a counter read costs the client a file write.
  const before = await predictionStats?.();
  // To the bottom pane.
  client.type('\x02o');
  if ((await client.waitFor((s) => s.cursorY >= INPUT_TOP, ECHO_TIMEOUT_MS)) === undefined) throw new Error(`${name}: the bottom pane never took the cursor`);
  const echoes: Array<Promise<number | null>> = [];
  for (let i = 0; i < KEYS.length; i++) {
    const shown = `$ ${KEYS.slice(0, i + 1)}`;
    const sentAt = client.type(KEYS[i]!);
    trace?.typed(sentAt, 'typing');
    echoes.push(
      client.waitFor((s) => inputRows(s).some((row) => row.startsWith(shown)), ECHO_TIMEOUT_MS).then((at) => {
        if (at !== undefined) trace?.shown(at, i);
        return at === undefined ? null : at - sentAt;
      }),
    );
    await sleep(KEY_GAP_MS);
  }
  const echoMs = await Promise.all(echoes);
  const after = await predictionStats?.();
  const discardedBefore = await tmuxDiscarded(socket);
  // Back to the top pane, and Ctrl-C there.
  client.type('\x02o');
  if ((await client.waitFor(inTopPane, PROMPT_TIMEOUT_MS)) === undefined) throw new Error(`${name}: the top pane never took the cursor back`);
  const floodEndedFirst = client.snapshot().rows.some((row) => row === '10000000');
  const ctrlCAt = client.type('\x03');
  trace?.typed(ctrlCAt, 'ctrl-c');
  const promptAt = await client.waitFor(topPrompt, PROMPT_TIMEOUT_MS);
  if (promptAt !== undefined) trace?.shown(promptAt, KEYS.length);
  trace?.flush();
  const discardedAtPrompt = await tmuxDiscarded(socket);
  const tmux = discardedBefore === undefined || discardedAtPrompt === undefined ? undefined : { beforeCtrlC: discardedBefore, atPrompt: discardedAtPrompt };
  if (floodEndedFirst) log(`  ${name}: ${THIN_FLOOD_COMMAND} had ended before Ctrl-C`);
  const engine =
    before === undefined || after === undefined
      ? undefined
      : { erased: after.erased - before.erased, knownPrompt: before.knownPromptEpochs !== undefined && (after.knownPromptEpochs ?? 0) > before.knownPromptEpochs };
  return { echoMs, ctrlCMs: promptAt === undefined ? null : promptAt - ctrlCAt, floodEndedFirst, ...(engine !== undefined ? { engine } : {}), ...(tmux !== undefined ? { tmuxDiscarded: tmux } : {}) };
}

interface ThinFigures {
  readonly keys: number;
  readonly missing: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  readonly ctrlCMs: number;
}

function figuresOf(run: ThinFloodRun): ThinFigures {
  // A key never shown ranks after every shown one, so the percentiles see it.
  const ranked = run.echoMs.map((ms) => ms ?? Infinity);
  return { keys: ranked.length, missing: run.echoMs.filter((ms) => ms === null).length, medianMs: median(ranked), p95Ms: percentile(ranked, 95), ctrlCMs: run.ctrlCMs ?? Infinity };
}

const times = (ms: number, rttMs: number): string => (Number.isFinite(ms) ? `${(ms / rttMs).toFixed(2)}×` : '∞');
const msOrBound = (ms: number, bound: number): string => (Number.isFinite(ms) ? formatMs(ms) : `> ${formatMs(bound)}`);

/** The thin link's table (one row per system) and the goal line, from the runs that have the figure. */
export function thinFloodTable(links: readonly LinkCase[], find: (link: string, system: SystemName) => RunResult | undefined): { tables: Table[]; notes: string[] } {
  const link = links.find((l) => l.name === THIN_LINK);
  if (link === undefined) return { tables: [], notes: [] };
  const figures = new Map<SystemName, ThinFigures>();
  const rows: string[][] = [];
  const locals: number[] = [];
  for (const system of SYSTEMS) {
    const result = find(link.name, system);
    const run = result?.thinFlood;
    if (run === undefined) {
      if (result?.thinFloodError !== undefined) rows.push([system, 'failed', '', '', '', '', '', '', '', result.thinFloodError.split('\n')[0]!.slice(0, 80)]);
      continue;
    }
    const f = figuresOf(run);
    figures.set(system, f);
    const local = result?.thinReference?.ctrlCMs ?? undefined;
    if (local !== undefined) locals.push(local);
    rows.push([
      system,
      String(f.keys),
      msOrBound(f.medianMs, ECHO_TIMEOUT_MS),
      msOrBound(f.p95Ms, ECHO_TIMEOUT_MS),
      times(f.p95Ms, link.rttMs),
      msOrBound(f.ctrlCMs, PROMPT_TIMEOUT_MS),
      times(f.ctrlCMs, link.rttMs),
      local === undefined ? 'n/a' : formatMs(local),
      local === undefined || !Number.isFinite(f.ctrlCMs) ? 'n/a' : formatMs(f.ctrlCMs - local),
      [
        f.missing > 0 ? `${f.missing} never shown` : '',
        run.floodEndedFirst ? 'the flood had ended before Ctrl-C' : '',
        blockedText(tmuxBlocked(run), result?.thinReference !== undefined && tmuxBlocked(result.thinReference)),
      ].filter((x) => x !== '').join('; '),
    ]);
  }
  if (rows.length === 0) return { tables: [], notes: [] };
  const notes: string[] = [];
  const t = figures.get('tsmosh');
  const m = figures.get('mosh');
  if (t !== undefined) {
    const goal = THIN_GOAL_RTTS * link.rttMs;
    const met = t.p95Ms <= goal && t.ctrlCMs <= goal;
    const mosh = m === undefined ? '' : ` (mosh: p95 ${times(m.p95Ms, link.rttMs)}, Ctrl-C ${times(m.ctrlCMs, link.rttMs)})`;
    notes.push(`Goal "thin link while \`${THIN_FLOOD_COMMAND}\` runs: keystroke echo p95 and Ctrl-C → prompt ≤ ${THIN_GOAL_RTTS} × RTT" (${formatMs(goal)}) on ${link.label}: tsmosh p95 ${times(t.p95Ms, link.rttMs)}, Ctrl-C ${times(t.ctrlCMs, link.rttMs)}${mosh} — ${met ? 'met' : 'NOT met'} (one flood per run).`);
  }
  if (locals.length > 0) {
    notes.push(`The thin link's local reference (${localReferenceText(locals)}): the same tmux session and flood in a pty of the harness with no network at all, Ctrl-C → prompt measured the same way, once before each system's run. It is tmux's (and bash's, and seq's) own time under the flood; "beyond local" is the rest of a system's figure: the link (one RTT at least) and the system's own work.`);
  }
  return {
    tables: [{
      caption: `${link.label}, while \`${THIN_FLOOD_COMMAND}\` runs in tmux's top pane: letters typed in the bottom pane (one every ${KEY_GAP_MS} ms) until shown, and Ctrl-C in the top pane until its prompt is back; local: the same without a network, run just before`,
      columns: ['system', 'keys', 'echo median', 'echo p95', 'p95 ÷ RTT', 'Ctrl-C → prompt', '÷ RTT', 'local Ctrl-C', 'beyond local', ''],
      rows,
    }],
    notes,
  };
}

/** Where tmux had stopped drawing at Ctrl-C: in the system's run, the local run before it, both, or neither (''). */
function blockedText(system: boolean, local: boolean): string {
  if (system && local) return 'tmux had stopped drawing at Ctrl-C, in the local run too';
  if (system) return 'tmux had stopped drawing at Ctrl-C';
  return local ? 'tmux had stopped drawing at Ctrl-C in the local run only' : '';
}

/** tmux threw output away between the pane switch back and the prompt: the prompt waited for its redraw timer. */
export function tmuxBlocked(run: ThinFloodRun): boolean {
  return run.tmuxDiscarded !== undefined && run.tmuxDiscarded.atPrompt > run.tmuxDiscarded.beforeCtrlC;
}

/** The local reference's Ctrl-C figures in a few words: one run's, or the range and median of several. */
export function localReferenceText(ctrlCMs: readonly number[]): string {
  if (ctrlCMs.length === 1) return `Ctrl-C → prompt ${formatMs(ctrlCMs[0]!)}`;
  return `Ctrl-C → prompt ${formatMs(Math.min(...ctrlCMs))}–${formatMs(Math.max(...ctrlCMs))}, median ${formatMs(median(ctrlCMs))} over ${ctrlCMs.length} runs`;
}
