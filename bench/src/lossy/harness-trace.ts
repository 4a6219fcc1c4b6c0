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
}

export function harnessTraceFrom(env: NodeJS.ProcessEnv = process.env): HarnessTrace | undefined {
  const path = env[LATENCY_TRACE_ENV];
  if (path === undefined || path === '') return undefined;
  const trace = new LatencyTrace('bench', () => performance.timeOrigin + performance.now(), (line) => appendFileSync(path, line));
  return {
    typed: (at, kind) => trace.markAt(performance.timeOrigin + at, 'typed', kind),
    shown: (at, index) => trace.markAt(performance.timeOrigin + at, 'shown', index),
  };
}
