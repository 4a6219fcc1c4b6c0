/** The daemon's latency trace (@tsmosh/protocol latency-trace.ts): on when TSMOSH_TRACE names a file. */
import { appendFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const path = process.env[LATENCY_TRACE_ENV];
// Lines are written once marks have been quiet a while (latency-trace.ts), and at exit.
export const serverTrace: LatencyTrace | undefined =
  path === undefined || path === '' ? undefined : new LatencyTrace('server', () => performance.timeOrigin + performance.now(), (lines) => appendFileSync(path, lines), { set: (callback, delayMs) => setTimeout(callback, delayMs).unref() });
if (serverTrace !== undefined) {
  process.on('exit', () => serverTrace.flush());
  // Each of V8's collections, at its start with its length (ms): a gap in the daemon's marks is then told apart from
  // a pause of its own heap (a gap with no gc line is the machine's scheduler, or work between two marks).
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) serverTrace.markAt(performance.timeOrigin + entry.startTime, 'gc', entry.duration.toFixed(1));
  }).observe({ entryTypes: ['gc'] });
}
