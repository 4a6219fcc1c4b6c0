/**
 * Congestion control for the frames of the state-synchronization sender (BBR's model, reduced to what a sender of
 * whole states needs; docs/protocol.md §8, "Congestion control"). Pure: time comes in as `now`.
 *
 * A state-sync sender has no backlog of its own: a frame held back costs nothing, because the next one carries the
 * newest state. What it can do wrong is fill the path's bottleneck queue, so that a later frame (an echo, the prompt
 * after Ctrl-C) waits behind frames nobody is waiting for, or overflow it, so that every frame loses a fragment and
 * none arrives. Two limits, both for frames nobody waits for (an answer to the peer's input is never held):
 *
 * - A budget of bytes in flight, always: twice the bandwidth-delay product (the measured delivery rate × the minimum
 *   round trip), at least INITIAL_BUDGET_BYTES, plus the receiver's acknowledgement allowance and one frame. A frame
 *   that would go past it waits for an acknowledgement (or for the frames in flight to count as lost) and then
 *   carries everything that changed meanwhile: frames get fewer and larger instead of queued.
 * - Pacing at the measured delivery rate (probing above it, draining below it, as BBR), only on a path that has shown it is the
 *   bottleneck: a round trip well above the minimum (a queue formed), and from then on for as long as the pacing
 *   holds frames back (within the controller's memory). Frames then enter the bottleneck as fast as it drains, and
 *   the queue an answer joins is about one frame.
 *
 * Elsewhere (loopback, a fast link, a lossy but unconstrained one) nothing is paced, and the budget is far above what
 * frames at the frame interval put in flight there, so those behave as without it: the delivery rates measured there
 * are the application's own pace, not the path's, and must not become a pace.
 */
import { DeliveryRateEstimator } from './delivery-rate.js';

/**
 * In flight at most this many times the estimated bandwidth-delay product (BBR's cwnd gain): the pacing, not this
 * budget, keeps the queue short; the budget stops a sender whose estimate is wrong or whose acknowledgements stopped
 * (a lost frame) from filling the queue, with room for acknowledgements that come late.
 */
export const BUDGET_GAIN = 2;
/**
 * Frames nobody waits for are paced at the delivery rate times this gain while the path holds no more than its
 * bandwidth-delay product, the acknowledgement allowance and one frame: offering a quarter more than the estimate
 * keeps the bottleneck busy (so every sample measures it, and a faster path shows itself within a round trip or two:
 * BBR's probing gain), and the queue it builds is what one frame makes…
 */
export const PROBE_GAIN = 1.25;
/**
 * …and at this gain once more than that is in flight, so the queue drains again (BBR's drain phase). BBR takes turns
 * by round trip; a screen frame on a thin path can take longer than a round trip to send, so turns by the bytes in
 * flight suit frames better.
 */
export const DRAIN_GAIN = 0.75;
/**
 * bytes: the budget's floor, and all of it before any delivery rate is known. Frames sent blind into a thin path's
 * buffer faster than it drains are lost in part and so whole, and so is every one after them, and no acknowledgement
 * comes back to say so: the budget must hold even before the path has shown a queue. 16 KB (the channel mux's
 * initial window) is a screen or two in flight, which an unconstrained path's flood at the frame interval does not
 * exceed before its acknowledgement brings a rate; a single frame may go past it (the budget adds the largest frame).
 */
export const INITIAL_BUDGET_BYTES = 16 * 1024;
/**
 * ms: a round trip this much above the minimum (or a whole minimum round trip above it, if that is more) means a
 * queue has formed at a bottleneck: the path, not the application, now sets the pace. 20 ms is above the jitter of
 * ordinary paths and a busy host's timer lateness; a queue of one round trip is what the budget then keeps out.
 */
export const QUEUE_SIGNAL_MIN_MS = 20;
/** ms: the minimum round trip is the smallest sample within this window (BBR's 10 s); past it the window's minimum. */
export const MIN_RTT_WINDOW_MS = 10_000;
/**
 * What the controller remembers: a delivery-rate sample, a queue seen, or a frame held by the budget, counts for
 * max(MEMORY_MIN_MS, MEMORY_ROUND_TRIPS × min RTT) (ms). Ten round trips, as BBR's bandwidth filter; at least 1 s so
 * that a short pause in a flood does not forget the path's rate. Past it the path counts as unconstrained again.
 */
export const MEMORY_MIN_MS = 1000;
export const MEMORY_ROUND_TRIPS = 10;
/** Frames tracked in flight at most (one per frame interval, ≥ 20 ms apart: 64 covers > 1 s); older ones are dropped. */
const MAX_TRACKED_FRAMES = 64;

