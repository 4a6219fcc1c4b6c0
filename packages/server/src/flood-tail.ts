/**
 * The last frame of a flood, sent once the program has gone quiet instead of at the end of its pacing interval.
 *
 * The server paces frames of output nobody waits for at one per interval (≈ SRTT/2, 50 ms at 100 ms RTT; mosh's
 * rule): a flood's frames go every interval, each with the screen as it then is. When the flood stops, the rest of
 * it (the last lines and bash's prompt) was held until the interval ran out, although nothing more was coming: 23–60
 * ms at 100 ms RTT in the traced `seq 1 300000` (docs/benchmarks-journal.md, session 19, bulk), and the same wait after
 * Ctrl-C once its answer window had passed. Here such a tail goes FLOOD_SETTLE_MS after the program's last output.
 *
 * Which output is a tail: a run of output (frames no more than FLOOD_SETTLE_MS apart, or further apart with output
 * still on its way to the screen between them: the daemon was busy, not the program quiet) that has lasted at least
 * TAIL_MIN_RUN_MS and was already under way when the last frame's screen was taken, so that frame carried its start
 * and the pending one carries its end. A program that writes in bursts shorter than that (a spinner, a status line,
 * a clock, a redraw in a few writes) is paced exactly as before: without the length, bursts of two writes 3 ms apart
 * every 16 ms got 1.5 times the frames at a 50 ms interval (a paced frame fell between the two writes, the tail went
 * 10 ms later, and the next paced frame fell inside a burst again). Output that never pauses for FLOOD_SETTLE_MS (a
 * flood still running) never has a tail. An early frame needs a frame taken inside its run, and after it any output
 * starts a new run (it came at least FLOOD_SETTLE_MS after the run's last), so between two early frames there is
 * always a paced one, at least a pacing interval I after the first: a program alternating runs of output at least
 * TAIL_MIN_RUN_MS long (and long enough to hold a paced frame) with pauses of at least FLOOD_SETTLE_MS gets at most
 * 2 frames per I + FLOOD_SETTLE_MS (at most 2I / (I + FLOOD_SETTLE_MS) times its paced rate), every other one of them
 * carrying a run's end.
 *
 * Pure: the session reports each frame of output and each screen it takes, with its clock's `now` (ms).
 */
import { FLOOD_MIN_MS, RUN_GAP_MS } from './read-coalesce.js';

/**
 * How long the program's output must have been quiet (ms) before a flood's tail goes without its pacing: the gap
 * that ends a run of reads in read-coalesce.ts (RUN_GAP_MS), longer than a flood read at intervals
 * (FLOOD_READ_INTERVAL_MS, 5 ms) waits between its wakes plus a busy timer's lateness, and than the gaps between a
 * flood's frames while the daemon keeps up (a read every 0.7 ms in the traced `seq`). Shorter would take a busy turn
 * of the daemon's loop for the end of the flood more often (an extra frame, no more: see above); longer gives back
 * what it saves (the tail goes at the earlier of this and the pacing). bash writes its prompt within this of `seq`'s
 * last line, so the tail frame carries it (docs/benchmarks-journal.md, "The flood's last frame", session 20).
 */
export const FLOOD_SETTLE_MS = RUN_GAP_MS;

/**
 * A run has a tail only once it has lasted this long (ms, first output to last): read-coalesce.ts's FLOOD_MIN_MS, the
 * frame pacing's shortest interval, past which output is a flood nobody reads line by line. A program's burst (a
 * status line, a redraw) takes a few ms.
 */
export const TAIL_MIN_RUN_MS = FLOOD_MIN_MS;

export class FloodTail {
  /** Frames of output so far (a running count). */
  private outputs = 0;
  /** The count at the current run's first output, and its time. */
  private runFirst = 0;
  private runStartAt = -Infinity;
  /** The count when the last screen was taken: the output it carries. */
  private framedOutputs = 0;
  /** The program's last output, or the last time it was seen with output still on its way (`writing`). */
  private lastActiveAt = -Infinity;
  /** More output was on its way when the last frame of it reached the screen. */
  private moreAfterLast = false;

  /**
   * A frame of the program's output reached the screen at `now`; `more`: output read after it was on its way still
   * (SessionPty.outputPending). After such a frame the next one continues the run however late it comes: the program
   * did not go quiet, the daemon was busy (a collection, a long turn), and a run cut there would have no tail.
   */
  output(now: number, more = false): void {
    this.outputs++;
    // The same sum dueAt gives: a run ends at the instant its tail may go.
    if (!this.moreAfterLast && now >= this.lastActiveAt + FLOOD_SETTLE_MS) {
      this.runFirst = this.outputs;
      this.runStartAt = now;
    }
    this.lastActiveAt = now;
    this.moreAfterLast = more;
  }

  /**
   * At `now` the program had output on its way to the screen (read, not yet parsed): it has not gone quiet, and the
   * frame that output makes continues the run however long the parse took.
   */
  writing(now: number): void {
    this.lastActiveAt = Math.max(this.lastActiveAt, now);
  }

  /** The session took the screen (for a frame): it carries all the output so far. */
  framed(): void {
    this.framedOutputs = this.outputs;
  }

  /**
   * When the output not yet framed is a flood's tail that may go without waiting for its pacing (ms): FLOOD_SETTLE_MS
   * after the last output (or the last time output was seen on its way). Infinity when there is none, when its run
   * began after the last frame (output the pacing is to coalesce: a burst, or the start of a flood), or when the run is
   * shorter than TAIL_MIN_RUN_MS (a burst).
   */
  get dueAt(): number {
    if (this.outputs === this.framedOutputs || this.runFirst > this.framedOutputs) return Infinity;
    if (this.lastActiveAt < this.runStartAt + TAIL_MIN_RUN_MS) return Infinity;
    return this.lastActiveAt + FLOOD_SETTLE_MS;
  }
}
