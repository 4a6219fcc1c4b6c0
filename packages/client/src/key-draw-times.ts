/**
 * When each keystroke was read and when its draw had been written to the terminal, on the machine's monotonic
 * clock (CLOCK_MONOTONIC, the clock process.hrtime reads in every process), for TSMOSH_CLIENT_STATS_FILE: a
 * benchmark that typed the key at a moment of the same clock can tell the client's own part of a predicted key's
 * time (read → drawn) from the kernel's and the scheduler's on either side of it (issue 18). Kept only while a stats
 * file is asked for.
 */

/** The monotonic clock shared by the processes of one machine (ms since boot, sub-µs resolution). */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Keys kept, the newest (a benchmark's trace types a few hundred between two reads of the file): 64 KB at most. */
const KEY_DRAW_TIMES_KEPT = 4096;

/** Parallel lists, oldest first: `readAt[i]` the read that carried a key, `drawnAt[i]` when its draw had been written. */
export interface KeyDrawTimesFile {
  readonly readAt: readonly number[];
  readonly drawnAt: readonly number[];
}

export class KeyDrawTimes {
  private readonly readAt: number[] = [];
  private readonly drawnAt: number[] = [];

  constructor(private readonly kept = KEY_DRAW_TIMES_KEPT) {}

  /** A key read at `readAt` was drawn (its draw written, or nothing to write) at `drawnAt` (monotonic ms). */
  record(readAt: number, drawnAt: number): void {
    this.readAt.push(readAt);
    this.drawnAt.push(drawnAt);
    if (this.readAt.length > this.kept) {
      // Dropped in a batch, so a long session pays one splice per `kept` keys rather than a shift per key.
      const excess = this.readAt.length - this.kept + Math.floor(this.kept / 4);
      this.readAt.splice(0, excess);
      this.drawnAt.splice(0, excess);
    }
  }

  get size(): number {
    return this.readAt.length;
  }

  toFile(): KeyDrawTimesFile {
    return { readAt: [...this.readAt], drawnAt: [...this.drawnAt] };
  }
}