interface FrameInFlight {
  readonly num: number;
  /** bytes on the wire (every datagram of every copy). */
  readonly bytes: number;
  readonly sentAt: number;
  /** The rate estimator's count of delivered bytes, and its time, when this frame was sent. */
  readonly delivered: number;
  readonly deliveredAt: number;
  /** When the newest acknowledged frame was sent, as of this frame's sending: the start of its sending interval. */
  readonly intervalStart: number;
}

export interface CongestionInit {
  /**
   * bytes the receiver may hold before it acknowledges (TransportTiming.ackAfterBytes): that much is delivered but
   * still counts in flight, so the budget adds it on top of the bandwidth-delay product, or a budget-bound sender
   * would starve the path of those bytes on every round trip.
   */
  readonly ackAllowanceBytes: number;
}

export class CongestionController {
  private readonly ackAllowanceBytes: number;
  /** In ascending state number, which is also sending order (a resent number is always the newest). */
  private frames: FrameInFlight[] = [];
  private readonly rate = new DeliveryRateEstimator();
  private minRtt = Infinity;
  private minRttAt = -Infinity;
  /** The smallest sample since `minRttAt`: the minimum of the next window. */
  private windowMinRtt = Infinity;
  private queueSeenAt = -Infinity;
  private heldAt = -Infinity;
  private lastAckedSentAt = 0;
  /** The last frame sent (any kind): the next paced frame waits for its bytes to leave at the pacing rate. */
  private lastSentAt = -Infinity;
  private lastSentBytes = 0;

  constructor(init: CongestionInit) {
    if (!(init.ackAllowanceBytes >= 0 && Number.isFinite(init.ackAllowanceBytes))) {
      throw new RangeError(`CongestionController: ackAllowanceBytes must be a finite number ≥ 0, got ${init.ackAllowanceBytes}`);
    }
    this.ackAllowanceBytes = init.ackAllowanceBytes;
  }

  /** ms: the smallest round trip within the window, or undefined before any sample. */
  get minRttMs(): number | undefined {
    return Number.isFinite(this.minRtt) ? this.minRtt : undefined;
  }

  /** bytes per ms: the largest delivery rate measured within the controller's memory, or undefined. */
  deliveryRate(now: number): number | undefined {
    return this.rate.maxWithin(now, this.memoryMs());
  }

  /**
   * One round trip of the path (ms), measured by the datagram layer's timestamps (the peer's hold time taken off, so
   * it is path and queue, not the peer's ack delay).
   */
  onPathRtt(sampleMs: number, now: number): void {
    if (!(sampleMs >= 0 && Number.isFinite(sampleMs))) return;
    if (sampleMs <= this.minRtt) {
      this.minRtt = sampleMs;
      this.minRttAt = now;
      this.windowMinRtt = Infinity;
    } else {
      this.windowMinRtt = Math.min(this.windowMinRtt, sampleMs);
      if (now - this.minRttAt > MIN_RTT_WINDOW_MS) {
        // The path's minimum may have grown (a new route): the last window's minimum stands in for it.
        this.minRtt = this.windowMinRtt;
        this.minRttAt = now;
        this.windowMinRtt = Infinity;
      }
    }
    // A queue counts only if ours could have made it: more in flight than the path holds by our own estimate. A long
    // round trip while we send little (a busy host's timer, someone else's traffic) says nothing about our pace, and
    // pacing at the little we sent would starve the next flood.
    if (sampleMs > this.minRtt + Math.max(QUEUE_SIGNAL_MIN_MS, this.minRtt) && this.unacknowledgedBytes() > this.bandwidthDelayProduct(now) + this.ackAllowanceBytes) {
      this.queueSeenAt = now;
    }
  }

  /** A frame with state number `num` left as `bytes` bytes of datagrams (a resend of a number replaces its record). */
  onSent(num: number, bytes: number, now: number): void {
    if (this.frames.length === 0) this.rate.restartFromIdle(now);
    if (this.frames.length > 0 && this.frames[this.frames.length - 1]!.num >= num) this.frames = this.frames.filter((f) => f.num < num);
    this.frames.push({ num, bytes, sentAt: now, delivered: this.rate.delivered, deliveredAt: this.rate.deliveredAt, intervalStart: this.lastAckedSentAt });
    if (this.frames.length > MAX_TRACKED_FRAMES) this.frames.shift();
    this.lastSentAt = now;
    this.lastSentBytes = bytes;
  }

