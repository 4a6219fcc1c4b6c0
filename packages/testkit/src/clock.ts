/**
 * A clock the test moves by hand. Pure cores take `now` as an argument, so a whole session (timers, RTT, outages)
 * runs in milliseconds of real time and every run is identical.
 */
export class ManualClock {
  #now: number;

  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new RangeError(`ManualClock: start must be a finite time in ms, got ${startMs}`);
    this.#now = startMs;
  }

  /** ms. */
  get now(): number {
    return this.#now;
  }

  /** Move forward by `ms` (≥ 0) and return the new time. */
  advance(ms: number): number {
    if (!(ms >= 0 && Number.isFinite(ms))) throw new RangeError(`ManualClock.advance: ms must be finite and ≥ 0, got ${ms}`);
    this.#now += ms;
    return this.#now;
  }

  /** Jump to `ms`; time never runs backwards. */
  set(ms: number): void {
    if (!(ms >= this.#now && Number.isFinite(ms))) {
      throw new RangeError(`ManualClock.set: ${ms} is before the current time ${this.#now} (or not finite); a monotonic clock never goes back`);
    }
    this.#now = ms;
  }
}
