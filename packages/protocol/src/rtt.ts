import { TIMESTAMP_NONE } from './constants.js';

/** ms: RTO floor. Below this, timer jitter on a loaded host causes spurious resends; mosh's floor, 1/20 of TCP's 1 s. */
export const MIN_RTO_MS = 50;
/**
 * ms: RTO ceiling. RFC 6298's 60 s protects bulk TCP from congestion collapse; tsmosh paces every send by frame
 * interval, so a long RTO would only stall keystrokes. After 1 s without an ack, resending is right (mosh's ceiling).
 */
export const MAX_RTO_MS = 1000;
/**
 * ms: the starting guess when the shell knows no round trip. A typical WAN round trip: it yields a 300 ms RTO
 * (mosh starts at 1000 ms and 250 ms frames), and the first real sample replaces it outright.
 */
export const DEFAULT_INITIAL_RTT_MS = 100;
/** ms: samples this large are discarded: the peer was suspended (Ctrl-Z, a laptop lid), not the path slow (as mosh). */
export const MAX_RTT_SAMPLE_MS = 5000;

/**
 * RFC 6298 round-trip estimator. The starting values (a seed from the SSH round trip, or DEFAULT_INITIAL_RTT_MS) are
 * only a guess: the first real sample sets SRTT = R, RTTVAR = R/2 as RFC 6298 §2.2 prescribes for a first
 * measurement, so one exchange is enough to leave the guess behind. Later samples use α = 1/8, β = 1/4.
 */
export class RttEstimator {
  private smoothedRtt: number;
  private rttVariation: number;
  private sampled = false;
  private samplesTaken = 0;
  private latest: number | undefined;

  constructor(initialRttMs?: number) {
    const seed = initialRttMs !== undefined && Number.isFinite(initialRttMs) && initialRttMs > 0 ? initialRttMs : DEFAULT_INITIAL_RTT_MS;
    this.smoothedRtt = seed;
    this.rttVariation = seed / 2;
  }

  get srtt(): number {
    return this.smoothedRtt;
  }
  get rttvar(): number {
    return this.rttVariation;
  }
  get hasSample(): boolean {
    return this.sampled;
  }
  /** How many samples were taken so far: a reader that saw n knows a new one came when this passes n. */
  get sampleCount(): number {
    return this.samplesTaken;
  }
  /** ms: the latest sample itself, unsmoothed (a congestion controller reads the queue from it), or undefined. */
  get latestSample(): number | undefined {
    return this.latest;
  }

  /** Feeds one measured round trip in ms. Returns false (and changes nothing) for absurd samples. */
  sample(rttMs: number): boolean {
    if (!Number.isFinite(rttMs) || rttMs < 0 || rttMs >= MAX_RTT_SAMPLE_MS) return false;
    this.samplesTaken++;
    this.latest = rttMs;
    if (!this.sampled) {
      this.smoothedRtt = rttMs;
      this.rttVariation = rttMs / 2;
      this.sampled = true;
    } else {
      this.rttVariation = 0.75 * this.rttVariation + 0.25 * Math.abs(this.smoothedRtt - rttMs);
      this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * rttMs;
    }
    return true;
  }

  /** ms: SRTT + 4·RTTVAR, rounded up, clamped to [MIN_RTO_MS, MAX_RTO_MS]. */
  rto(): number {
    return Math.min(MAX_RTO_MS, Math.max(MIN_RTO_MS, Math.ceil(this.smoothedRtt + 4 * this.rttVariation)));
  }
}

/** The 16-bit millisecond timestamp carried in every datagram. Never TIMESTAMP_NONE, which means "no timestamp". */
export function timestamp16(nowMs: number): number {
  const value = ((Math.floor(nowMs) % 65536) + 65536) % 65536;
  return value === TIMESTAMP_NONE ? 0 : value;
}

/** ms elapsed from a 16-bit timestamp to now, modulo 2^16 (so valid for intervals under about 65 s). */
export function timestampDiff(nowMs: number, then16: number): number {
  return (((Math.floor(nowMs) - then16) % 65536) + 65536) % 65536;
}
