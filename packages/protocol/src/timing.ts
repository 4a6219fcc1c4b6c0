/**
 * Every timing and sizing knob of the state-synchronization transport, in one place, so that a benchmark can run
 * tsmosh's policy and mosh's policy over the same emulated link and compare them. Units are in the names.
 *
 * `TSMOSH_TIMING` is the default. `MOSH_TIMING` reproduces mosh 1.4's sender (src/network/transportsender.h and
 * transportsender-impl.h) as closely as this transport's structure allows, including its weaknesses: a cold start until the first RTT sample, resends that happen only as a side effect of the
 * assumed-receiver-state walk, frame pacing that counts heartbeats, no redundancy under loss, and no congestion control.
 */
import { DEFAULT_IPV4_MTU, ECHO_ACK_TIMEOUT_MS } from './constants.js';

export interface TransportTiming {
  /** Frames are paced at ≈ SRTT/2 (about one instruction in flight), never closer than this: a 50 Hz cap. */
  readonly sendIntervalMinMs: number;
  /** …and never further apart than this, so a slow link still sees ~4 frames a second. */
  readonly sendIntervalMaxMs: number;
  /**
   * How long the sender waits after the first unsent change before sending it, to collect the rest of a burst of
   * changes into one frame. 8 ms suits the server (an application writes a screen in several syscalls); the client
   * waits none (TSMOSH_CLIENT_TIMING) because a keystroke is complete the moment it is typed.
   */
  readonly collectionIntervalMs: number;
  /** A received state that changed something is acknowledged within this long; the wait lets a reply carry the ack. */
  readonly ackDelayMs: number;
  /**
   * With nothing else to send, a new state number (the same state) goes out this often: it keeps NAT bindings
   * open, lets the peer measure round trips, and proves the session alive. Also the idle wake-up period.
   */
  readonly heartbeatIntervalMs: number;
  /**
   * Unacknowledged data is resent on the backed-off timer only while something was heard from the peer within
   * this window; past it the heartbeat carries the pending diff, and small data in a suspected outage keeps the
   * outage's thinning tries (outageTryFraction). With no thinning, the client's probes also stop after it.
   */
  readonly activeRetryTimeoutMs: number;
  /** The shutdown instruction is sent at most this many times (paced at the send interval) before giving up… */
  readonly shutdownMaxTries: number;
  /** …or for at most this long after `startShutdown`. */
  readonly shutdownTimeoutMs: number;
  /** Bound on the sender's list of sent states (mosh: 32); past it the middle of the list is forgotten. */
  readonly sentStatesMax: number;
  /** Bound on the receiver's held states (mosh: 1024); a peer that never lets us throw states away gets refused. */
  readonly receivedStatesMax: number;
  /**
   * Prospective resend (mosh's rule): diff against the *acknowledged* state instead of the assumed one when that
   * diff is no longer, or is under this many bytes…
   */
  readonly prospectiveResendMaxBytes: number;
  /** …and at most this many bytes longer. Then any one surviving frame applies on what the receiver surely holds. */
  readonly prospectiveResendSlackBytes: number;
  /**
   * mosh uses SRTT = 1000 ms, RTTVAR = 500 ms until the first RTT sample (250 ms frames, 1 s RTO). tsmosh trusts
   * the connection's estimate from the start, which the shell seeds from the bootstrap round trip.
   */
  readonly coldStart: boolean;
  /**
   * How unacknowledged data gets resent.
   * - 'ack-timer' (tsmosh): a deliberate resend timer, the RTO of an estimator fed by how long data frames take to
   *   be acknowledged (so it includes the peer's ack delay and needs no guess), backed off by `resendBackoff`.
   * - 'mosh-assumed-state': resend at the frame interval whenever the assumed-receiver-state walk has fallen back
   *   (mosh's accidental fast resend), else after RTO + ack delay.
   */
  readonly resendPolicy: 'ack-timer' | 'mosh-assumed-state';
  /**
   * The longest (ms) the peer may take, after a data frame of ours arrives, to send anything that acknowledges it: a
   * transmission is not judged lost (the loss estimate that turns redundancy on) before SRTT + this + resendMinMs.
   * The resend timer itself is learned from first transmissions only (Karn), so when it is shorter than such a hold
   * the frame is resent once (a datagram, and what brings keys through a blackout soon after the link returns), but
   * judging it lost turned copies on over a clean link. A server's frames are acknowledged by the client's next
   * keystroke or its delayed ack (ackDelayMs): after keys typed 40 ms apart every answer went two or three times. A
   * client's keystrokes are acknowledged by their echo or, for a key with none (a password), by the server's echo
   * acknowledgement ECHO_ACK_TIMEOUT_MS later: 40 keys into a silent prompt went as 232 datagrams. 0: no floor.
   */
  readonly peerAckHoldMs: number;
  /**
   * true (the daemon): the resend timer waits out the peer's ack hold too, as the loss verdict does: a frame is not
   * resent before SRTT + peerAckHoldMs + resendMinMs. The daemon's timer is learned from acks that come with the
   * client's next key, a few ms after an echo when keys come 20–60 ms apart, while a burst's last echo is
   * acknowledged only by the client's delayed ack: it was resent once per burst on a clean link. A lost echo is made
   * good sooner than that anyway: the client resends its key when the echo does not come, and that resend is answered
   * at once (answerMissedStates). false (the client): its resend is what ends a blackout first, and flooring its
   * timer (4ea4cb0) caught a 2 s blackout up 233–290 ms after the link returned where mosh took 170–210.
   */
  readonly resendAfterPeerAckHold: boolean;
  /** Floor of the resend timer: below this a resend cannot be told from the peer's collection interval. */
  readonly resendMinMs: number;
  /**
   * Ceiling of the resend back-off (ms): however many resends of the same data have gone unanswered, the next one
   * waits at most max(base, resendMaxMs), where base is the un-backed-off resend delay (the RTO). The ceiling limits
   * only the back-off, never the base, so a link whose RTO exceeds it (satellite) is never resent to early, while
   * on an ordinary link the first try after an outage ends comes within resendMaxMs of it (backedOffDelay).
   */
  readonly resendMaxMs: number;
  /** Each consecutive resend of the same data waits this factor longer (a blackout must not become a flood). */
  readonly resendBackoff: number;
  /**
   * An outage is suspected once nothing at all has come from the peer for this many resend delays (un-backed-off)
   * since the first data transmission it has not answered: a live peer answers within one, so several without a
   * word (every resend unanswered too) is an outage, not lost datagrams. Then (outage.ts) small unacknowledged
   * data is resent every `outageResendSrtts` × SRTT in single copies instead of on the backed-off timer with
   * redundant copies (all lost together in an outage), so the first try after the link returns leaves that soon
   * rather than within resendMaxMs; and whichever end hears its peer first after the silence resends at once. 0
   * switches it off (mosh).
   */
  readonly outageAfterResendDelays: number;
  /**
   * The resend interval during a suspected outage, in SRTTs (clamped to the frame interval's 20–250 ms): what the
   * catch-up after the link returns adds to a round trip, at most. The client, which probes, tries 4 times a round
   * trip (outage catch-up ≤ 1.25 RTT); the server, which only answers, once per frame interval (0.5).
   */
  readonly outageResendSrtts: number;
  /**
   * How an outage's tries thin out as it lasts (outage.ts outageTrySpacingMs): each is spaced at least this fraction
   * of the outage so far (since our first transmission the peer left unanswered; for heartbeats and probes, since
   * it was last heard), never closer than the outage cadence (outageResendSrtts) nor further apart than
   * `outageTryMaxMs`, and they go on for as long as it lasts (no longer only for activeRetryTimeoutMs). The link's
   * return is then noticed within this fraction of the outage's length plus a round trip, and an outage costs about
   * ln(T / T0) / fraction tries from the moment T0 the spacing starts to grow to its length T, not one per cadence
   * throughout: 40 a second through the first 10 s had cost ~23 kB per 60 s outage. The same spacing holds new data
   * in a suspected outage (not an answer to input just heard), heartbeats, and the client's probes: nothing the
   * peer cannot hear goes faster. The client, which the user waits at and whose address may change (after it roams
   * only its datagrams can end an outage), 1/70: at 100 ms RTT a try every 25 ms until 1.75 s of outage (a 2 s
   * blackout ends at ~27 ms), 143 ms at 10 s, 857 ms at 60 s, the heartbeat's 3 s from 210 s on. Its catch-up after
   * a 60 s blackout is then at most ~1 s, below mosh's ~1.2 s in every run; with 1/50 (1.2 s at 60 s, 220 tries a
   * minute against 294) one of two runs was above it (1242 ms against mosh's 1169). The daemon 1/10
   * (server timing). 0: no thinning (mosh: one heartbeat per 3 s).
   */
  readonly outageTryFraction: number;
  /**
   * The widest spacing of tries in a silence (ms). The client's is its heartbeat interval: an outage of an hour
   * costs what mosh's client's heartbeats cost, and its end is noticed within that (+ a round trip) however long it
   * lasted. The daemon's is a minute (server timing).
   */
  readonly outageTryMaxMs: number;
  /**
   * true (tsmosh): the pacing gap is measured from the last frame that carried new data, so the first change after
   * idle goes out after the collection interval alone. false (mosh): heartbeats and acks also hold it back.
   */
  readonly paceFromDataFramesOnly: boolean;
  /**
   * true (tsmosh): a duplicate of a data instruction means the peer resent because our ack was lost or late, so
   * it re-arms the delayed ack. false (mosh): duplicates are ignored silently.
   */
  readonly ackDuplicates: boolean;
  /**
   * A new state from a peer silent for longer than this (ms) is acknowledged at once instead of after the ack
   * delay: on first contact and after an outage the peer then learns within one round trip that the path works
   * (and gets an RTT sample). Two heartbeat intervals, so one lost heartbeat is not enough. 0 switches it off.
   */
  readonly promptAckAfterSilenceMs: number;
  /**
   * A peer unheard for this long (ms) has missed a heartbeat: it sends something at least every heartbeat interval
   * (3 s), so silence past that plus a margin for jitter (0.5 s) means its datagrams are being lost. Our heartbeats
   * then become probes, one per RTO (at least `probeIntervalMinMs` apart), which the peer answers at once
   * (`answerMissedStates`), until it is heard or `activeRetryTimeoutMs` of silence has passed (an outage: back to
   * one heartbeat per interval). Without probes, two lost heartbeats in a row (8 % of them at 29 % loss) mean 9 s
   * of silence and the client's status line; with them, a dozen probe round trips all have to fail. 0 switches
   * probing off.
   */
  readonly probeAfterSilenceMs: number;
  /** Probes go at most this often (ms) even when the RTO is shorter: at most ~26 datagrams per outage. */
  readonly probeIntervalMinMs: number;
  /**
   * true (tsmosh): a new empty state (heartbeat, probe, ack) from a peer whose acknowledgement is behind our newest
   * state, sent more than a round trip ago, shows that the peer missed it: answer at once instead of waiting for our
   * next heartbeat. Likewise a resend of the peer's data (a state we hold) that shows it: our newest is resent at
   * once instead of at our resend timer (the client resent its key because the echo never came). Costs a datagram
   * only when something was lost.
   */
  readonly answerMissedStates: boolean;
  /**
   * true (tsmosh): until the peer has been heard from, the hello (first heartbeat) is repeated on the backed-off
   * resend timer instead of once per heartbeat interval, so a lost first datagram costs an RTO, not 3 s.
   */
  readonly helloRetry: boolean;
  /** Random padding per instruction, 0 to this many bytes (mosh: 16), so a keystroke's length tells less. */
  readonly chaffMaxBytes: number;
  /** Gain of the loss estimate (fraction of data transmissions that needed a resend), an EWMA per outcome. */
  readonly lossEstimateGain: number;
  /** Redundant copies start once the loss estimate exceeds this fraction. */
  readonly redundancyLossThreshold: number;
  /** Copies are chosen so that all of them are lost with at most this probability (loss assumed independent). */
  readonly redundancyTargetFailure: number;
  /** Most copies of one frame (the first transmission included); 1 switches redundancy off. */
  readonly redundancyMaxCopies: number;
  /** Most bytes of diff spent on extra copies of one frame: only small frames (keystrokes, echoes) get copies. */
  readonly redundancyMaxExtraBytes: number;
  /**
   * A frame someone is waiting for (setLocal's `awaited`: the user's keystrokes, the daemon's answer to them) that
   * went in a single copy, while the link has shown loss within `lossMemoryMs`, goes once more this many ms later,
   * unless acknowledged or superseded by then: a single loss on its way then costs this spacing instead of a resend
   * timeout (> RTT). Spaced, not sent together as the copies above are, because real losses come in bursts (a
   * wireless hop's retries, a queue overflowing for a moment) that take datagrams sent back to back together. 10 ms:
   * a few serialisation slots of a 1 Mbit/s link apart, and a quarter of the thin link's 40 ms round trip, so a key
   * whose first copy is lost still gets its echo within 2 × RTT there. Only frames of at most
   * redundancyMaxExtraBytes of diff (never bulk output, which nobody waits for). 0 switches it off (mosh).
   */
  readonly awaitedRepeatAfterMs: number;
  /**
   * How long (ms) a loss seen on the link counts as recent for `awaitedRepeatAfterMs`: a data transmission judged
   * lost, or a skip in the peer's datagram sequence numbers (its datagrams lost on the way to us). On a lightly lossy
   * link (1 % each way) the loss estimate stays under `redundancyLossThreshold`, so no copies go, yet a loss is seen
   * every few seconds of typing or of output; one minute spans a person's pauses between commands. A clean link never
   * shows one, so it keeps sending single copies.
   */
  readonly lossMemoryMs: number;
  /**
   * true (tsmosh): frames nobody waits for (output paced by the frame interval) are held while the bytes in flight
   * exceed the path's measured bandwidth-delay product (congestion.ts), on a path that showed a queue; answers to
   * the peer's input never wait for it. false (mosh): frames go at the frame interval whatever the path takes.
   */
  readonly congestionControl: boolean;
  /**
   * A receiver that has taken in this many bytes of datagrams since it last sent anything acknowledges at once instead
   * of after `ackDelayMs` (TCP acknowledges every second full segment): the sender's congestion control needs its
   * acknowledgements within about a round trip of the data, or it counts delivered bytes as still in flight. Two
   * full datagrams: a flood's frames are acknowledged every frame or two, keystrokes and echoes not at all sooner.
   * 0 switches it off (mosh).
   */
  readonly ackAfterBytes: number;
}

