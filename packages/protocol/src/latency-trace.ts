/**
 * Latency trace: one line per step a keystroke and its echo take through tsmosh (client key read, datagram sent,
 * server receive, pty write, pty output, mirror parse, state sent, client receive, frame drawn), each with a
 * wall-clock timestamp, so that the loopback path can be taken apart millisecond by millisecond
 * (bench/src/trace-report.ts reads it). Off unless TSMOSH_TRACE names a file in the environment of the client or
 * the daemon; when off, callers hold `undefined` and pay one optional call per step.
 *
 * Line format: `<epoch ms, 3 decimals> <side> <step>[ <detail>]`, the detail one word (which key, how many bytes); the
 * side is the client, the server, or the bench (its harness stands for the user: `typed`, `shown`). Both ends append to the same file when given the same path
 * (each batch of whole lines is one append, which Linux makes atomic on a regular file, so lines from two processes
 * never interleave; readers sort by time).
 *
 * Given a timer, a trace keeps its lines in memory and writes them in one append once marks have been quiet for
 * TRACE_FLUSH_QUIET_MS (or TRACE_FLUSH_LINES wait): a write per mark cost the step it fell in as much as the step
 * (appendFileSync 0.14 ms between keys 300 ms apart; a key's read → datagram sent 0.40 ms traced against 0.28
 * untraced in one process, docs/benchmarks-journal.md, session 14). The owner flushes at exit.
 */

/** The environment variable naming the trace file. */
export const LATENCY_TRACE_ENV = 'TSMOSH_TRACE';

/** Who wrote a trace line: the two ends, or the bench's harness (the user's terminal and keyboard). */
export type TraceSide = 'client' | 'server' | 'bench';

/** A trace's lines wait until marks have been this quiet (ms): an Enter's marks in one process come within ~10 ms. */
export const TRACE_FLUSH_QUIET_MS = 30;
/** …or until this many wait (lines): a flood's marks are never quiet, and its lines are not on an Enter's path. */
export const TRACE_FLUSH_LINES = 256;

/** The one timer a buffering trace keeps, handed in by its owner (the client and the daemon pass an unref'd setTimeout). */
export interface TraceTimer {
  set(callback: () => void, delayMs: number): unknown;
}

export class LatencyTrace {
  private pending: string[] = [];
  private flushArmed = false;
  /** The clock's time of the newest mark (ms). */
  private lastMarkAt = 0;

  constructor(
    private readonly side: TraceSide,
    /** Wall-clock milliseconds with sub-millisecond precision, comparable between processes on one machine. */
    private readonly clock: () => number,
    /** Takes one or more whole lines. */
    private readonly write: (lines: string) => void,
    /** Without one, each line is written as it is marked. */
    private readonly timer?: TraceTimer,
  ) {}

  /** `detail`: one word without spaces, or nothing. */
  mark(step: string, detail?: string | number): void {
    const now = this.clock();
    this.record(now, step, detail, now);
  }

  /** A step that happened at `at` (epoch ms, the clock's scale), as when an event carries its own arrival time. */
  markAt(at: number, step: string, detail?: string | number): void {
    this.record(at, step, detail, this.timer === undefined ? at : this.clock());
  }

  /** `now`: the clock's time of this mark, which the flush's quiet spell counts from (read once per mark). */
  private record(at: number, step: string, detail: string | number | undefined, now: number): void {
    const line = `${at.toFixed(3)} ${this.side} ${step}${detail === undefined ? '' : ` ${detail}`}\n`;
    if (this.timer === undefined) {
      this.write(line);
      return;
    }
    this.pending.push(line);
    this.lastMarkAt = now;
    if (this.pending.length >= TRACE_FLUSH_LINES) this.flush();
    else if (!this.flushArmed) this.armFlush(TRACE_FLUSH_QUIET_MS);
  }

  /** Writes the lines still waiting (at exit; the timer does it otherwise). */
  flush(): void {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    this.pending = [];
    this.write(text);
  }

  /** One timer per quiet spell, not one per mark: when it fires early (marks came since), it waits out the rest. */
  private armFlush(delayMs: number): void {
    this.flushArmed = true;
    this.timer!.set(() => {
      this.flushArmed = false;
      if (this.pending.length === 0) return;
      const quietAt = this.lastMarkAt + TRACE_FLUSH_QUIET_MS;
      const now = this.clock();
      if (now >= quietAt) this.flush();
      else this.armFlush(quietAt - now);
    }, delayMs);
  }
}

/** Parses one trace line; undefined for anything else. */
export function parseTraceLine(line: string): { at: number; side: TraceSide; step: string; detail?: string } | undefined {
  const match = /^(\d+(?:\.\d+)?) (client|server|bench) (\S+)(?: (\S+))?$/.exec(line.trim());
  if (match === null) return undefined;
  const event = { at: Number(match[1]), side: match[2] as TraceSide, step: match[3]! };
  return match[4] === undefined ? event : { ...event, detail: match[4] };
}
