/**
 * Takes a latency trace (TSMOSH_TRACE, @tsmosh/protocol latency-trace.ts) apart: for each keystroke, the time from
 * one step of its path to the next, from the client reading the key to the client drawing its echo.
 *   node bench/dist/trace-report.js TRACE_FILE
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseTraceLine } from '@tsmosh/protocol';
import { median, percentile } from './stats.js';

const ms = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)} ms` : 'n/a');

/** The path of one keystroke, in order: each step is the first of its kind after the one before. */
export const KEYSTROKE_PATH = [
  ['client', 'key'],
  ['client', 'sent'],
  ['server', 'received'],
  ['server', 'pty-write'],
  ['server', 'pty-output'],
  ['server', 'parsed'],
  ['server', 'sent'],
  ['client', 'received'],
  ['client', 'state'],
  ['client', 'drawn'],
] as const;

export interface KeystrokeTimes {
  /** Milliseconds from each step of KEYSTROKE_PATH to the next (one fewer than the steps). */
  readonly segments: number[];
  readonly totalMs: number;
}

/** Every keystroke in the trace whose whole path was found before the next keystroke. */
export function keystrokesOf(text: string): KeystrokeTimes[] {
  const events = text.split('\n').map(parseTraceLine).filter((e) => e !== undefined).sort((a, b) => a.at - b.at);
  const keys: KeystrokeTimes[] = [];
  for (let i = 0; i < events.length; i++) {
    if (events[i]!.side !== 'client' || events[i]!.step !== 'key') continue;
    const times = [events[i]!.at];
    let j = i + 1;
    for (const [side, step] of KEYSTROKE_PATH.slice(1)) {
      while (j < events.length && !(events[j]!.side === side && events[j]!.step === step)) {
        if (events[j]!.side === 'client' && events[j]!.step === 'key') j = events.length; // the next key came first
        else j++;
      }
      if (j >= events.length) break;
      times.push(events[j]!.at);
    }
    if (times.length !== KEYSTROKE_PATH.length) continue;
    keys.push({ segments: times.slice(1).map((t, k) => t - times[k]!), totalMs: times.at(-1)! - times[0]! });
  }
  return keys;
}

/** One row per segment: from → to, median and p90 (ms), and the total. */
export function reportRows(keys: readonly KeystrokeTimes[]): string[][] {
  const rows = KEYSTROKE_PATH.slice(1).map(([side, step], k) => {
    const [fromSide, fromStep] = KEYSTROKE_PATH[k]!;
    const values = keys.map((key) => key.segments[k]!);
    return [`${fromSide} ${fromStep} → ${side} ${step}`, ms(median(values)), ms(percentile(values, 90))];
  });
  const totals = keys.map((key) => key.totalMs);
  rows.push(['**key read → echo drawn**', ms(median(totals)), ms(percentile(totals, 90))]);
  return rows;
}

/**
 * An Enter's answer (a command's output and the next prompt) comes in several pty writes, each with its own frame, so
 * the keystroke path above stops at the first echo. The Enter path instead follows the key in to the pty, spans the
 * program's run to its last write before the next key, and follows that last write out to the client's terminal.
 * The bare relay (bench/src/lossy/node-relay.ts) writes the same step names and lacks some (parsed, answer, state):
 * a step missing from an Enter is left out of that step's figures, and the next step is found from the one before.
 */
export const ENTER_WAY_IN = [
  ['client', 'key'],
  ['client', 'sent'],
  ['server', 'received'],
  ['server', 'pty-write'],
] as const;
export const ENTER_WAY_OUT = [
  ['server', 'parsed'],
  ['server', 'answer'],
  ['server', 'sent'],
  ['client', 'received'],
  ['client', 'state'],
  ['client', 'drawn'],
] as const;

/** An Enter whose answer took more pty writes than this is a flood (the trace's `seq`), not a prompt's answer. */
export const ENTER_MAX_ANSWER_WRITES = 5;

