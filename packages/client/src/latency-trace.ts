/** The client's latency trace (@tsmosh/protocol latency-trace.ts): on when TSMOSH_TRACE names a file. */
import { appendFileSync } from 'node:fs';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const path = process.env[LATENCY_TRACE_ENV];
// Epoch ms with sub-ms resolution, so the client's and the daemon's lines merge into one timeline; a diagnostic that
// is off unless asked for, so it reads Node's clock here, at the edge, rather than a session's monotonic one.
// Lines are written once marks have been quiet a while (latency-trace.ts), and at exit.
export const clientTrace: LatencyTrace | undefined =
  path === undefined || path === '' ? undefined : new LatencyTrace('client', () => performance.timeOrigin + performance.now(), (lines) => appendFileSync(path, lines), { set: (callback, delayMs) => setTimeout(callback, delayMs).unref() });
if (clientTrace !== undefined) process.on('exit', () => clientTrace.flush());
