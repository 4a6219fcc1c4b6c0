/** A manual timer for the session's single timer under a manual clock, shared by the session tests. */
import type { SessionTimer } from './session.js';

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
    while (this.pending !== undefined && this.pending.due <= time) {
      const { callback, due } = this.pending;
      this.pending = undefined;
      this.clock.now = Math.max(this.clock.now, due);
      callback();
    }
    this.clock.now = Math.max(this.clock.now, time);
  }
}