export interface EnterTimes {
  /** Milliseconds from the key read to each step of ENTER_WAY_IN after the key (NaN where the step is missing). */
  readonly wayIn: number[];
  /** Milliseconds from the pty write to the program's last write before the next key. */
  readonly programMs: number;
  /** Milliseconds from the last write to each step of ENTER_WAY_OUT (NaN where missing). */
  readonly wayOut: number[];
  readonly answerWrites: number;
  /** Key read → the last write drawn. */
  readonly totalMs: number;
  /** The bench's harness typed the key → the client read it (NaN in a trace without the harness's lines). */
  readonly typedToReadMs: number;
  /** The last write drawn → the harness's screen showed the Enter's answer (NaN without the harness's lines). */
  readonly drawnToShownMs: number;
}

type TraceEvent = NonNullable<ReturnType<typeof parseTraceLine>>;
type Step = readonly [side: string, step: string];

const isKeyRead = (e: TraceEvent): boolean => e.side === 'client' && e.step === 'key';
/** `e` is the step; a draw that wrote nothing (detail 0) is no answer's. */
const isStep = (e: TraceEvent, [side, step]: Step): boolean => e.side === side && e.step === step && !(step === 'drawn' && e.detail === '0');

/** Each of `steps` in order: the first of its kind at or after the one found before it (the first, at or after `from`). */
function followOn(span: readonly TraceEvent[], from: number, steps: readonly Step[]): Array<TraceEvent | undefined> {
  let at = from;
  return steps.map((step) => {
    const found = span.find((e) => e.at >= at && isStep(e, step));
    if (found !== undefined) at = found.at;
    return found;
  });
}

/** Each of `steps` taken back from `until`: the last of its kind at or before the one found after it, none before `floor`. */
function followBack(span: readonly TraceEvent[], floor: number, until: number, steps: readonly Step[]): Array<TraceEvent | undefined> {
  let at = until;
  return [...steps].reverse().map((step) => {
    const found = span.findLast((e) => e.at >= floor && e.at <= at && isStep(e, step));
    if (found !== undefined) at = found.at;
    return found;
  }).reverse();
}

/** Every Enter (a key traced with detail `enter`) whose answer reached the client's terminal before the next key. */
export function entersOf(text: string): { enters: EnterTimes[]; floods: number; unfinished: number } {
  const events = text.split('\n').map(parseTraceLine).filter((e) => e !== undefined).sort((a, b) => a.at - b.at);
  const enters: EnterTimes[] = [];
  let floods = 0;
  let unfinished = 0;
  const serverSteps = ENTER_WAY_OUT.filter(([side]) => side === 'server');
  const clientSteps = ENTER_WAY_OUT.filter(([side]) => side === 'client');
  for (let i = 0; i < events.length; i++) {
    const key = events[i]!;
    if (!isKeyRead(key) || key.detail !== 'enter') continue;
    let end = i + 1;
    while (end < events.length && !isKeyRead(events[end]!)) end++;
    const span = events.slice(i + 1, end);
    const writes = span.filter((e) => e.side === 'server' && e.step === 'pty-output');
    const ptyWrite = span.find((e) => e.side === 'server' && e.step === 'pty-write');
    const last = writes.at(-1);
    if (writes.length > ENTER_MAX_ANSWER_WRITES) {
      floods++;
      continue;
    }
    if (ptyWrite === undefined || last === undefined) {
      unfinished++;
      continue;
    }
    const server = followOn(span, last.at, serverSteps);
    // Forward from the last write, a draw (or a receive) may still be an earlier write's frame: the client was busy
    // with it when the daemon read the last one. With the harness's lines the answer's draw is known: the last one
    // that wrote something before the screen counted the Enter shown; its state and receive, the last before it.
    const shown = span.find((e) => e.at >= last.at && e.side === 'bench' && e.step === 'shown');
    const client =
      shown !== undefined
        ? followBack(span, last.at, shown.at, clientSteps)
        : followOn(span, server.findLast((e) => e !== undefined)?.at ?? last.at, clientSteps);
    const drawn = client.at(-1);
    if (drawn === undefined) {
      unfinished++;
      continue;
    }
    // The harness's `typed` is the last before the key read since the key before it.
    let typed: number | undefined;
    for (let j = i - 1; j >= 0 && !isKeyRead(events[j]!); j--) {
      if (events[j]!.side === 'bench' && events[j]!.step === 'typed') {
        typed = events[j]!.at;
        break;
      }
    }
    const since = (from: number) => (e: TraceEvent | undefined) => (e === undefined ? NaN : e.at - from);
    enters.push({
      wayIn: followOn(span, key.at, ENTER_WAY_IN.slice(1)).map(since(key.at)),
      programMs: last.at - ptyWrite.at,
      wayOut: [...server, ...client].map(since(last.at)),
      answerWrites: writes.length,
      totalMs: drawn.at - key.at,
      typedToReadMs: typed === undefined ? NaN : key.at - typed,
      drawnToShownMs: shown === undefined ? NaN : shown.at - drawn.at,
    });
  }
  return { enters, floods, unfinished };
}