/** mosh's RTT estimate before the first sample (1 s, mosh's network.h), used when `coldStart` is set. */
export const COLD_START_SRTT_MS = 1000;
export const COLD_START_RTTVAR_MS = 500;
/** mosh's RTO clamp (network.h MIN_RTO / MAX_RTO), used for the cold-start RTO. */
export const COLD_START_RTO_MIN_MS = 50;
export const COLD_START_RTO_MAX_MS = 1000;

export const TSMOSH_TIMING: TransportTiming = Object.freeze({
  sendIntervalMinMs: 20,
  sendIntervalMaxMs: 250,
  collectionIntervalMs: 8,
  ackDelayMs: 100,
  heartbeatIntervalMs: 3000,
  activeRetryTimeoutMs: 10_000,
  shutdownMaxTries: 16,
  shutdownTimeoutMs: 10_000,
  sentStatesMax: 32,
  receivedStatesMax: 1024,
  prospectiveResendMaxBytes: 1000,
  prospectiveResendSlackBytes: 100,
  coldStart: false,
  resendPolicy: 'ack-timer',
  peerAckHoldMs: 0,
  resendAfterPeerAckHold: false,
  resendMinMs: 20,
  // 150 ms: a silence too short to read as an outage (outageAfterResendDelays) is caught up about 75 ms (half the
  // ceiling) plus a round trip after it ends; a keystroke resend is a ~60-byte datagram. It was 1000 ms (768 ms to
  // catch up after a 2 s blackout), then 250 ms (266 ms against mosh's 225 ms in one bench run). A longer outage is
  // tried once per frame interval instead (outage.ts). A link whose RTO is longer resends at its RTO
  // (backedOffDelay: never below the base), so long-RTT links gain no spurious resends from this.
  resendMaxMs: 150,
  resendBackoff: 1.5,
  // 4: fewer (2) mistook 50 % random loss each way for an outage in test/sim and dropped the copies that beat it
  // (median convergence after typing 114 → 220 ms over 30 seeds); with 4 it was 103–126 ms at 10–50 % loss, level
  // with no outage rule. A 2 s blackout at 100 ms RTT reads as one after ~0.6–0.8 s.
  outageAfterResendDelays: 4,
  // 0.25 at 100 ms RTT: a try every 25 ms, 40 single datagrams a second (~3.6 kB/s) for the first 1.75 s of an
  // outage (then thinning: outageTryFraction), against 20 a second before (150 ms × 3 copies). At SRTT/2 (a frame interval)
  // one 2 s blackout run was caught up 158 ms after the link returned (mosh 174 ms): its try left 48 ms after.
  outageResendSrtts: 0.25,
  outageTryFraction: 1 / 70,
  outageTryMaxMs: 3000,
  paceFromDataFramesOnly: true,
  ackDuplicates: true,
  promptAckAfterSilenceMs: 6000,
  probeAfterSilenceMs: 3500,
  probeIntervalMinMs: 250,
  answerMissedStates: true,
  helloRetry: true,
  chaffMaxBytes: 16,
  lossEstimateGain: 1 / 8,
  redundancyLossThreshold: 0.05,
  redundancyTargetFailure: 0.02,
  redundancyMaxCopies: 3,
  redundancyMaxExtraBytes: 512,
  awaitedRepeatAfterMs: 10,
  lossMemoryMs: 60_000,
  congestionControl: true,
  ackAfterBytes: 2 * DEFAULT_IPV4_MTU,
} satisfies TransportTiming);

