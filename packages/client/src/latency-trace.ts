/** The client's latency trace (@tsmosh/protocol latency-trace.ts): on when TSMOSH_TRACE names a file. */
import { appendFileSync } from 'node:fs';
import { LATENCY_TRACE_ENV, LatencyTrace } from '@tsmosh/protocol';

const path = process.env[LATENCY_TRACE_ENV];
export const clientTrace: LatencyTrace | undefined =
  path === undefined || path === '' ? undefined : new LatencyTrace('client', () => performance.timeOrigin + performance.now(), (line) => appendFileSync(path, line));
