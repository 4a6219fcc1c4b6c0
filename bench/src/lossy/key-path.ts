/**
 * Where a predicted key's milliseconds go (issue 18), for a client that reports when it read each key and wrote its
 * draw (tsmosh's TSMOSH_CLIENT_STATS_FILE `keyTimes`, on the machine's monotonic clock): typed → read (the pty and the
 * scheduler waking the client), read → drawn (the client's own work), drawn → on the user's terminal (the pty and the
 * scheduler waking the terminal: this harness). The keystroke-to-screen figure alone cannot tell the client's
 * milliseconds from those of a loaded machine; this can, key by key.
 */
import { performance } from 'node:perf_hooks';
import type { KeyTiming } from './replay.js';
import { predictedKeys, PREDICTED_KEY_BOUND_MS } from './predicted-keys.js';
import { median, percentile } from '../stats.js';
import type { Table } from '../scenario.js';

/** A client's record: `readAt[i]` the read that carried a key, `drawnAt[i]` when its draw had been written (monotonic ms). */
export interface ClientKeyTimes {
  readonly readAt: readonly number[];
  readonly drawnAt: readonly number[];
}

/** Add to this process's performance.now() to read the monotonic clock (process.hrtime's, in ms) every process shares. */
export const MONOTONIC_OFFSET_MS = Number(process.hrtime.bigint()) / 1e6 - performance.now();

export interface KeyPath {
  readonly index: number;
  readonly totalMs: number;
  readonly typedToReadMs: number;
  readonly readToDrawnMs: number;
  readonly drawnToShownMs: number;
}

export const KEY_PATH_SEGMENTS = ['typedToReadMs', 'readToDrawnMs', 'drawnToShownMs'] as const;
export type KeyPathSegment = (typeof KEY_PATH_SEGMENTS)[number];
const SEGMENT_LABELS: Record<KeyPathSegment, string> = {
  typedToReadMs: 'typed → client read (pty, scheduler)',
  readToDrawnMs: 'read → drawn (the client)',
  drawnToShownMs: 'drawn → on the terminal (pty, scheduler, harness)',
};

/**
 * Each predicted key of a run (predictedKeys: typing keys on screen sooner than `rttMs`) split at the client's read
 * and draw. A key's read is the first the client made at or after the key was typed (two keys typed close together
 * may share one); keys typed after the client's last read are left out. A key on screen before its draw's write had
 * returned (the client lost its core inside the write, after the bytes had gone) counts as drawn when it was shown.
 * `offsetMs` turns the keys' performance.now() times into the monotonic clock.
 */
export function keyPaths(keys: readonly KeyTiming[], times: ClientKeyTimes, rttMs: number, offsetMs = MONOTONIC_OFFSET_MS): KeyPath[] {
  const paths: KeyPath[] = [];
  const { readAt, drawnAt } = times;
  let j = 0;
  for (const key of predictedKeys(keys, rttMs)) {
    const typed = key.sentAt + offsetMs;
    const shown = typed + key.latencyMs!;
    while (j < readAt.length && readAt[j]! < typed) j++;
    if (j >= readAt.length) break;
    const read = readAt[j]!;
    if (shown < read) continue; // shown before the client read it: not this read's key (a clock or matching fault)
    const drawn = Math.min(drawnAt[j]!, shown);
    paths.push({ index: key.index, totalMs: key.latencyMs!, typedToReadMs: read - typed, readToDrawnMs: drawn - read, drawnToShownMs: shown - drawn });
  }
  return paths;
}

/** The segment that took the most of a key's time. */
export function dominantSegment(path: KeyPath): KeyPathSegment {
  return KEY_PATH_SEGMENTS.reduce((best, segment) => (path[segment] > path[best] ? segment : best));
}

export interface KeyPathSummary {
  readonly keys: number;
  readonly segments: ReadonlyArray<{ readonly segment: KeyPathSegment; readonly medianMs: number; readonly p90Ms: number; readonly p99Ms: number; readonly maxMs: number }>;
  /** Keys over PREDICTED_KEY_BOUND_MS, and how many of them each segment dominated. */
  readonly slow: number;
  readonly slowBy: Readonly<Record<KeyPathSegment, number>>;
}

export function summarizeKeyPaths(paths: readonly KeyPath[]): KeyPathSummary {
  const slow = paths.filter((p) => p.totalMs > PREDICTED_KEY_BOUND_MS);
  const slowBy = { typedToReadMs: 0, readToDrawnMs: 0, drawnToShownMs: 0 };
  for (const path of slow) slowBy[dominantSegment(path)]++;
  return {
    keys: paths.length,
    segments: KEY_PATH_SEGMENTS.map((segment) => {
      const values = paths.map((p) => p[segment]);
      return { segment, medianMs: median(values), p90Ms: percentile(values, 90), p99Ms: percentile(values, 99), maxMs: values.length === 0 ? NaN : Math.max(...values) };
    }),
    slow: slow.length,
    slowBy,
  };
}

/** One row per link and segment, for the runs that carry key paths; undefined when none does. */
export function keyPathTable(trace: string, runs: ReadonlyArray<{ readonly label: string; readonly system: string; readonly paths: readonly KeyPath[] }>): Table | undefined {
  const rows: string[][] = [];
  const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');
  for (const run of runs) {
    if (run.paths.length === 0) continue;
    const summary = summarizeKeyPaths(run.paths);
    for (const s of summary.segments) {
      rows.push([run.label, run.system, SEGMENT_LABELS[s.segment], ms(s.medianMs), ms(s.p90Ms), ms(s.p99Ms), ms(s.maxMs), `${summary.slowBy[s.segment]} of ${summary.slow}`]);
    }
  }
  if (rows.length === 0) return undefined;
  return {
    caption: `Where a predicted key's time went, ${trace} trace: the client's own marks of its read and its draw (monotonic clock) split keystroke → on screen; last column: of the keys over ${PREDICTED_KEY_BOUND_MS} ms, those this step took the most of`,
    columns: ['link', 'system', 'step', 'median', 'p90', 'p99', 'max', `keys > ${PREDICTED_KEY_BOUND_MS} ms`],
    rows,
  };
}
