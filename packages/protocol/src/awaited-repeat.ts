/**
 * A second, spaced copy of a frame someone is waiting for, on a link that has lost something lately (timing.ts
 * awaitedRepeatAfterMs, lossMemoryMs; docs/protocol.md §8 Redundancy).
 *
 * The loss estimate turns redundant copies on only above 5 % one-way loss. Below it (a thin link losing 1 % each
 * way) a keystroke, or the daemon's answer to it (an echo, Ctrl-C's prompt), that is lost waits for the resend
 * timer, more than a round trip, and so misses a 2 × RTT budget about once in 15–25 Ctrl-Cs. Sending such a frame a
 * second time a few ms later, only while the link has shown loss recently, takes that out for a datagram per
 * keystroke and per answer; a clean link never shows loss and keeps single copies.
 *
 * Not every key is worth a datagram, though. Keys typed closer together than a round trip cover each other: every
 * frame is diffed from the acknowledged state, so the next key's frame carries a lost key, and the next echo a lost
 * echo; such a loss costs the gap to the next key, under a round trip. So a frame answering or carrying input that
 * came within an SRTT of the input before it goes once, neither repeated nor in the loss estimate's copies, unless
 * the link loses heavily (the peer's datagrams missing at HEAVY_LOSS or more), where the next frame is too often
 * lost as well (coveredByNext). A key after a pause (Ctrl-C into a flood, Enter after a command, the first key of a
 * word at 300 ms RTT) and its answer still go twice.
 */

/**
 * The share of the peer's datagrams found missing (an EWMA: PEER_LOSS_GAIN per datagram heard or missing) from which
 * input typed within a round trip of the input before it is repeated too. Measured on keystroke-ack's trace (5 seeds
 * × 2000 keys, 80–250 ms within words), echo p95 and bytes per key with every awaited frame repeated → with this
 * rule (for the repeat alone): 10 % loss each way, 300 ms RTT 427 → 530 ms (mosh 688) for 357 → 275 B (mosh 231),
 * 100 ms 118 → 118 ms for 325 → 314 B; 29 % loss, 300 ms RTT 555 → 552 ms for 374 → 373 B. With 0.2 the 29 % cell's
 * p95 was 587 ms, with 0.1 the 10 % cell's bytes 311 B (the measured share hovers near the link's loss). With no
 * exception for heavy loss the 29 % cell's p95 was 663 ms. The copies too: 10 %, 300 ms 544 ms for 257 B.
 */
const HEAVY_LOSS = 0.15;
/** Per datagram: the share follows about the last 32 (at 10 % loss, 3 of them missing), a few keys' worth. */
const PEER_LOSS_GAIN = 1 / 32;

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
  /** The share of the peer's datagrams found missing lately (see HEAVY_LOSS). */
  private peerMissing = 0;

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

  /** Of the peer's datagrams, `heard` arrived and `missed` were found missing (the connection's datagramsMissed). */
  notePeerDatagrams(heard: number, missed: number): void {
    for (let i = 0; i < missed; i++) this.peerMissing += PEER_LOSS_GAIN * (1 - this.peerMissing);
    for (let i = 0; i < heard; i++) this.peerMissing -= PEER_LOSS_GAIN * this.peerMissing;
  }

  /** The share of the peer's datagrams found missing lately. */
  get peerMissingShare(): number {
    return this.peerMissing;
  }

  /**
   * Whether an awaited frame can count on the next frame to make its loss good, so it goes once (no repeat, no
   * copies): `isolated` false (the input it carries or answers came within an SRTT of the input before it) on a link
   * not losing heavily.
   */
  coveredByNext(isolated: boolean): boolean {
    return !isolated && this.peerMissing < HEAVY_LOSS;
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