/** Median and p90 of the values that were measured (a step a system does not trace is NaN and left out). */
function spread(values: readonly number[]): [string, string] {
  const measured = values.filter(Number.isFinite);
  return measured.length === 0 ? ['–', '–'] : [ms(median(measured)), ms(percentile(measured, 90))];
}

/** One row per step of an Enter: the way in (from the key read), the program, the way out (from its last write). */
export function enterReportRows(enters: readonly EnterTimes[]): string[][] {
  const harness = enters.some((e) => Number.isFinite(e.typedToReadMs) || Number.isFinite(e.drawnToShownMs));
  const rows: string[][] = harness ? [['typed (the harness) → client key read', ...spread(enters.map((e) => e.typedToReadMs))]] : [];
  rows.push(...ENTER_WAY_IN.slice(1).map(([side, step], k) => [`key read → ${side} ${step}`, ...spread(enters.map((e) => e.wayIn[k]!))]));
  rows.push(['the program: pty write → its last write', ...spread(enters.map((e) => e.programMs))]);
  ENTER_WAY_OUT.forEach(([side, step], k) => rows.push([`last write → ${side} ${step}`, ...spread(enters.map((e) => e.wayOut[k]!))]));
  rows.push(['**key read → answer drawn**', ...spread(enters.map((e) => e.totalMs))]);
  if (harness) {
    rows.push(['answer drawn → shown on the harness\'s screen', ...spread(enters.map((e) => e.drawnToShownMs))]);
    rows.push(['**typed → shown (the bench\'s Enter → output)**', ...spread(enters.map((e) => e.typedToReadMs + e.totalMs + e.drawnToShownMs))]);
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const usage = 'usage: node bench/dist/trace-report.js [--enters] TRACE_FILE (written by a client or daemon run with TSMOSH_TRACE=TRACE_FILE)\n';
  const args = process.argv.slice(2);
  const enterMode = args[0] === '--enters';
  const rest = enterMode ? args.slice(1) : args;
  if (rest.length !== 1 || rest[0]!.startsWith('-')) {
    // --help, an unknown option, no file or two: the usage, not a stack trace from reading a file named "--help".
    process.stderr.write(usage);
    process.exit(2);
  }
  const file = rest[0]!;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    process.stderr.write(`trace-report: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; give the file TSMOSH_TRACE named\n`);
    process.exit(2);
  }
  if (enterMode) {
    const { enters, floods, unfinished } = entersOf(text);
    process.stdout.write(`${enters.length} Enters (${floods} floods and ${unfinished} unfinished left out)\n`);
    for (const row of enterReportRows(enters)) process.stdout.write(`${row.join('\t')}\n`);
  } else {
    const keys = keystrokesOf(text);
    process.stdout.write(`${keys.length} keystrokes\n`);
    for (const row of reportRows(keys)) process.stdout.write(`${row.join('\t')}\n`);
  }
}