/**
 * The daemon's departures from TSMOSH_TIMING, in one place so the testkit's simulated server is the same server:
 * - probeAfterSilenceMs 0: probing a silent peer keeps the client's status line honest; the server has none, so it
 *   only answers probes;
 * - peerAckHoldMs: nothing answers a screen, its ack is the client's next keystroke or its delayed ack (ackDelayMs),
 *   and resendAfterPeerAckHold: its resend timer waits that out too (a burst's last echo was resent once per burst);
 * - outageResendSrtts 0.5: the client probes an outage; the server tries once per frame interval and answers the
 *   client at once when it hears it (outage.ts);
 * - outageTryFraction 1/10, outageTryMaxMs 60 s: past the first seconds the daemon's tries rarely matter. A client
 *   that roamed is reached only by its own datagrams; one that stays hops to a fresh port every 10 s without a
 *   round trip and closes the port the daemon knows after 10 hops (udp-endpoint.ts, ~100 s); a suspended one (a
 *   closed lid) hears nothing and speaks first when it wakes. So the daemon thins out fast and, with it, its
 *   heartbeats and its new screens (otherwise one per frame interval while output runs: a night of a clock or
 *   `top` into a dead link): about 10 datagrams per e-fold of the silence, 110-140 in its first hour, then one a
 *   minute (it was 20 a minute for ever, plus the screens). mosh's server stops sending after 40 s of silence.
 */