  /** The peer holds state `ackNum`: every frame up to it has arrived or was made useless by it. */
  onAcknowledged(ackNum: number, now: number): void {
    let count = 0;
    while (count < this.frames.length && this.frames[count]!.num <= ackNum) count++;
    if (count === 0) return;
    for (let i = 0; i < count; i++) this.rate.onAcked(this.frames[i]!.bytes);
    const newest = this.frames[count - 1]!;
    this.frames = this.frames.slice(count);
    // BBR's sample interval: the longer of the acknowledging and the sending spans, so that an acknowledgement that
    // arrives in a burst does not claim a rate the sender never offered.
    const sendingSpan = newest.sentAt - newest.intervalStart;
    this.rate.onPacketAcked(now, newest.delivered, Math.min(newest.deliveredAt, now - sendingSpan), this.memoryMs());
    this.lastAckedSentAt = Math.max(this.lastAckedSentAt, newest.sentAt);
  }

  /** Whether the path has shown itself the bottleneck within the controller's memory (only then frames are paced). */
  limited(now: number): boolean {
    return now - Math.max(this.queueSeenAt, this.heldAt) <= this.memoryMs() && this.deliveryRate(now) !== undefined;
  }

  /**
   * bytes that may be in flight: gain × rate × min RTT (at least INITIAL_BUDGET_BYTES), plus the ack allowance and
   * the largest frame.
   */
  budgetBytes(now: number): number {
    // Plus a frame: a frame is never split, so the path stays busy only if the next can go while one is in flight.
    return Math.max(INITIAL_BUDGET_BYTES, BUDGET_GAIN * this.bandwidthDelayProduct(now)) + this.ackAllowanceBytes + this.largestFrameBytes();
  }

  /** bytes per ms at which frames nobody waits for are sent now; Infinity when not limited. */
  pacingRate(now: number, lossTimeoutMs: number): number {
    if (!this.limited(now)) return Infinity;
    const rate = this.deliveryRate(now)!;
    const queueFree = this.bandwidthDelayProduct(now) + this.ackAllowanceBytes + this.largestFrameBytes();
    return (this.bytesInFlight(now, lossTimeoutMs) > queueFree ? DRAIN_GAIN : PROBE_GAIN) * rate;
  }

  /** bytes sent and neither acknowledged nor older than `lossTimeoutMs` (presumed lost: the resend timer's view). */
  bytesInFlight(now: number, lossTimeoutMs: number): number {
    let bytes = 0;
    for (const frame of this.frames) if (now - frame.sentAt < lossTimeoutMs) bytes += frame.bytes;
    return bytes;
  }

  /**
   * The earliest time ≥ now at which a frame that waits for the budget may go, if no acknowledgement comes first:
   * now when the bytes in flight are under the budget, else when enough of them will count as lost. A frame is
   * never split, so one frame may take the bytes in flight past the budget: the next waits.
   */
  sendAllowedAt(now: number, lossTimeoutMs: number): number {
    if (!this.limited(now)) return this.budgetAllowsAt(now, lossTimeoutMs);
    const pacedAt = this.lastSentAt + this.lastSentBytes / this.pacingRate(now, lossTimeoutMs);
    return Math.max(now, pacedAt, this.budgetAllowsAt(now, lossTimeoutMs));
  }

  private budgetAllowsAt(now: number, lossTimeoutMs: number): number {
    const budget = this.budgetBytes(now);
    let inFlight = this.bytesInFlight(now, lossTimeoutMs);
    if (inFlight < budget) return now;
    for (const frame of this.frames) {
      const expiresAt = frame.sentAt + lossTimeoutMs;
      if (expiresAt <= now) continue;
      inFlight -= frame.bytes;
      if (inFlight < budget) return expiresAt;
    }
    return now;
  }

  private unacknowledgedBytes(): number {
    let bytes = 0;
    for (const frame of this.frames) bytes += frame.bytes;
    return bytes;
  }

  /** bytes of the largest frame in flight or last sent. */
  private largestFrameBytes(): number {
    let largest = this.lastSentBytes;
    for (const frame of this.frames) largest = Math.max(largest, frame.bytes);
    return largest;
  }

  private bandwidthDelayProduct(now: number): number {
    return (this.deliveryRate(now) ?? 0) * (Number.isFinite(this.minRtt) ? this.minRtt : 0);
  }

  /**
   * A frame that was due waits: on a path already found to be the bottleneck, the application still offers more than
   * it takes, so the pacing stays on. (A hold by the budget alone on an unconstrained path says nothing of the path.)
   */
  noteHeld(now: number): void {
    if (this.limited(now)) this.heldAt = now;
  }

  private memoryMs(): number {
    return Math.max(MEMORY_MIN_MS, MEMORY_ROUND_TRIPS * (Number.isFinite(this.minRtt) ? this.minRtt : 0));
  }
}
