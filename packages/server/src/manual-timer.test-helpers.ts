/** A manual timer for the session's single timer under a manual clock, shared by the session tests. */
import type { SessionTimer } from './session.js';

/**
 * Firings at one instant after which the session is taken to be spinning: a step that wakes for a deadline it then
 * does not act on re-arms for the same instant and would loop for ever, out of reach of the test's timeout.
 */
const MAX_FIRINGS_AT_ONE_INSTANT = 1000;

export class ManualTimer implements SessionTimer {
  pending: { callback: () => void; due: number; id: number } | undefined;
  private nextId = 1;
  constructor(private readonly clock: { now: number }) {}
  set(callback: () => void, delayMs: number): unknown {
    if (this.pending !== undefined) throw new Error('the session armed a second timer while one was pending');
    this.pending = { callback, due: this.clock.now + delayMs, id: this.nextId++ };
    return this.pending.id;
  }
  clear(handle: unknown): void {
    if (this.pending?.id === handle) this.pending = undefined;
  }
  /** Moves the clock to `time`, firing the timer whenever it falls due on the way. */
  advanceTo(time: number): void {
    let firingsAtThisInstant = 0;
    while (this.pending !== undefined && this.pending.due <= time) {
      const { callback, due } = this.pending;
      this.pending = undefined;
      firingsAtThisInstant = due > this.clock.now ? 1 : firingsAtThisInstant + 1;
      if (firingsAtThisInstant > MAX_FIRINGS_AT_ONE_INSTANT) {
        throw new Error(`the session's timer fired ${MAX_FIRINGS_AT_ONE_INSTANT} times at ${this.clock.now} ms without the clock moving: it wakes for a deadline its step does not act on`);
      }
      this.clock.now = Math.max(this.clock.now, due);
      callback();
    }
    this.clock.now = Math.max(this.clock.now, time);
  }
}