export const TSMOSH_SERVER_TIMING: Readonly<Partial<TransportTiming>> = Object.freeze({
  probeAfterSilenceMs: 0,
  peerAckHoldMs: TSMOSH_TIMING.ackDelayMs,
  resendAfterPeerAckHold: true,
  outageResendSrtts: 0.5,
  outageTryFraction: 1 / 10,
  outageTryMaxMs: 60_000,
});

/**
 * The client's departures from TSMOSH_TIMING, in one place so the testkit's simulated client and the benchmarks'
 * are the same client:
 * - collectionIntervalMs 0: a keystroke (or a paste) arrives from the terminal whole, in one read, so waiting
 *   collects nothing and costs a timer turn (mosh's 1 ms became 1.5-2 ms per key here); frame pacing still
 *   coalesces keys typed faster than the link's frame interval;
 * - peerAckHoldMs ECHO_ACK_TIMEOUT_MS: a key with no echo (a password) is acknowledged by the server's echo
 *   acknowledgement that long after it reaches the pty, so it is not judged lost sooner.
 * The outage cadence (outageResendSrtts 0.25: the client probes) is TSMOSH_TIMING's own.
 */
export const TSMOSH_CLIENT_TIMING = Object.freeze({
  collectionIntervalMs: 0,
  peerAckHoldMs: ECHO_ACK_TIMEOUT_MS,
} satisfies Partial<TransportTiming>);

