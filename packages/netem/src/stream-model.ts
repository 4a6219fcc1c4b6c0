/**
 * The emulated link as a byte stream sees it: what `tsmosh --local --link` does to the session's TCP carrier (the
 * fallback when UDP is blocked), so that an outage or a slow path there is the one the user asked for, not a
 * perfect loopback. A stream keeps its bytes in order and loses none (TCP resends them), so of a direction's
 * impairments it takes the delay, the jitter (never reordering), the bottleneck rate and the blackouts: bytes sent
 * into a blackout leave when it ends, as a stalled connection's resends get through once the path is back. Loss,
 * bursts, duplication and reordering are the datagram link's (model.ts): TCP hides them as delay, which the stream
 * does not try to imitate. Pure: times come in as arguments (ms, the caller's clock).
 */
import { blackoutRemainingMs, type BlackoutWindow, type DirectionProfile } from './model.js';
import { SeededRandom } from './prng.js';

/**
 * The end of the blackout `atMs` falls in (relative to the origin), or `atMs` itself when none does; Infinity for a
 * blackout that never ends (a window repeating with no gap, or windows that keep joining up).
 */
export function blackoutEnd(windows: readonly BlackoutWindow[], atMs: number): number {
  if (windows.some((window) => window.everyMs !== undefined && window.everyMs <= window.endMs - window.startMs && atMs >= window.startMs)) return Infinity;
  let end = atMs;
  // Back-to-back or overlapping windows: keep going until a moment outside all of them.
  for (let guard = 0, remaining = blackoutRemainingMs(windows, end); remaining > 0; guard++, remaining = blackoutRemainingMs(windows, end)) {
    if (guard >= 1000) return Infinity;
    end += remaining;
  }
  return end;
}

/** One direction of a stream through the emulated link: when each chunk written arrives. */
export class StreamDirection {
  private readonly random: SeededRandom;
  private readonly originMs: number;
  /** When the bottleneck has sent everything written so far (ms). */
  private bottleneckBusyUntil = -Infinity;
  /** The latest arrival given: a stream delivers in order, so no later chunk arrives before it. */
  private lastArrival = -Infinity;

  constructor(
    private readonly profile: DirectionProfile,
    options: { readonly seed: number; readonly originMs?: number },
  ) {
    this.random = new SeededRandom(options.seed);
    this.originMs = options.originMs ?? 0;
  }

  /** `bytesLength` bytes are written at `now` (ms): when they arrive (ms), never before an earlier chunk. */
  submit(bytesLength: number, now: number): number {
    const p = this.profile;
    const jitterDraw = this.random.nextFloat();
    // Into a blackout: the bytes wait for its end (on the origin's clock), then go as if written then.
    const sentAt = blackoutEnd(p.blackouts, now - this.originMs) + this.originMs;
    let leaves = sentAt;
    if (p.rateBytesPerSecond !== undefined) {
      this.bottleneckBusyUntil = Math.max(sentAt, this.bottleneckBusyUntil) + (bytesLength * 1000) / p.rateBytesPerSecond;
      leaves = this.bottleneckBusyUntil;
    }
    this.lastArrival = Math.max(this.lastArrival, leaves + p.delayMs + jitterDraw * p.jitterMs);
    return this.lastArrival;
  }
}
