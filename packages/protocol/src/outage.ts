/**
 * Telling an outage from a lost datagram, for the transport's resend timer (timing.ts outageAfterResendDelays).
 *
 * The resend timer backs off so that a lossy link is not flooded, but its ceiling (resendMaxMs, 150 ms) then sets
 * how long after a blackout ends the next try leaves: catch-up was that random wait plus a round trip. Redundant
 * copies, which the loss estimate turns on during a blackout, all leave together and are lost together. So once the
 * peer has been silent long enough to be an outage, the transport resends small data once per frame interval in
 * single copies (the same datagrams per second, spread in time), and whichever end hears its peer first after the
 * silence resends at once instead of waiting for its timer. As the outage lasts the tries thin out
 * (outageTrySpacingMs): a handover of a second or two is caught up at the cadence, an hour-long one costs little.
 */
export class OutageWatch {
  /** The first data transmission (new data or a resend) since the peer was last heard; undefined once heard. */
  private firstUnansweredAt: number | undefined;

  /** `afterResendDelays`: TransportTiming.outageAfterResendDelays (0: never suspect an outage). */
  constructor(private readonly afterResendDelays: number) {}

  /** A data transmission left at `now` (only counted once the peer has been heard at all: not before first contact). */
  noteDataSent(now: number): void {
    if (this.firstUnansweredAt === undefined) this.firstUnansweredAt = now;
  }

  /** Since when our data has gone unanswered (undefined: nothing sent since the peer was last heard). */
  get unansweredSince(): number | undefined {
    return this.firstUnansweredAt;
  }

  /**
   * Something authentic came from the peer at `now`. Returns whether an outage was suspected until then (with the
   * resend delay `baseResendMs`): the caller then resends what the peer still lacks at once.
   */
  noteHeard(now: number, baseResendMs: number): boolean {
    const ended = this.suspected(now, baseResendMs);
    this.firstUnansweredAt = undefined;
    return ended;
  }

  /** When an outage is (or will be, if nothing is heard) suspected: Infinity when nothing is unanswered or it is off. */
  suspectedFrom(baseResendMs: number): number {
    if (this.afterResendDelays === 0 || this.firstUnansweredAt === undefined) return Infinity;
    return this.firstUnansweredAt + this.afterResendDelays * baseResendMs;
  }

  suspected(now: number, baseResendMs: number): boolean {
    return now >= this.suspectedFrom(baseResendMs);
  }
}

/**
 * The spacing of tries (ms) after `silenceMs` without a word from the peer: `fraction` of the silence
 * (timing.outageTryFraction), never below `floorMs` (the cadence of the first tries) nor above `maxMs`
 * (outageTryMaxMs; never below the floor either). The link's return is noticed within that fraction of the outage's
 * length plus a round trip, while the tries of an outage grow only with the logarithm of its length.
 */
export function outageTrySpacingMs(silenceMs: number, floorMs: number, fraction: number, maxMs: number): number {
  // Whole ms: a wake-up time is a sum the shell's timer rounds anyway.
  return Math.max(floorMs, Math.min(Math.round(silenceMs * fraction), maxMs));
}