/** mosh 1.4's sender policy, for side-by-side benchmarks on the same link. */
export const MOSH_TIMING: TransportTiming = Object.freeze({
  ...TSMOSH_TIMING,
  coldStart: true,
  resendPolicy: 'mosh-assumed-state',
  resendMaxMs: 1000,
  resendBackoff: 1,
  outageAfterResendDelays: 0,
  outageResendSrtts: 0.5,
  outageTryFraction: 0,
  paceFromDataFramesOnly: false,
  ackDuplicates: false,
  promptAckAfterSilenceMs: 0,
  probeAfterSilenceMs: 0,
  answerMissedStates: false,
  helloRetry: false,
  redundancyMaxCopies: 1,
  awaitedRepeatAfterMs: 0,
  congestionControl: false,
  ackAfterBytes: 0,
} satisfies TransportTiming);

/** Fill in defaults and refuse values that would make the transport spin or stall, with a message naming the knob. */
export function resolveTiming(overrides: Partial<TransportTiming> | undefined): TransportTiming {
  const timing: TransportTiming = { ...TSMOSH_TIMING, ...overrides };
  const positive: Array<keyof TransportTiming> = [
    'sendIntervalMinMs',
    'sendIntervalMaxMs',
    'heartbeatIntervalMs',
    'shutdownMaxTries',
    'shutdownTimeoutMs',
    'resendMinMs',
    'resendMaxMs',
    'redundancyMaxCopies',
    'probeIntervalMinMs',
    'outageResendSrtts',
    'outageTryMaxMs',
  ];
  for (const key of positive) {
    const value = timing[key] as number;
    if (!(value > 0 && Number.isFinite(value))) {
      throw new RangeError(`TransportTiming.${key} must be a positive finite number, got ${String(value)}`);
    }
  }
  for (const key of ['collectionIntervalMs', 'ackDelayMs', 'peerAckHoldMs', 'outageAfterResendDelays', 'outageTryFraction', 'activeRetryTimeoutMs', 'promptAckAfterSilenceMs', 'probeAfterSilenceMs', 'chaffMaxBytes', 'redundancyMaxExtraBytes', 'awaitedRepeatAfterMs', 'lossMemoryMs', 'ackAfterBytes'] as const) {
    if (!(timing[key] >= 0 && Number.isFinite(timing[key]))) {
      throw new RangeError(`TransportTiming.${key} must be a finite number ≥ 0, got ${String(timing[key])}`);
    }
  }
  if (timing.sendIntervalMinMs > timing.sendIntervalMaxMs) {
    throw new RangeError('TransportTiming.sendIntervalMinMs must not exceed sendIntervalMaxMs');
  }
  if (timing.resendMinMs > timing.resendMaxMs) throw new RangeError('TransportTiming.resendMinMs must not exceed resendMaxMs');
  if (!(timing.resendBackoff >= 1)) throw new RangeError(`TransportTiming.resendBackoff must be ≥ 1, got ${timing.resendBackoff}`);
  if (!(timing.sentStatesMax >= 4)) throw new RangeError('TransportTiming.sentStatesMax must be ≥ 4 (acked, assumed, in flight, current)');
  if (!(timing.receivedStatesMax >= 2)) throw new RangeError('TransportTiming.receivedStatesMax must be ≥ 2');
  for (const key of ['lossEstimateGain', 'redundancyLossThreshold', 'redundancyTargetFailure'] as const) {
    if (!(timing[key] > 0 && timing[key] < 1)) throw new RangeError(`TransportTiming.${key} must be in (0, 1), got ${timing[key]}`);
  }
  return timing;
}

/**
 * The resend delay after `attempts` unanswered resends (ms): base·backoff^attempts, but never more than
 * max(base, resendMaxMs) and never less than resendMinMs. Capping at max(base, cap) rather than clamping to the cap
 * keeps a long-RTT link's resends at its RTO (a lower ceiling would resend every keystroke spuriously there), while
 * on an ordinary link the back-off stops at the ceiling so the first try after an outage is never far away.
 */
export function backedOffDelay(baseMs: number, attempts: number, timing: Pick<TransportTiming, 'resendMinMs' | 'resendMaxMs' | 'resendBackoff'>): number {
  const backedOff = baseMs * timing.resendBackoff ** attempts;
  return Math.max(timing.resendMinMs, Math.min(backedOff, Math.max(baseMs, timing.resendMaxMs)));
}
