/**
 * The link-impairment model: given a datagram's size and the time it is sent, when (if ever) does it arrive, and
 * how many copies arrive? Pure and seeded: no clock, no timers, no Math.random. The in-memory link of the simulated
 * tests, the UDP proxy and the benchmarks all drive this one model, so a behaviour seen in one reproduces in the
 * others.
 *
 * One `LinkDirection` is one direction of a path. A datagram passes these stages in order:
 *   1. blackout: dropped if sent inside a scheduled window or while the run-time blackout switch is on;
 *   2. independent loss: dropped with probability `loss`;
 *   3. bursty loss: a Gilbert–Elliott chain (see `GilbertElliott`) drops it according to its current state;
 *   4. bottleneck: with a rate limit, it waits behind the bytes queued before it and is dropped when the queue is
 *      full (tail drop, like a router buffer); it leaves the bottleneck after its own serialization time;
 *   5. propagation: `delayMs` plus a uniform extra in [0, jitterMs]. Jitter alone never reorders (delivery is kept
 *      FIFO, as on a real path where queueing delay varies but packets stay in line);
 *   6. reordering: with probability `reorder` the datagram is held back `reorderDelayMs` more, so datagrams sent
 *      shortly after it overtake it;
 *   7. duplication: with probability `duplicate` a second copy arrives, up to `jitterMs` after the first.
 * Loss is decided before the bottleneck, so a lost datagram does not use capacity.
 *
 * Every `submit` draws the same number of random values whatever the profile, so changing one impairment (say the
 * duplication rate) does not change which datagrams another (say independent loss) picks.
 */
import { SeededRandom, deriveSeed } from './prng.js';

/**
 * Gilbert–Elliott bursty loss: a two-state Markov chain evaluated once per datagram. In the good state a datagram is
 * lost with probability `lossInGood`, in the bad state with `lossInBad`; after each datagram the chain moves good →
 * bad with probability `enterBad` and bad → good with `exitBad`. The chain spends a fraction
 * enterBad / (enterBad + exitBad) of datagrams in the bad state, and a bad spell lasts 1 / exitBad datagrams on
 * average. With lossInBad = 1 and lossInGood = 0 (Gilbert's original model) the mean loss rate is that fraction and
 * the mean burst length is 1 / exitBad. `burstLoss(meanLoss, meanBurstLength)` builds that case.
 */
export interface GilbertElliott {
  readonly enterBad: number;
  readonly exitBad: number;
  readonly lossInBad: number;
  readonly lossInGood: number;
}

/**
 * A blackout: datagrams sent in [startMs, endMs) (relative to the link's origin) are dropped. With `everyMs` the
 * window repeats: [startMs + k·everyMs, endMs + k·everyMs) for every k ≥ 0.
 */
export interface BlackoutWindow {
  readonly startMs: number;
  readonly endMs: number;
  readonly everyMs?: number;
}

/** The bottleneck buffer: a byte count, or the bytes the bottleneck drains in a time (a "200 ms buffer"). */
export type QueueLimit = { readonly bytes: number } | { readonly ms: number };

/** One direction's impairments. Probabilities are fractions in [0, 1]; times are milliseconds. */
export interface DirectionProfile {
  /** One-way propagation delay (ms): every datagram takes at least this long. */
  readonly delayMs: number;
  /** Extra queueing delay (ms), uniform in [0, jitterMs]; never reorders on its own. */
  readonly jitterMs: number;
  /** Independent (i.i.d.) loss probability per datagram. */
  readonly loss: number;
  /** Bursty loss, applied on top of `loss`; undefined for none. */
  readonly burst: GilbertElliott | undefined;
  /** Probability that a datagram is held back so that later ones overtake it. */
  readonly reorder: number;
  /** How long (ms) a reordered datagram is held back beyond its normal delivery time. */
  readonly reorderDelayMs: number;
  /** Probability that a datagram arrives twice. */
  readonly duplicate: number;
  /** Bottleneck rate (bytes per second); undefined for unlimited. */
  readonly rateBytesPerSecond: number | undefined;
  /** The bottleneck's buffer; only meaningful with a rate. */
  readonly queue: QueueLimit;
  /** Scheduled outages. */
  readonly blackouts: readonly BlackoutWindow[];
}

/** Both directions of a path: `up` is client → server, `down` is server → client. */
export interface LinkProfile {
  readonly up: DirectionProfile;
  readonly down: DirectionProfile;
}

/**
 * A reordered datagram is held back 20 ms by default: mosh's and tsmosh's minimum frame interval, so the next frame
 * sent overtakes it, which is the case the receiver's reordering logic must handle.
 */
export const DEFAULT_REORDER_DELAY_MS = 20;

