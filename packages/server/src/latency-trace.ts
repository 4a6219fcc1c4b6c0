/** The daemon's latency trace (@tsmosh/protocol latency-trace.ts): on when TSMOSH_TRACE names a file. */
import { appendFileSync } from 'node:fs';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const path = process.env[LATENCY_TRACE_ENV];
// Lines are written once marks have been quiet a while (latency-trace.ts), and at exit.
export const serverTrace: LatencyTrace | undefined =
  path === undefined || path === '' ? undefined : new LatencyTrace('server', () => performance.timeOrigin + performance.now(), (lines) => appendFileSync(path, lines), { set: (callback, delayMs) => setTimeout(callback, delayMs).unref() });
if (serverTrace !== undefined) process.on('exit', () => serverTrace.flush());
