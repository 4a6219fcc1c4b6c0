/**
 * A clock the test moves by hand. Pure cores take `now` as an argument, so a whole session (timers, RTT, outages)
 * runs in milliseconds of real time and every run is identical.
 */
export class ManualClock {
  private nowMs: number;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`ManualClock: start must be a finite time in ms, got ${startMs}`);
    this.nowMs = startMs;
  }

  /** ms. */
  get now(): number {
    return this.nowMs;
  }

  /** Move forward by `ms` (≥ 0) and return the new time. */
  advance(ms: number): number {
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`ManualClock.advance: ms must be finite and ≥ 0, got ${ms}`);
    this.nowMs += ms;
    return this.nowMs;
  }

  /** Jump to `ms`; time never runs backwards. */
  set(ms: number): void {
    if (!(ms >= this.nowMs && Number.isFinite(ms))) {
      throw new RangeError(`ManualClock.set: ${ms} is before the current time ${this.nowMs} (or not finite); a monotonic clock never goes back`);
    }
    this.nowMs = ms;
  }
}
