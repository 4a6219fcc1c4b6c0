/**
 * Latency trace: one line per step a keystroke and its echo take through tsmosh (client key read, datagram sent,
 * server receive, pty write, pty output, mirror parse, state sent, client receive, frame drawn), each with a
 * wall-clock timestamp, so that the loopback path can be taken apart millisecond by millisecond
 * (bench/src/trace-report.ts reads it). Off unless TSMOSH_TRACE names a file in the environment of the client or
 * the daemon; when off, callers hold `undefined` and pay one optional call per step.
 *
 * Line format: `<epoch ms, 3 decimals> <side> <step>[ <detail>]`, the detail one word (which key, how many bytes); the
 * side is the client, the server, or the bench (its harness stands for the user: `typed`, `shown`). Both ends append to the same file when given the same path
 * (each line is one write, smaller than PIPE_BUF, so lines from two processes never interleave).
 */

/** The environment variable naming the trace file. */
export const LATENCY_TRACE_ENV = 'TSMOSH_TRACE';

/** Who wrote a trace line: the two ends, or the bench's harness (the user's terminal and keyboard). */
export type TraceSide = 'client' | 'server' | 'bench';

export class LatencyTrace {
  constructor(
    private readonly side: TraceSide,
    /** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
    private readonly clock: () => number,
    private readonly write: (line: string) => void,
  ) {}

  /** `detail`: one word without spaces, or nothing. */
  mark(step: string, detail?: string | number): void {
    this.markAt(this.clock(), step, detail);
  }

  /** A step that happened at `at` (epoch ms, the clock's scale), as when an event carries its own arrival time. */
  markAt(at: number, step: string, detail?: string | number): void {
    this.write(`${at.toFixed(3)} ${this.side} ${step}${detail === undefined ? '' : ` ${detail}`}\n`);
  }
}

/** Parses one trace line; undefined for anything else. */
export function parseTraceLine(line: string): { at: number; side: TraceSide; step: string; detail?: string } | undefined {
  const match = /^(\d+(?:\.\d+)?) (client|server|bench) (\S+)(?: (\S+))?$/.exec(line.trim());
  if (match === null) return undefined;
  const event = { at: Number(match[1]), side: match[2] as TraceSide, step: match[3]! };
  return match[4] === undefined ? event : { ...event, detail: match[4] };
}
