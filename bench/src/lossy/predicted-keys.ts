/**
 * Issue 18's figure for a predicted key's cost: of the typing keys a system drew before any echo could have come
 * back (on screen sooner than the link's round trip), the share drawn within 5 ms of the keystroke, and the p99.
 * Such a key needed no network at all, so its time is the client's (and the harness's, which is the same for every
 * system in one run).
 *   node bench/dist/lossy/predicted-keys.js RESULTS.json   (a lossy-link results file: one table per link)
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { KeyTiming } from './replay.js';
import { SYSTEMS, type SystemName } from './systems.js';
import type { Table } from '../scenario.js';
import { median, percentile } from '../stats.js';

/** The bound (ms) from keystroke to screen for a predicted key. */
export const PREDICTED_KEY_BOUND_MS = 5;

export interface PredictedKeyFigures {
  /** Typing keys with a visible effect. */
  readonly typed: number;
  /** Of those, on screen sooner than the round trip: drawn before any echo could return. */
  readonly predicted: number;
  /** Share of the predicted keys on screen within PREDICTED_KEY_BOUND_MS (NaN when none). */
  readonly withinBound: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** The typing keys with a visible effect that were on screen sooner than `rttMs` (RTT 0: every one shown). */
export function predictedKeys(keys: readonly KeyTiming[], rttMs: number): KeyTiming[] {
  const bound = rttMs > 0 ? rttMs : Infinity;
  return keys.filter((k) => k.kind === 'typing' && !k.invisible && k.latencyMs !== undefined && k.latencyMs < bound);
}

/** The figures for one run's keys on a link of `rttMs` round trip (RTT 0: every key shown counts). */
export function predictedKeyFigures(keys: readonly KeyTiming[], rttMs: number): PredictedKeyFigures {
  const typing = keys.filter((k) => k.kind === 'typing' && !k.invisible);
  const latencies = predictedKeys(keys, rttMs).map((k) => k.latencyMs!);
  return {
    typed: typing.length,
    predicted: latencies.length,
    withinBound: latencies.length === 0 ? NaN : latencies.filter((ms) => ms <= PREDICTED_KEY_BOUND_MS).length / latencies.length,
    medianMs: median(latencies),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.length === 0 ? NaN : Math.max(...latencies),
  };
}

/** A table row's cells: predicted keys (of typed), share within the bound, median, p99, max. */
export function predictedKeyCells(f: PredictedKeyFigures): string[] {
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');
  const share = Number.isFinite(f.withinBound) ? `${(f.withinBound * 100).toFixed(1)} %` : 'n/a';
  return [`${f.predicted} of ${f.typed}`, share, ms(f.medianMs), ms(f.p99Ms), ms(f.maxMs)];
}

export const PREDICTED_KEY_COLUMNS = ['predicted keys', `≤ ${PREDICTED_KEY_BOUND_MS} ms`, 'median', 'p99', 'max'] as const;

/**
 * The lossy-link table of these figures for one trace: a row per link with a round trip (where a prediction can be
 * told from an echo) and system that typed keys; undefined when there is none.
 */
export function predictedKeyTable(
  links: ReadonlyArray<{ readonly name: string; readonly label: string; readonly rttMs: number }>,
  trace: string,
  keysOf: (link: string, system: SystemName) => readonly KeyTiming[],
  systems: readonly SystemName[] = SYSTEMS,
): Table | undefined {
  const rows: string[][] = [];
  for (const link of links) {
    if (!(link.rttMs > 0)) continue;
    for (const system of systems) {
      const figures = predictedKeyFigures(keysOf(link.name, system), link.rttMs);
      if (figures.typed === 0) continue;
      rows.push([link.label, system, ...predictedKeyCells(figures)]);
    }
  }
  if (rows.length === 0) return undefined;
  return {
    caption: `Predicted keys (typing keys on screen before any echo could return) → on screen, ${trace} trace: issue 18 asks ≥ 98 % within ${PREDICTED_KEY_BOUND_MS} ms and p99 ≤ ${PREDICTED_KEY_BOUND_MS} ms at 300 ms RTT, 10 % loss`,
    columns: ['link', 'system', ...PREDICTED_KEY_COLUMNS],
    rows,
  };
}

interface ResultsFile {
  readonly data: {
    readonly links: ReadonlyArray<{ readonly name: string; readonly label: string; readonly rttMs: number }>;
    readonly results: ReadonlyArray<{ readonly link: string; readonly system: string; readonly traces: ReadonlyArray<{ readonly trace: string; readonly keys: readonly KeyTiming[] }> }>;
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (file === undefined) {
    process.stderr.write('usage: node bench/dist/lossy/predicted-keys.js RESULTS.json (a lossy-link results file)\n');
    process.exit(2);
  }
  const { data } = JSON.parse(readFileSync(file, 'utf8')) as ResultsFile;
  process.stdout.write(`| link | system | trace | ${PREDICTED_KEY_COLUMNS.join(' | ')} |\n|${'---|'.repeat(3 + PREDICTED_KEY_COLUMNS.length)}\n`);
  for (const result of data.results) {
    const link = data.links.find((l) => l.name === result.link);
    if (link === undefined) continue;
    for (const trace of result.traces) {
      const cells = predictedKeyCells(predictedKeyFigures(trace.keys, link.rttMs));
      process.stdout.write(`| ${link.label} | ${result.system} | ${trace.trace} | ${cells.join(' | ')} |\n`);
    }
  }
}
