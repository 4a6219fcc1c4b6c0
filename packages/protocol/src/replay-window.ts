import { REPLAY_WINDOW_BITS } from './constants.js';

export type ReplayVerdict = 'fresh' | 'replay' | 'too-old';

/**
 * Sliding anti-replay window over one direction's sequence numbers (the RFC 4303 §3.4.3 idea). Remembers the
 * highest sequence accepted and which of the `width` numbers below it were seen. The connection calls `check`
 * before decrypting (a replay costs no cipher work) but `accept` only once the tag verifies: the header is
 * forgeable, and a forged sequence number must not move the window.
 *
 * The first datagram sets the window anywhere: the shell chooses the peer's starting sequence from a clock
 * (docs/protocol.md §Sequence numbers), so a restarted peer starts far above the old window and is accepted.
 */
export class ReplayWindow {
  readonly width: number;
  private highestSeen: bigint | undefined;
  // Bit (seq mod width) says "seen", for seq in (highest - width, highest].
  private readonly seen: Uint32Array;

  constructor(width = REPLAY_WINDOW_BITS) {
    if (!Number.isInteger(width) || width < 64 || width % 32 !== 0) throw new RangeError(`ReplayWindow: width ${width} must be a multiple of 32, at least 64`);
    this.width = width;
    this.seen = new Uint32Array(width / 32);
  }

  get highest(): bigint | undefined {
    return this.highestSeen;
  }

  check(seq: bigint): ReplayVerdict {
    const highest = this.highestSeen;
    if (highest === undefined || seq > highest) return 'fresh';
    if (highest - seq >= BigInt(this.width)) return 'too-old';
    return this.bit(seq) ? 'replay' : 'fresh';
  }

  /** Records `seq` as seen. Call only for an authentic datagram whose check() was 'fresh'. */
  accept(seq: bigint): void {
    const highest = this.highestSeen;
    if (highest === undefined || seq - highest >= BigInt(this.width)) {
      this.seen.fill(0);
      this.highestSeen = seq;
    } else if (seq > highest) {
      // Clear the slots of the numbers skipped over, which now fall inside the window unseen.
      for (let s = highest + 1n; s < seq; s++) this.setBit(s, false);
      this.highestSeen = seq;
    }
    this.setBit(seq, true);
  }

  private slot(seq: bigint): number {
    return Number(seq % BigInt(this.width));
  }

  private bit(seq: bigint): boolean {
    const slot = this.slot(seq);
    return (this.seen[slot >>> 5]! & (1 << (slot & 31))) !== 0;
  }

  private setBit(seq: bigint, on: boolean): void {
    const slot = this.slot(seq);
    if (on) this.seen[slot >>> 5] |= 1 << (slot & 31);
    else this.seen[slot >>> 5] &= ~(1 << (slot & 31));
  }
}
