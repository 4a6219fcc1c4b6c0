/** The daemon's latency trace (@tsmosh/protocol latency-trace.ts): on when TSMOSH_TRACE names a file. */
import { appendFileSync } from 'node:fs';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const path = process.env[LATENCY_TRACE_ENV];
export const serverTrace: LatencyTrace | undefined =
  path === undefined || path === '' ? undefined : new LatencyTrace('server', () => performance.timeOrigin + performance.now(), (line) => appendFileSync(path, line));
