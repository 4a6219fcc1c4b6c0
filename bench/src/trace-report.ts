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

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/trace-report.js TRACE_FILE (written by a client or daemon run with TSMOSH_TRACE=TRACE_FILE)\n');
    process.exit(2);
  }
  const keys = keystrokesOf(readFileSync(file, 'utf8'));
  process.stdout.write(`${keys.length} keystrokes\n`);
  for (const row of reportRows(keys)) process.stdout.write(`${row.join('\t')}\n`);
}
