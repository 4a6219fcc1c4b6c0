/**
 * The "still connecting" line: on a slow link SSH's login takes seconds with nothing on the screen. After
 * PROGRESS_QUIET_MS without a finished step, one line on stderr names the host and the step under way, kept up to
 * date as steps pass, and erased before anything else is written (a question, a message, the session's first frame).
 * Only on a terminal: a pipe gets nothing.
 */

/** A step that takes longer than this (ms) gets the line; a fast login never shows it. */
const PROGRESS_QUIET_MS = 1_000;

export interface ProgressOutput {
  readonly isTTY?: boolean;
  write(text: string): unknown;
}

export class ProgressLine {
  private step: string | undefined;
  private shown = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly host: string,
    private readonly output: ProgressOutput = process.stderr,
    private readonly quietMs = PROGRESS_QUIET_MS,
  ) {}

  /** A new step begins: shown at once if the line is up, else after quietMs more without progress. */
  update(step: string): void {
    if (this.stopped || this.output.isTTY !== true) return;
    this.step = step;
    if (this.shown) return this.draw();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.draw(), this.quietMs);
    this.timer.unref?.();
  }

  /** Erases the line (before other output); the next update() starts a new quiet period. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.shown) this.output.write('\r\x1b[K');
    this.shown = false;
  }

  /** Erases the line for good: the session is about to draw. */
  stop(): void {
    this.clear();
    this.stopped = true;
  }

  private draw(): void {
    if (this.stopped || this.step === undefined) return;
    this.output.write(`\r\x1b[Ktsmosh: ${this.host}: ${this.step}…`);
    this.shown = true;
  }
}