/**
 * The default bottleneck buffer holds 200 ms of traffic at the bottleneck rate: a moderately sized router buffer
 * (about one bandwidth-delay product of a long path), enough for a burst of frames to queue and a flood to overflow.
 */
export const DEFAULT_QUEUE: QueueLimit = { ms: 200 };

/**
 * A time-sized buffer is never smaller than 3000 bytes (two 1500-byte Ethernet frames), so even a very slow
 * bottleneck can hold one maximum-size datagram behind another instead of dropping every large datagram.
 */
export const MIN_QUEUE_BYTES_FOR_TIME_LIMIT = 3000;

/** A perfect link direction: no delay, no loss, unlimited rate. */
export const PERFECT_DIRECTION: DirectionProfile = Object.freeze({
  delayMs: 0,
  jitterMs: 0,
  loss: 0,
  burst: undefined,
  reorder: 0,
  reorderDelayMs: DEFAULT_REORDER_DELAY_MS,
  duplicate: 0,
  rateBytesPerSecond: undefined,
  queue: DEFAULT_QUEUE,
  blackouts: Object.freeze([]) as readonly BlackoutWindow[],
});

export const PERFECT_LINK: LinkProfile = Object.freeze({ up: PERFECT_DIRECTION, down: PERFECT_DIRECTION });

/** A direction profile from a few fields, the rest perfect. */
export function directionProfile(fields: Partial<DirectionProfile> = {}): DirectionProfile {
  const profile = { ...PERFECT_DIRECTION, ...fields };
  validateDirectionProfile(profile, 'directionProfile');
  return profile;
}

/** The same impairments in both directions. */
export function symmetricLink(fields: Partial<DirectionProfile> = {}): LinkProfile {
  const direction = directionProfile(fields);
  return { up: direction, down: direction };
}

/**
 * Gilbert's burst model from the two numbers people know: the mean loss rate (a fraction) and the mean length of a
 * loss burst (datagrams, ≥ 1). The bad state loses everything, the good state nothing.
 */
export function burstLoss(meanLoss: number, meanBurstLength: number): GilbertElliott {
  if (!(meanLoss >= 0 && meanLoss < 1)) {
    throw new RangeError(`burstLoss: the mean loss must be in [0, 1), got ${meanLoss}`);
  }
  if (!(meanBurstLength >= 1 && Number.isFinite(meanBurstLength))) {
    throw new RangeError(`burstLoss: the mean burst length is in datagrams and must be ≥ 1, got ${meanBurstLength}`);
  }
  const exitBad = 1 / meanBurstLength;
  // Stationary bad fraction p / (p + r) = meanLoss  ⇒  p = meanLoss · r / (1 − meanLoss).
  // Clamped: at the limit below, rounding can land a hair above 1.
  const enterBad = Math.min(1, (meanLoss * exitBad) / (1 - meanLoss));
  if ((meanLoss * exitBad) / (1 - meanLoss) > 1 + 1e-9) {
    // Bursts separated by at least one delivered datagram cannot lose more than L / (L + 1) of them.
    const most = meanBurstLength / (meanBurstLength + 1);
    throw new RangeError(
      `burstLoss: bursts of ${meanBurstLength} datagrams cannot make a mean loss of ${meanLoss}; at most ${most} (use longer bursts)`,
    );
  }
  return { enterBad, exitBad, lossInBad: 1, lossInGood: 0 };
}

/** The long-run loss fraction of a Gilbert–Elliott chain. */
export function gilbertElliottMeanLoss(ge: GilbertElliott): number {
  const total = ge.enterBad + ge.exitBad;
  if (total === 0) return ge.lossInGood; // the chain never leaves the good state it starts in
  const badFraction = ge.enterBad / total;
  return badFraction * ge.lossInBad + (1 - badFraction) * ge.lossInGood;
}

