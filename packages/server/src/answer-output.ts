/**
 * Output that answers a keystroke (the echo; after Enter a command's output and the prompt; after Ctrl-C the prompt)
 * is what the user is waiting for. The rest (a flood, a clock, a progress bar) is output nobody waits for at any one
 * moment. The pty host parses the first kind in the turn it is read rather than on xterm's deferred timer, and the
 * session sends it a frame per read (session.ts, responseSettleAt); the second kind is coalesced and paced.
 *
 * The judgement is made here once, by the AnswerWatch the pty host owns: the host reads its verdict for each read
 * (`output`), the session reads whether the answer is still small (`small`, through SessionPty.answerIsSmall) and
 * applies the window in its own clock, where its frames are timed.
 */

/** How long after a keystroke (ms) the program's output still counts as its answer: mosh's ECHO_TIMEOUT. */
export const ANSWER_WINDOW_MS = 50;

/**
 * How much output after a keystroke (bytes) still counts as a small answer: about an 80 × 24 screen of plain text.
 * An Enter of the shell trace is answered in tens of bytes over two to five writes (the newline, each process's
 * output, bash's bracketed-paste switch, the prompt). More than a screen is a listing or a flood, whose many reads
 * are better coalesced: a frame each would put a flood's tail on a thin link ahead of the prompt after Ctrl-C, and a
 * parse each, in the turn it was read, would hold the event loop for a whole burst of reads.
 */
export const SMALL_ANSWER_BYTES = 2048;

/** Counts the program's output since its last input: whether what is read now is still a small answer to it. */
export class AnswerWatch {
  private inputAt = -Infinity;
  private bytesSinceInput = 0;

  /** Input (keys, a paste) was written to the program at `now` (ms). */
  input(now: number): void {
    this.inputAt = now;
    this.bytesSinceInput = 0;
  }

  /** `bytes` of output were read at `now` (ms): true while they are part of a small answer to the latest input. */
  output(bytes: number, now: number): boolean {
    this.bytesSinceInput += bytes;
    return now < this.inputAt + ANSWER_WINDOW_MS && this.small;
  }

  /**
   * Whether the output read since the latest input is still small enough to be an answer to it (true before any
   * output). Says nothing about the time: the window is the caller's.
   */
  get small(): boolean {
    return this.bytesSinceInput <= SMALL_ANSWER_BYTES;
  }
}
