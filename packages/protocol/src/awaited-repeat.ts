/**
 * A second, spaced copy of a frame someone is waiting for, on a link that has lost something lately (timing.ts
 * awaitedRepeatAfterMs, lossMemoryMs; docs/protocol.md §8 Redundancy).
 *
 * The loss estimate turns redundant copies on only above 5 % one-way loss. Below it (a thin link losing 1 % each
 * way) a keystroke, or the daemon's answer to it (an echo, Ctrl-C's prompt), that is lost waits for the resend
 * timer, more than a round trip, and so misses a 2 × RTT budget about once in 15–25 Ctrl-Cs. Sending such a frame a
 * second time a few ms later, only while the link has shown loss recently, takes that out for a datagram per
 * keystroke and per answer; a clean link never shows loss and keeps single copies.
 */

/** The frame as the transport hands it to the connection again (the ack and chaff are fresh at each send). */
export interface RepeatFrame {
  readonly oldNum: number;
  readonly newNum: number;
  readonly diff: Uint8Array;
}

/** Pending repeats at most: one per awaited frame within the spacing, so a few cover any typist. */
const MAX_PENDING_REPEATS = 4;

export class AwaitedRepeats {
  /** Oldest first; each goes at `at` unless acknowledged or superseded. */
  private pending: Array<{ readonly at: number; readonly frame: RepeatFrame }> = [];
  /** When the link last showed a loss (either direction), if ever. */
  private lastLossAt: number | undefined;

  /** `afterMs`: timing.awaitedRepeatAfterMs (0: off); `memoryMs`: timing.lossMemoryMs. */
  constructor(
    private readonly afterMs: number,
    private readonly memoryMs: number,
  ) {}

  /** A loss was seen at `now`: a transmission judged lost, or the peer's sequence numbers skipped. */
  noteLoss(now: number): void {
    this.lastLossAt = now;
  }

  /** When the link last showed a loss, if ever. */
  get lossSeenAt(): number | undefined {
    return this.lastLossAt;
  }

  /** Back to what was known before an outage (its datagrams, lost together, are no evidence of random loss). */
  restoreLossSeenAt(at: number | undefined): void {
    this.lastLossAt = at;
  }

  /** Whether the link has shown a loss within the memory. */
  recentLoss(now: number): boolean {
    return this.lastLossAt !== undefined && now < this.lastLossAt + this.memoryMs;
  }

  /** Whether a frame sent now in `copies` copies with `diffBytes` of diff (at most `maxBytes`) gets a repeat. */
  wanted(now: number, copies: number, diffBytes: number, maxBytes: number): boolean {
    return this.afterMs > 0 && copies === 1 && diffBytes <= maxBytes && this.recentLoss(now);
  }

  /** `frame` left at `now`: send it again after the spacing. */
  schedule(frame: RepeatFrame, now: number): void {
    this.pending.push({ at: now + this.afterMs, frame });
    if (this.pending.length > MAX_PENDING_REPEATS) this.pending.shift();
  }

  /** A frame diffed from the state the peer acknowledged went out: it carries everything a pending repeat would. */
  supersede(): void {
    this.pending = [];
  }

  /** The peer holds state `ackNum`: repeats of it and of older states are useless. */
  acknowledged(ackNum: number): void {
    if (this.pending.some((p) => p.frame.newNum <= ackNum)) this.pending = this.pending.filter((p) => p.frame.newNum > ackNum);
  }

  /** When the next repeat is due (Infinity: none). */
  get dueAt(): number {
    return this.pending.length === 0 ? Infinity : this.pending[0]!.at;
  }

  /** The next repeat, taken off the list. Call only when `dueAt` has come. */
  take(): RepeatFrame {
    return this.pending.shift()!.frame;
  }
}