/** Throws a RangeError naming the field when a profile holds an impossible value. `where` prefixes the message. */
export function validateDirectionProfile(profile: DirectionProfile, where: string): void {
  const fail = (field: string, value: unknown, rule: string): never => {
    throw new RangeError(`${where}: ${field} = ${String(value)} is invalid: ${rule}`);
  };
  const nonNegative = (field: string, value: number): void => {
    if (!(Number.isFinite(value) && value >= 0)) fail(field, value, 'it must be a finite number ≥ 0');
  };
  const probability = (field: string, value: number): void => {
    if (!(value >= 0 && value <= 1)) fail(field, value, 'a probability must be in [0, 1]');
  };
  nonNegative('delayMs', profile.delayMs);
  nonNegative('jitterMs', profile.jitterMs);
  probability('loss', profile.loss);
  probability('reorder', profile.reorder);
  nonNegative('reorderDelayMs', profile.reorderDelayMs);
  probability('duplicate', profile.duplicate);
  if (profile.burst !== undefined) {
    probability('burst.enterBad', profile.burst.enterBad);
    probability('burst.exitBad', profile.burst.exitBad);
    probability('burst.lossInBad', profile.burst.lossInBad);
    probability('burst.lossInGood', profile.burst.lossInGood);
  }
  if (profile.rateBytesPerSecond !== undefined) {
    const rate = profile.rateBytesPerSecond;
    if (!(Number.isFinite(rate) && rate > 0)) fail('rateBytesPerSecond', rate, 'a rate must be a finite number > 0');
  }
  if ('bytes' in profile.queue) nonNegative('queue.bytes', profile.queue.bytes);
  else nonNegative('queue.ms', profile.queue.ms);
  profile.blackouts.forEach((window, i) => {
    nonNegative(`blackouts[${i}].startMs`, window.startMs);
    if (!(Number.isFinite(window.endMs) && window.endMs >= window.startMs)) {
      fail(`blackouts[${i}].endMs`, window.endMs, 'a window must end at or after its start');
    }
    if (window.everyMs !== undefined && !(Number.isFinite(window.everyMs) && window.everyMs >= window.endMs - window.startMs && window.everyMs > 0)) {
      fail(`blackouts[${i}].everyMs`, window.everyMs, 'a repeating window needs a period > 0 and at least as long as the window');
    }
  });
}

/** How long (ms) the windows `atMs` (relative to the link's origin) falls inside go on from it: 0 when in none. */
export function blackoutRemainingMs(windows: readonly BlackoutWindow[], atMs: number): number {
  let remaining = 0;
  for (const window of windows) {
    if (atMs < window.startMs) continue;
    const offset = window.everyMs === undefined ? atMs - window.startMs : (atMs - window.startMs) % window.everyMs;
    remaining = Math.max(remaining, window.endMs - window.startMs - offset);
  }
  return remaining;
}

/** True when `atMs` (relative to the link's origin) falls inside one of the windows. */
export function insideBlackout(windows: readonly BlackoutWindow[], atMs: number): boolean {
  return blackoutRemainingMs(windows, atMs) > 0;
}

/** Why a datagram was dropped. */
export type DropReason = 'blackout' | 'loss' | 'burst' | 'queue';

export interface LinkCounters {
  /** Datagrams handed to `submit`. */
  submitted: number;
  submittedBytes: number;
  /** Deliveries scheduled, duplicates included. */
  delivered: number;
  deliveredBytes: number;
  /** Datagrams that got a second copy (each also counted once more in `delivered`). */
  duplicated: number;
  /** Datagrams held back by the reordering stage. */
  reordered: number;
  dropped: Record<DropReason, number>;
}

export function emptyCounters(): LinkCounters {
  return {
    submitted: 0,
    submittedBytes: 0,
    delivered: 0,
    deliveredBytes: 0,
    duplicated: 0,
    reordered: 0,
    dropped: { blackout: 0, loss: 0, burst: 0, queue: 0 },
  };
}

export interface LinkDirectionOptions {
  /** Seeds the direction's decisions: the same seed and the same submissions give the same deliveries. */
  readonly seed: number;
  /** The time (ms, on the caller's clock) that blackout windows are measured from. Default 0. */
  readonly originMs?: number;
}

/** One direction of an emulated path. */
export class LinkDirection {
  readonly counters: LinkCounters = emptyCounters();
  private profileValue: DirectionProfile;
  private readonly random: SeededRandom;
  private readonly originMs: number;
  private manualBlackout = false;
  private inBadState = false;
  /** When the bottleneck finishes sending everything queued so far (ms, caller's clock). */
  private bottleneckBusyUntil = -Infinity;
  /** The latest delivery time given to an in-order datagram: later in-order datagrams never arrive before it. */
  private lastInOrderDelivery = -Infinity;

  constructor(profile: DirectionProfile, options: LinkDirectionOptions) {
    validateDirectionProfile(profile, 'LinkDirection');
    this.profileValue = profile;
    this.random = new SeededRandom(options.seed);
    this.originMs = options.originMs ?? 0;
  }

  get profile(): DirectionProfile {
    return this.profileValue;
  }

  /** Change the impairments from now on. The queue, the burst state and the random stream carry over. */
  setProfile(profile: DirectionProfile): void {
    validateDirectionProfile(profile, 'LinkDirection.setProfile');
    this.profileValue = profile;
  }

  /** Switch a run-time blackout on or off (in addition to the scheduled windows). */
  setBlackout(on: boolean): void {
    this.manualBlackout = on;
  }

  get blackout(): boolean {
    return this.manualBlackout;
  }

  /** bytes waiting in the bottleneck's buffer at `now` (ms): 0 without a rate limit. */
  queuedBytes(now: number): number {
    const rate = this.profileValue.rateBytesPerSecond;
    if (rate === undefined) return 0;
    return (Math.max(0, this.bottleneckBusyUntil - now) * rate) / 1000;
  }

