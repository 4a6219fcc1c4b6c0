/**
 * One timer kept at a due time, for an owner that plans its next wake-up again at every pump, step or draw (the
 * client's session and its prediction wake-up, the daemon's session): armed again for the same due time it leaves
 * the armed timer alone, so a deadline that stays put costs no clear and set of a platform timer per call. The
 * platform timer is handed in (setTimeout and clearTimeout, or a test's manual clock); times are the owner's ms.
 */

/** How the owner sets and clears a platform timer. */
export interface DueTimerFunctions {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

/** ms: setTimeout's delay is a 32-bit signed int; a longer one would fire at once, so a far due is clamped to it. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export class DueTimer {
  private handle: unknown;
  private dueAt = Infinity;

  constructor(
    private readonly timers: DueTimerFunctions,
    private readonly onDue: () => void,
  ) {}

  /** When it fires next (absolute ms), Infinity when not armed. */
  get due(): number {
    return this.handle === undefined ? Infinity : this.dueAt;
  }

  /**
   * Fire `onDue` at `due` (absolute ms; at once when past, rounded up to a whole ms so it never fires before it).
   * An infinite `due` disarms it: nothing will ever be due.
   */
  arm(now: number, due: number): void {
    if (this.handle !== undefined && due === this.dueAt) return;
    this.cancel();
    if (!Number.isFinite(due)) return;
    this.dueAt = due;
    this.handle = this.timers.set(() => {
      this.handle = undefined;
      this.dueAt = Infinity;
      this.onDue();
    }, Math.min(Math.max(0, Math.ceil(due - now)), MAX_TIMER_DELAY_MS));
  }

  cancel(): void {
    if (this.handle !== undefined) this.timers.clear(this.handle);
    this.handle = undefined;
    this.dueAt = Infinity;
  }
}
