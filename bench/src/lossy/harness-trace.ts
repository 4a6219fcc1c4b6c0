/**
 * The harness's own lines in the latency trace (TSMOSH_TRACE, @tsmosh/protocol latency-trace.ts): when it typed a
 * key into the client's pty (`typed`, detail the key's kind) and when the screen that counts the key as shown reached
 * the user's terminal (`shown`, detail the key's index). With them an Enter's trace starts and ends where the bench's
 * own figure does, so the time outside the client's key read and draw (the pty hops to and from the client, the
 * harness's parse) is measured rather than inferred (trace-report.ts --enters).
 */
import { appendFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

export interface HarnessTrace {
  /** `at`: performance.now() in this process, as the harness's timings are. */
  typed(at: number, kind: string): void;
  shown(at: number, index: number): void;
  /** Writes the lines still waiting (they go by themselves once marks are quiet, and at exit). */
  flush(): void;
}

export function harnessTraceFrom(env: NodeJS.ProcessEnv = process.env): HarnessTrace | undefined {
  const path = env[LATENCY_TRACE_ENV];
  if (path === undefined || path === '') return undefined;
  const trace = traceTo(path);
  return {
    typed: (at, kind) => trace.markAt(performance.timeOrigin + at, 'typed', kind),
    shown: (at, index) => trace.markAt(performance.timeOrigin + at, 'shown', index),
    flush: () => trace.flush(),
  };
}

/** One trace per file for the process (a run replays many traces): one exit hook each. */
const traces = new Map<string, LatencyTrace>();
function traceTo(path: string): LatencyTrace {
  let trace = traces.get(path);
  if (trace === undefined) {
    // Buffered as the ends' traces are (latency-trace.ts): a write at a key's `typed` would delay the harness's own work.
    const created = new LatencyTrace('bench', () => performance.timeOrigin + performance.now(), (lines) => appendFileSync(path, lines), { set: (callback, delayMs) => setTimeout(callback, delayMs).unref() });
    process.on('exit', () => created.flush());
    traces.set(path, created);
    trace = created;
  }
  return trace;
}