  /**
   * A datagram of `bytesLength` bytes is sent at `now` (ms). Returns the times it arrives: [] when dropped, two
   * entries when duplicated. Every time is ≥ now + delayMs.
   */
  submit(bytesLength: number, now: number): number[] {
    if (!(Number.isInteger(bytesLength) && bytesLength >= 0)) {
      throw new RangeError(`LinkDirection.submit: bytesLength must be an integer ≥ 0, got ${bytesLength}`);
    }
    if (!Number.isFinite(now)) throw new RangeError(`LinkDirection.submit: now must be a finite time in ms, got ${now}`);
    const p = this.profileValue;
    const counters = this.counters;
    counters.submitted++;
    counters.submittedBytes += bytesLength;

    // A fixed set of draws per datagram keeps each impairment's choices independent of the others' settings.
    const lossDraw = this.random.nextFloat();
    const burstLossDraw = this.random.nextFloat();
    const burstTransitionDraw = this.random.nextFloat();
    const jitterDraw = this.random.nextFloat();
    const reorderDraw = this.random.nextFloat();
    const duplicateDraw = this.random.nextFloat();
    const duplicateJitterDraw = this.random.nextFloat();

    let burstDrop = false;
    if (p.burst !== undefined) {
      burstDrop = burstLossDraw < (this.inBadState ? p.burst.lossInBad : p.burst.lossInGood);
      if (this.inBadState ? burstTransitionDraw < p.burst.exitBad : burstTransitionDraw < p.burst.enterBad) {
        this.inBadState = !this.inBadState;
      }
    }

    if (this.manualBlackout || insideBlackout(p.blackouts, now - this.originMs)) return this.drop('blackout');
    if (lossDraw < p.loss) return this.drop('loss');
    if (burstDrop) return this.drop('burst');

    let leavesBottleneckAt = now;
    if (p.rateBytesPerSecond !== undefined) {
      const bytesPerMs = p.rateBytesPerSecond / 1000;
      const queuedBytes = Math.max(0, this.bottleneckBusyUntil - now) * bytesPerMs;
      if (queuedBytes + bytesLength > queueLimitBytes(p)) return this.drop('queue');
      this.bottleneckBusyUntil = Math.max(now, this.bottleneckBusyUntil) + bytesLength / bytesPerMs;
      leavesBottleneckAt = this.bottleneckBusyUntil;
    }

    let arrival = leavesBottleneckAt + p.delayMs + jitterDraw * p.jitterMs;
    if (reorderDraw < p.reorder) {
      arrival = Math.max(arrival, this.lastInOrderDelivery) + p.reorderDelayMs;
      counters.reordered++;
    } else {
      arrival = Math.max(arrival, this.lastInOrderDelivery);
      this.lastInOrderDelivery = arrival;
    }
    const arrivals = [arrival];
    if (duplicateDraw < p.duplicate) {
      arrivals.push(arrival + duplicateJitterDraw * p.jitterMs);
      counters.duplicated++;
    }
    counters.delivered += arrivals.length;
    counters.deliveredBytes += arrivals.length * bytesLength;
    return arrivals;
  }

  private drop(reason: DropReason): number[] {
    this.counters.dropped[reason]++;
    return [];
  }
}

/** The bottleneck buffer of a profile, in bytes. */
export function queueLimitBytes(profile: DirectionProfile): number {
  if ('bytes' in profile.queue) return profile.queue.bytes;
  if (profile.rateBytesPerSecond === undefined) return Infinity;
  return Math.max(MIN_QUEUE_BYTES_FOR_TIME_LIMIT, (profile.queue.ms * profile.rateBytesPerSecond) / 1000);
}

export interface LinkOptions {
  readonly seed: number;
  readonly originMs?: number;
}

/** Both directions of an emulated path, each with its own random stream derived from one seed. */
export class Link {
  readonly up: LinkDirection;
  readonly down: LinkDirection;

  constructor(profile: LinkProfile, options: LinkOptions) {
    const originMs = options.originMs ?? 0;
    this.up = new LinkDirection(profile.up, { seed: deriveSeed(options.seed, 1), originMs });
    this.down = new LinkDirection(profile.down, { seed: deriveSeed(options.seed, 2), originMs });
  }

  setProfile(profile: LinkProfile): void {
    // Validate both before changing either, so a bad profile leaves the link as it was.
    validateDirectionProfile(profile.up, 'Link.setProfile (up)');
    validateDirectionProfile(profile.down, 'Link.setProfile (down)');
    this.up.setProfile(profile.up);
    this.down.setProfile(profile.down);
  }

  /** A run-time outage in both directions. */
  setBlackout(on: boolean): void {
    this.up.setBlackout(on);
    this.down.setBlackout(on);
  }
}
