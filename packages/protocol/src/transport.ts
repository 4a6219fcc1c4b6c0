/**
 * The state-synchronization transport (mosh's SSP sender + receiver; docs/protocol.md §8), pure: time comes in as
 * `now`, datagrams go out as return values, and `nextWakeup` says when to call `tick` again.
 *
 * Sender: keeps the states it sent (oldest = the one the peer acknowledged), numbers every state it sends and every
 * heartbeat, and sends the current state as a diff from a state the peer holds or is assumed to hold. Intermediate
 * states are never sent: a screen that changed many times within one frame interval costs one diff.
 * Receiver: applies a diff only onto a state it holds, ignores duplicates, keeps states sorted, forgets the states
 * the peer says it no longer uses, and acknowledges the newest state it holds.
 *
 * Policy knobs and their reasons are in timing.ts; the state machine is described in docs/protocol.md.
 */
import type { SyncState } from './sync-state.js';
import { REORDER_TOLERANCE_DATAGRAMS, type Connection } from './connection.js';
import { SHUTDOWN_STATE_NUM } from './constants.js';
import { CongestionController } from './congestion.js';
import { OutageWatch, outageTrySpacingMs } from './outage.js';
import { AwaitedRepeats } from './awaited-repeat.js';
import type { Instruction, OutgoingDatagram, PeerAddress, RandomSource } from './types.js';
import {
  COLD_START_RTO_MAX_MS,
  COLD_START_RTO_MIN_MS,
  COLD_START_RTTVAR_MS,
  COLD_START_SRTT_MS,
  backedOffDelay,
  resolveTiming,
  type TransportTiming,
} from './timing.js';

/**
 * A transmission still unacknowledged this long (ms) past its resend deadline is counted lost by the loss estimate.
 * Long enough that a late acknowledgement on a jittery link still counts as kept; it is independent of the resend
 * back-off ceiling (which once doubled as this horizon, at 1 s).
 */
const LOSS_VERDICT_HORIZON_MS = 1000;

/**
 * How late (ms) past its deadline an acknowledgement may come before the transmission counts as lost, however short
 * the round trip: the scheduling noise of a busy host (lateAckIsLoss). On loopback half an RTT is under a
 * millisecond, and a client that could not run for a few tens of ms on this 2-core machine with three benches beside
 * it acknowledged late: the daemon judged two acks lost mid-session, at 14 s and 66 s, and sent every echo twice for
 * a minute after each (docs/benchmarks-journal.md, session 18). A deadline already leaves resendMinMs (20 ms) past the
 * peer's ack hold, so a peer may stall 50 ms when its ack is due. A real loss is acknowledged later than this: the
 * answer to a resend comes a round trip after it, plus the client's 100 ms ack hold when the daemon's answer was
 * lost (40 ms late on the thin link's 40 ms round trip, 110 at 100 ms); one made good within the noise (a round trip
 * under ~30 ms) cost less than the noise. The same noise tells two heartbeats that crossed from one the peer missed
 * (receiveInstruction).
 */
const LATE_ACK_NOISE_MS = 30;

/**
 * For this long (ms) after the peer is first heard, an acknowledgement that comes late is not remembered as loss by
 * the spaced repeat (awaited-repeat.ts); it still feeds the loss estimate, and a transmission never acknowledged,
 * or the peer's datagrams missing, still count. Both ends start up then (modules load and compile, the first
 * screen is drawn, the terminal is probed, the program resizes), and acks 15–25 ms past their deadline on loopback
 * (measured at both ends, 2026-12-07), which LATE_ACK_NOISE_MS now covers, but also 314 and 748 ms (the daemon's
 * first frames, session 19), which no noise margin covers, read as a loss and sent every echo twice for the first
 * minute of a clean session: 330 → 556 daemon datagrams over the lossy-link bench's 300-key shell trace.
 */
export const START_UP_LATE_ACK_GRACE_MS = 3000;

/**
 * What the transport needs from the datagram layer. `Connection` satisfies it; tests may pass a simpler one.
 * `receive` never throws and returns undefined for anything dropped.
 */
export interface TransportConnection {
  send(instruction: Instruction, now: number): OutgoingDatagram[];
  receive(bytes: Uint8Array, from: PeerAddress, now: number): Instruction | undefined;
  readonly rtt: {
    readonly srtt: number;
    readonly rttvar: number;
    readonly hasSample: boolean;
    rto(): number;
    /** Samples taken so far and the latest one (ms): the congestion controller reads the path's queue from them. */
    readonly sampleCount?: number;
    readonly latestSample?: number | undefined;
  };
  /** When present, chaff (random padding that disguises lengths) is drawn from it. */
  readonly random?: RandomSource;
  /**
   * Whether the instruction `receive` just returned came in the newest datagram yet (the highest sequence number).
   * A restarted peer is recognised only from its newest datagrams, never from a late copy of an old one.
   */
  readonly lastReceivedWasNewest?: boolean;
  /** The peer's datagrams that never came so far (ConnectionStats.datagramsMissed): loss seen on the way to us. */
  readonly stats?: { readonly datagramsMissed?: number };
  /** The peer's datagrams skipped just before the one `receive` last accepted (Connection.lastReceivedSkipped). */
  readonly lastReceivedSkipped?: number;
  /**
   * The acknowledgement the instruction `send` last sent carried, when it may differ from the one asked for (a
   * resend that went as its first try's bytes: Connection.lastSentAckNum, fragment-reuse.ts).
   */
  readonly lastSentAckNum?: number | undefined;
}

/**
 * The peer process was replaced under the same key (a client restarted with its session's key, or a second one
 * started with it): what the previous process held, so the application can tell it it was replaced.
 */
export interface PeerRestart<L> {
  /** The newest of our states the previous process acknowledged: the base it surely holds. */
  readonly previousAcknowledged: { readonly num: number; readonly state: L };
  /** The newest of its states we had acknowledged to it. */
  readonly previousRemoteNum: number;
}

/** Counters for the daemon's report and for tests. Drops are counted, never thrown. */
export interface TransportStats {
  /** Instructions handed over by the connection (authentic, complete). */
  instructionsReceived: number;
  /** Instructions whose numbers are not safe non-negative integers (a buggy or hostile peer). */
  malformedInstructions: number;
  /** States we already held (link duplicates, redundant copies, resends). */
  duplicateStates: number;
  /** Diffs whose base state we do not hold (lost predecessor, or a base we were allowed to forget). */
  unknownBaseStates: number;
  /** Diffs the state type refused to apply (it threw). */
  rejectedDiffs: number;
  /** New states refused because `receivedStatesMax` states were already held. */
  refusedStates: number;
  /** States that arrived after a newer one (kept, but the acknowledgment does not move). */
  outOfOrderStates: number;
  /** Instructions given to the connection (each redundant copy counted). */
  instructionsSent: number;
  /** Datagrams the connection returned for sending (fragments and copies counted). */
  datagramsSent: number;
  /** Frames carrying a new state number with new data. */
  dataFrames: number;
  /** Retransmissions of unacknowledged data. */
  resends: number;
  /** Extra copies sent for redundancy under loss. */
  redundantCopies: number;
  /** Second copies of awaited frames sent a few ms after the first (awaited-repeat.ts). */
  spacedCopies: number;
  /** Frames with no new data: delayed acks and heartbeats. */
  ackFrames: number;
  /** Shutdown instructions sent. */
  shutdownSends: number;
  /** Heartbeats sent early because the peer had gone silent (`probeAfterSilenceMs`); also counted in ackFrames. */
  probes: number;
  /** Times the peer turned out to be a new process under the same key, holding only the initial states. */
  peerRestarts: number;
  /** Peer heartbeats answered at once because they showed our newest state was missed (`answerMissedStates`). */
  missedStateAnswers: number;
  /** Data frames that waited for the congestion budget before they went (congestion.ts). */
  framesHeldForBudget: number;
  /** Acknowledgements sent at once because `ackAfterBytes` had arrived since we last sent anything. */
  acksForBytes: number;
}

interface SentState<L> {
  readonly num: number;
  readonly state: L;
  /** When this number was last transmitted (undefined for the initial state, which both sides start with). */
  sentAt: number | undefined;
  /** When it was first transmitted. */
  readonly firstSentAt: number | undefined;
  /** Transmissions of this number (redundant copies of one transmission count once). */
  transmissions: number;
  /** Sent as a data frame (not a heartbeat/ack), so its acknowledgment time measures the peer's reply delay. */
  readonly carriesData: boolean;
}

/** One data transmission whose fate the loss estimate has not yet counted. */
interface PendingOutcome {
  readonly num: number;
  /** When the resend timer considers it overdue (ms). */
  readonly deadline: number;
  /** Copies sent of this transmission (a spaced repeat adds one). */
  copies: number;
}

interface ReceivedState<R> {
  readonly num: number;
  readonly state: R;
}

type FrameKind = 'data' | 'resend' | 'ack';

interface Deadlines {
  /** New data is due (collection interval and pacing satisfied). */
  readonly data: number;
  /** Unacknowledged data is due to be resent. */
  readonly resend: number;
  /** A delayed ack or a heartbeat is due. */
  readonly ack: number;
  /** A probe of a silent peer is due (sent as a heartbeat). */
  readonly probe: number;
  /** A spaced second copy of an awaited frame is due (awaited-repeat.ts). */
  readonly repeat: number;
}

/** The transport's evidence of loss on the link: its loss estimate, and when it last saw a loss (awaited-repeat.ts). */
interface LossEvidence {
  readonly lossEstimate: number;
  readonly lossSeenAt: number | undefined;
}

/**
 * The peer's datagrams that must be missing, in a row, behind the one that ends a silence of
 * outageAfterResendDelays round trips for the silence to count as a blackout (both ways dark) when this end did not
 * suspect an outage itself (heardAfterSilence). A client that tried through a 2 s blackout leaves dozens (every
 * SRTT/4 once it suspects one, copies before); random loss takes 12 in a row 2.4 × 10⁻⁴ of the time at 50 % loss.
 * 4 (6 % at 50 %) undid real loss there: the keystroke-ack bench's echo p95 at 50 % loss 393/845 → 426/883 ms at
 * 100/300 ms RTT and fewer copies; 8 still +11 ms at 100 ms; 12 level with no rule (395/833).
 */
const BLACKOUT_MIN_SKIPPED = 12;
/**
 * bytes: an acknowledgement or heartbeat whose diff (the newest state sent, from the base the peer is assumed to
 * hold) is longer than this goes without it, as a bare acknowledgement in one datagram. A diff this long may need
 * more than one datagram (a fragment holds 1205 bytes at the IPv4 MTU, less the instruction's numbers and chaff),
 * and its delivery is the resend timer's business: sent as a new state number at every acknowledgement it was a
 * new instruction each time, whose fragments the peer could not join with the data frame's and resends'
 * (fragment-reuse.ts), and the acknowledgement it carried arrived only if every fragment did. A short diff still
 * rides along: one datagram, and it makes a lost echo good as it did.
 */
const ACK_FRAME_MAX_DIFF_BYTES = 1024;
const NEVER = Infinity;
/** Open loss-estimate outcomes: one per data frame (≥ 20 ms apart) for up to ~2 s, so 128 is never reached in use. */
const MAX_PENDING_OUTCOMES = 128;
const EMPTY = new Uint8Array(0);

export interface TransportInit<L, R, C extends TransportConnection> {
  connection: C;
  initialLocal: L;
  initialRemote: R;
  timing?: Partial<TransportTiming>;
}

export class Transport<L extends SyncState<L>, R extends SyncState<R>, C extends TransportConnection = Connection> {
  readonly connection: C;
  readonly timing: TransportTiming;
  readonly stats: TransportStats = {
    instructionsReceived: 0,
    malformedInstructions: 0,
    duplicateStates: 0,
    unknownBaseStates: 0,
    rejectedDiffs: 0,
    refusedStates: 0,
    outOfOrderStates: 0,
    instructionsSent: 0,
    datagramsSent: 0,
    dataFrames: 0,
    resends: 0,
    redundantCopies: 0,
    spacedCopies: 0,
    ackFrames: 0,
    shutdownSends: 0,
    probes: 0,
    peerRestarts: 0,
    missedStateAnswers: 0,
    framesHeldForBudget: 0,
    acksForBytes: 0,
  };

  // Sender.
  private current: L;
  /** Front: the newest state the peer acknowledged. Back: the newest state sent. Never empty. */
  private readonly sent: Array<SentState<L>>;
  /** When the oldest change not yet sent was made (the collection interval runs from here). */
  private firstUnsentChangeAt: number | undefined;
  /** The unsent change answers the peer's input (`setLocal(…, { answersInput })`): frame pacing does not hold it. */
  private unpacedChange = false;
  /**
   * The unsent change shows output that has stopped (`setLocal(…, { outputEnded })`: the server's flood tail): the
   * frame interval does not hold it; the congestion budget and an outage's spacing still do. Cleared once sent.
   */
  private endedChange = false;
  private lastSentAt: number | undefined;
  private lastDataSentAt: number | undefined;
  /** Consecutive resends of the newest sent state: the resend timer backs off with it. */
  private resendCount = 0;
  /** The data-frame acknowledgment estimator (RFC 6298 shape): how long the peer takes to ack our data. */
  private ackSrtt = 0;
  private ackRttvar = 0;
  private hasAckSample = false;
  /** Fraction of data transmissions that needed a resend (EWMA). */
  private lossEstimateValue = 0;
  /** Data transmissions whose fate is open: acknowledged before their resend deadline (kept) or not (lost). */
  private pendingOutcomes: PendingOutcome[] = [];
  private lastRoundTripSuccess: number | undefined;
  /** Frames sent before anything was heard from the peer (backs off the hello retry). */
  private helloTries = 0;
  /** Holds paced frames to the path's bandwidth-delay product (timing.congestionControl), else undefined. */
  private readonly congestion: CongestionController | undefined;
  /** The pending data frame has waited for the congestion budget (counted once it goes). */
  private heldForBudget = false;
  /** The connection's RTT samples already passed to the congestion controller. */
  private pathRttSamplesSeen = 0;
  /** bytes of datagrams received since we last sent anything (timing.ackAfterBytes). */
  private bytesSinceLastSend = 0;
  /** Whether the peer's silence looks like an outage (timing.outageAfterResendDelays). */
  private readonly outage: OutageWatch;
  /** The peer was heard after a suspected outage and still lacks our data: resend it at the next tick. */
  private resendAtOnce = false;
  /** Diff bytes of the last data transmission: only small data is resent at the outage cadence. */
  private lastDataDiffBytes = 0;
  /** The unsent change is one someone waits for (`setLocal(…, { awaited })`): under recent loss it goes twice. */
  private awaitedChange = false;
  /** The input the unsent awaited change carries or answers came at least an SRTT after the input before it. */
  private awaitedIsolated = true;
  /** When our own awaited input (the client's keys) was last set. */
  private ownInputAt: number | undefined;
  /** When the peer's input (a new state with data: the client's keys, at the daemon) last came, and whether alone. */
  private peerInputAt: number | undefined;
  private peerInputIsolated = true;
  /** Spaced second copies of awaited frames (timing.awaitedRepeatAfterMs). */
  private readonly repeats: AwaitedRepeats;
  /** The peer's datagrams the connection found missing, already noted as loss. */
  private datagramsMissedSeen = 0;
  /**
   * The loss evidence as it stood when the peer was last heard (after its acknowledgement was settled): what a
   * silence that turns out to have been a blackout is undone to (heardAfterSilence).
   */
  private evidenceWhenHeard: LossEvidence = { lossEstimate: 0, lossSeenAt: undefined };
  /**
   * Instructions heard since the one that ended a blackout, until REORDER_TOLERANCE_DATAGRAMS (by then the connection
   * has counted the holes it left: the peer's tries in the dark, no loss); undefined otherwise.
   */
  private heardSinceBlackout: number | undefined;
  /** When `tick` last ran, and when it ran after a gap no wake-up of ours explains (the process was suspended). */
  private lastTickAt: number | undefined;
  private resumedAt: number | undefined;

  // Receiver.
  private readonly received: Array<ReceivedState<R>>;
  private pendingAckDueAt: number | undefined;
  private lastHeardAt: number | undefined;
  /** When the peer was first heard: the start of START_UP_LATE_ACK_GRACE_MS. */
  private firstHeardAt: number | undefined;
  private firstSentAt: number | undefined;

  // Shutdown.
  private shutdownStartedAt: number | undefined;
  private shutdownTries = 0;
  private lastShutdownSendAt: number | undefined;
  private shutdownAcked = false;
  private shutdownGaveUp = false;
  private peerShutdown = false;
  private peerShutdownAckSent = false;

  private readonly initialLocal: L;
  private readonly initialRemote: R;
  /** State numbers already used before a peer restart: new numbers continue above them (see receiveInstruction). */
  private numberFloor = 0;
  private peerRestart: PeerRestart<L> | undefined;

  constructor(init: TransportInit<L, R, C>) {
    this.connection = init.connection;
    this.timing = resolveTiming(init.timing);
    this.initialLocal = init.initialLocal;
    this.initialRemote = init.initialRemote;
    this.current = init.initialLocal;
    this.sent = [{ num: 0, state: init.initialLocal, sentAt: undefined, firstSentAt: undefined, transmissions: 0, carriesData: false }];
    this.received = [{ num: 0, state: init.initialRemote }];
    this.congestion = this.timing.congestionControl ? new CongestionController({ ackAllowanceBytes: this.timing.ackAfterBytes }) : undefined;
    this.outage = new OutageWatch(this.timing.outageAfterResendDelays);
    this.repeats = new AwaitedRepeats(this.timing.awaitedRepeatAfterMs, this.timing.lossMemoryMs);
  }

  // ---- The application's side ---------------------------------------------------------------------------------

  /** The newest local state; the next frame carries it. States are immutable values. */
  get local(): L {
    return this.current;
  }

  /**
   * `complete`: the caller knows the burst of changes is over (the server, once a keystroke's echo has settled), so
   * the rest of the collection interval is skipped.
   * `answersInput`: the change is the peer's own input answered (a keystroke's echo or the command output it asked
   * for), so it is not held for frame pacing either. Pacing exists to coalesce output nobody is waiting for (a flood,
   * a clock); a person types a few keys a second, so frames sent this way are bounded by their typing, and an answer
   * that lands just after a flood frame (Ctrl-C, Enter) no longer waits out up to a whole interval. Cleared once sent.
   */
  /**
   * `changedAt`: when the change was made, if before `now` (a sender that makes its state only once it can be sent,
   * newStateSendableAt): the collection interval runs from there, as it would have had the state been set then.
   * `awaited`: someone waits for this frame (the client's keystrokes; `answersInput` implies it): while the link has
   * shown loss recently a small one goes a second time a few ms later (awaited-repeat.ts). Cleared once sent.
   * `outputEnded`: the output the change shows has stopped (the server's flood tail, flood-tail.ts): nothing would join
   * it in the rest of the frame interval, so that does not hold it; the congestion budget and an outage's spacing do.
   */
  setLocal(
    state: L,
    now: number,
    options?: { readonly complete?: boolean; readonly answersInput?: boolean; readonly awaited?: boolean; readonly changedAt?: number; readonly outputEnded?: boolean },
  ): void {
    this.current = state;
    if (state.equals(this.back.state)) {
      this.firstUnsentChangeAt = undefined;
      this.unpacedChange = false;
      this.endedChange = false;
      this.awaitedChange = false;
      return;
    }
    if (options?.answersInput === true) {
      this.awaitedChange = true;
      this.awaitedIsolated = this.peerInputIsolated;
    } else if (options?.awaited === true) {
      this.awaitedChange = true;
      this.awaitedIsolated = this.isolatedInput(this.ownInputAt, now);
      this.ownInputAt = now;
    }
    if (options?.complete === true) {
      this.firstUnsentChangeAt = Math.min(this.firstUnsentChangeAt ?? now, now - this.timing.collectionIntervalMs);
    } else {
      const changedAt = Math.min(now, options?.changedAt ?? now);
      this.firstUnsentChangeAt = Math.min(this.firstUnsentChangeAt ?? changedAt, changedAt);
    }
    if (options?.answersInput === true) this.unpacedChange = true;
    if (options?.outputEnded === true) this.endedChange = true;
  }

  /**
   * The earliest a paced state that changed at `changedAt` would leave were it set now: the same sum `tick` compares
   * `now` against (collection interval, frame pacing, congestion budget). A sender whose states cost work to make
   * (the server's screen snapshot, which walks the whole screen) makes one when it can go rather than every time
   * something changes: in a flood that is one per frame, not three.
   */
  newStateSendableAt(changedAt: number, now: number): number {
    const t = this.timing;
    const collected = Math.min(this.firstUnsentChangeAt ?? changedAt, changedAt) + t.collectionIntervalMs;
    if (this.unpacedChange) return collected;
    let at = this.pacedAt(collected);
    if (this.congestion !== undefined) at = Math.max(at, this.congestion.sendAllowedAt(now, this.resendDelayMs));
    return at;
  }

  /**
   * When a change collected by `collected` may leave under frame pacing (ms): a frame interval after the last frame,
   * unless it answers the peer's input or shows output that has stopped (then nothing paces it), or nothing was sent.
   */
  private pacedAt(collected: number): number {
    if (this.unpacedChange || this.endedChange) return collected;
    const paceFrom = this.timing.paceFromDataFramesOnly ? this.lastDataSentAt : this.lastSentAt;
    return paceFrom === undefined ? collected : Math.max(collected, paceFrom + this.sendIntervalMs);
  }

  /** Whether the newest local state differs from the last one sent: a frame is still to carry it. */
  get hasUnsentChange(): boolean {
    return !this.current.equals(this.back.state);
  }

  /** The newest local state the peer has acknowledged (the base a sender may bound its next diff by). */
  get acknowledgedLocal(): L {
    return this.sent[0]!.state;
  }

  /**
   * The receiver's consumer has taken every event up to `consumed` (a state `remote` gave it): each held state drops
   * that prefix (SyncState.subtract), as mosh's receiver rationalizes its states, so a long session does not keep
   * what was consumed (an input stream's every key). Returns the newest state as now held.
   */
  releaseRemote(consumed: R): R {
    for (let i = 0; i < this.received.length; i++) {
      const held = this.received[i]!;
      this.received[i] = { num: held.num, state: held.state.subtract(consumed) };
    }
    return this.remote;
  }

  /** The newest remote state held. */
  get remote(): R {
    return this.received[this.received.length - 1]!.state;
  }

  /** The number of the newest remote state held (the server stamps it into the screen as the echo ack). */
  get remoteNum(): number {
    return this.received[this.received.length - 1]!.num;
  }

  /** When the newest state the peer has acknowledged was sent: a round trip completed. Drives port hopping. */
  get lastRoundTripSuccessAt(): number | undefined {
    return this.lastRoundTripSuccess;
  }

  /** When an authentic instruction last arrived from the peer. */
  get lastHeardFromPeerAt(): number | undefined {
    return this.lastHeardAt;
  }

  /** The sender's current estimate of the fraction of data transmissions that are not acknowledged in time. */
  get lossEstimate(): number {
    return this.lossEstimateValue;
  }

  /** The resend interval in a suspected outage (ms): outageResendSrtts × SRTT, clamped as the frame interval is. */
  get outageResendIntervalMs(): number {
    const { srtt } = this.rttEstimate();
    return clamp(Math.ceil(srtt * this.timing.outageResendSrtts), this.timing.sendIntervalMinMs, this.timing.sendIntervalMaxMs);
  }

  /**
   * The spacing of tries (ms) made at `at` in a silence that began at `since` (the peer last heard, or our first
   * transmission it has not answered): the silence's share (outageTryFraction), at least `floorMs`, at most
   * outageTryMaxMs (outage.ts). `floorMs` before first contact.
   */
  private silenceSpacingMs(at: number, floorMs: number, since: number | undefined): number {
    if (since === undefined) return floorMs;
    // Counted from a resume after suspension too: the network often comes back seconds after a laptop wakes.
    const from = Math.max(since, this.resumedAt ?? since);
    return outageTrySpacingMs(at - from, floorMs, this.timing.outageTryFraction, this.timing.outageTryMaxMs);
  }

  /**
   * The spacing of outage tries at `at` (ms): thinning from our first transmission the peer has not answered (a
   * silence that began idle, before anything needed an answer, does not count: an outage is noticed with it).
   */
  private outageSpacingMs(at: number): number {
    return this.silenceSpacingMs(at, this.outageResendIntervalMs, this.outage.unansweredSince);
  }

  /**
   * Whether input at `now` came at least an SRTT after the input before it (at `previousAt`): only then is an awaited
   * frame carrying or answering it repeated on a lightly lossy link (awaited-repeat.ts).
   */
  private isolatedInput(previousAt: number | undefined, now: number): boolean {
    return previousAt === undefined || now >= previousAt + this.rttEstimate().srtt;
  }

  /** Frame pacing interval right now (ms): ≈ SRTT/2 clamped. */
  get sendIntervalMs(): number {
    const { srtt } = this.rttEstimate();
    return clamp(Math.ceil(srtt / 2), this.timing.sendIntervalMinMs, this.timing.sendIntervalMaxMs);
  }

  /**
   * Whether the congestion controller found the path to be the bottleneck and paces frames now (congestion.ts): a
   * sender of optional data (the server's scrollback history) then holds it back while its screen changes.
   */
  congestionLimited(now: number): boolean {
    return this.congestion?.limited(now) ?? false;
  }

  /** The delay before unacknowledged data is resent, backoff included (ms). */
  get resendDelayMs(): number {
    return backedOffDelay(this.baseResendDelayMs, this.resendCount, this.timing);
  }

  /** The resend delay before any back-off (ms): how long a live peer may take to acknowledge data. */
  private get baseResendDelayMs(): number {
    const t = this.timing;
    if (t.resendPolicy === 'ack-timer' && this.hasAckSample) {
      // RFC 6298 with the clock granularity term: never closer to SRTT than resendMinMs, so a steady link with
      // no variance does not resend every frame that is acknowledged a millisecond late.
      return this.ackSrtt + Math.max(t.resendMinMs, 4 * this.ackRttvar);
    }
    return this.rto() + t.ackDelayMs;
  }

  /** Whether the peer's silence since our first unanswered data transmission looks like an outage (outage.ts). */
  outageSuspected(now: number): boolean {
    return this.outage.suspected(now, this.baseResendDelayMs);
  }

  /**
   * How long after a transmission its ack may come before the transmission counts as lost (ms): the resend delay,
   * but never less than the peer may hold its ack (peerAckHoldMs). A resend sooner than that is cheap (one datagram)
   * and kept: it is what brings a key through a blackout soon after the link returns. A loss verdict sooner is not:
   * it turned redundancy on over a clean link.
   */
  private get lossVerdictDelayMs(): number {
    return Math.max(this.resendDelayMs, this.peerAckHoldFloorMs);
  }

  /** The longest a live peer takes to acknowledge data it holds back (SRTT + peerAckHoldMs + resendMinMs); 0 if none. */
  private get peerAckHoldFloorMs(): number {
    const t = this.timing;
    return t.peerAckHoldMs > 0 ? this.rttEstimate().srtt + t.peerAckHoldMs + t.resendMinMs : 0;
  }

  /** When unacknowledged data is resent, after its last try (ms): timing.resendAfterPeerAckHold. */
  private get resendTimerMs(): number {
    return this.timing.resendAfterPeerAckHold ? this.lossVerdictDelayMs : this.resendDelayMs;
  }

  // ---- Incoming -----------------------------------------------------------------------------------------------

  /** A datagram from the network. Never throws: anything unusable is dropped and counted (here or in the connection). */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): void {
    const instruction = this.connection.receive(bytes, from, now);
    const rtt = this.connection.rtt;
    if (this.congestion !== undefined && rtt.sampleCount !== undefined && rtt.sampleCount > this.pathRttSamplesSeen) {
      this.pathRttSamplesSeen = rtt.sampleCount;
      if (rtt.latestSample !== undefined) this.congestion.onPathRtt(rtt.latestSample, now);
    }
    this.bytesSinceLastSend += bytes.length;
    if (instruction !== undefined) {
      this.receiveInstruction(instruction, now);
      // After the instruction: whether it ended a blackout, whose holes are no loss, is known by then. (A fragment's
      // holes wait for the instruction it completes.)
      this.noteMissedDatagrams(now);
    }
    const ackAfter = this.timing.ackAfterBytes;
    if (ackAfter > 0 && this.bytesSinceLastSend >= ackAfter && this.pendingAckDueAt !== undefined && this.pendingAckDueAt > now) {
      // A sender in a flood: acknowledge now, so that its congestion budget sees the bytes arrive.
      this.pendingAckDueAt = now;
      this.stats.acksForBytes++;
    }
  }

  /**
   * The peer's datagrams the connection found missing since last asked: loss on the way to us (the spaced repeat's
   * memory), unless they are the holes a blackout left (heardAfterSilence).
   */
  private noteMissedDatagrams(now: number): void {
    const missed = this.connection.stats?.datagramsMissed ?? 0;
    const newlyMissed = this.heardSinceBlackout === undefined ? Math.max(0, missed - this.datagramsMissedSeen) : 0;
    this.repeats.notePeerDatagrams(1, newlyMissed);
    if (missed <= this.datagramsMissedSeen) return;
    this.datagramsMissedSeen = missed;
    if (newlyMissed === 0) return;
    this.repeats.noteLoss(now);
    // Seen while the peer is heard: evidence a later blackout does not undo.
    this.evidenceWhenHeard = { ...this.evidenceWhenHeard, lossSeenAt: now };
  }

  /**
   * The peer is heard at `now`, after silence since lastHeardAt: whether that silence was a blackout (both ways dark)
   * rather than loss, and if so, what it did to the loss evidence is undone. A blackout is not the random loss that
   * copies and the spaced repeat help with: counted, its tries turned copies on and made every awaited frame go twice
   * for a minute after it.
   *
   * It was one when this end suspected an outage (outage.ts: its data unanswered for outageAfterResendDelays of its
   * resend delays), or when the silence lasted that many round trips and the datagram that ends it shows at least
   * BLACKOUT_MIN_SKIPPED of the peer's missing in a row just before it: the peer tried through it too. The second
   * covers an end whose resend delay is long (the daemon's includes the client's ack hold: 600 ms on a 100 ms link,
   * so a 2 s blackout was over before its 2.4 s suspicion, and its three unanswered tries counted as loss) and one
   * with nothing to send (it never suspects). Round trips alone would not do: a single lost echo keeps the daemon
   * from hearing the client for a resend delay, 6 round trips there.
   *
   * Undone: the loss estimate and the loss memory go back to what they were when the peer was last heard, the
   * outcomes whose acknowledgement was due in the silence are dropped, and the holes the connection counts behind
   * this datagram over the next few are not noted. Returns whether the silence was a blackout.
   */
  private heardAfterSilence(now: number): boolean {
    const suspected = this.outage.noteHeard(now, this.baseResendDelayMs);
    if (this.heardSinceBlackout !== undefined && ++this.heardSinceBlackout >= REORDER_TOLERANCE_DATAGRAMS) this.heardSinceBlackout = undefined;
    const quietFrom = this.lastHeardAt;
    if (quietFrom === undefined) return false;
    const roundTripsMs = this.timing.outageAfterResendDelays * Math.max(this.rttEstimate().srtt, this.timing.resendMinMs);
    const peerTriedThrough = roundTripsMs > 0 && now >= quietFrom + roundTripsMs && (this.connection.lastReceivedSkipped ?? 0) >= BLACKOUT_MIN_SKIPPED;
    if (!suspected && !peerTriedThrough) return false;
    this.lossEstimateValue = this.evidenceWhenHeard.lossEstimate;
    this.repeats.restoreLossSeenAt(this.evidenceWhenHeard.lossSeenAt);
    this.pendingOutcomes = this.pendingOutcomes.filter((outcome) => outcome.deadline < quietFrom);
    this.heardSinceBlackout = 0;
    return true;
  }

  /** The receiver proper; exposed for tests that drive the transport with instructions directly. */
  receiveInstruction(instruction: Instruction, now: number): void {
    const { oldNum, newNum, ackNum, throwawayNum } = instruction;
    if (![oldNum, newNum, ackNum, throwawayNum].every(isStateNum)) {
      this.stats.malformedInstructions++;
      return;
    }
    this.stats.instructionsReceived++;
    if (this.isRestartedPeer(instruction)) this.restartPeer(now);
    const silentFor = this.lastHeardAt === undefined ? NEVER : now - this.lastHeardAt;
    const blackoutEnded = this.heardAfterSilence(now);
    this.firstHeardAt ??= now;
    this.lastHeardAt = now;
    this.processAck(ackNum, now);
    this.evidenceWhenHeard = { lossEstimate: this.lossEstimateValue, lossSeenAt: this.repeats.lossSeenAt };
    // The path works again and the peer still lacks data of ours: resend it now, not when the timer says (its next
    // try may be a frame interval away, and at the far end a whole backed-off resend delay).
    if (blackoutEnded && this.sent.length > 1 && !this.back.state.equals(this.front.state)) this.resendAtOnce = true;

    if (newNum === SHUTDOWN_STATE_NUM) {
      // Acknowledge at once, and again for every copy: the peer is waiting for it to exit.
      this.peerShutdown = true;
      this.pendingAckDueAt = now;
    }

    const heldIndex = this.findReceived(newNum);
    if (heldIndex >= 0) {
      this.stats.duplicateStates++;
      // A resent data frame means our ack was lost or is late: re-arm it (delayed as usual, so link duplicates
      // cost nothing extra).
      if (this.timing.ackDuplicates && instruction.diff.length > 0) this.armAck(now);
      // The peer resent data because our answer did not come, and its acknowledgement shows it missed our newest
      // state: resend that now (a datagram, only when something was lost) rather than at our resend timer, which
      // waits out the peer's ack hold too (the daemon's: ~600 ms at 100 ms RTT). A lost echo then costs the client's
      // resend delay and a round trip. keystroke-ack --full, echo p95 at 29 % loss 290/555 → 238/555 ms at 100/300
      // ms RTT, at 50 % 396/833 → 351/824, the same datagrams.
      if (this.timing.answerMissedStates && instruction.diff.length > 0 && this.peerMissedNewest(ackNum, now) && !this.back.state.equals(this.front.state)) {
        this.resendAtOnce = true;
      }
      return;
    }
    const baseIndex = this.findReceived(oldNum);
    if (baseIndex < 0) {
      this.stats.unknownBaseStates++;
      return;
    }
    if (this.received.length >= this.timing.receivedStatesMax) {
      this.stats.refusedStates++;
      return;
    }
    let state: R;
    try {
      state = this.received[baseIndex]!.state.applyDiff(instruction.diff);
    } catch {
      // A RangeError is the contract for bytes the state cannot parse; anything else is a bug in the state type,
      // but it came from the network, so it must not take the session down either.
      this.stats.rejectedDiffs++;
      return;
    }

    // Sorted insert. Only a state newer than all held ones moves the acknowledgment.
    let insertAt = this.received.length;
    while (insertAt > 0 && this.received[insertAt - 1]!.num > newNum) insertAt--;
    this.received.splice(insertAt, 0, { num: newNum, state });
    this.throwAwayBelow(throwawayNum);
    if (insertAt < this.received.length - 1) {
      this.stats.outOfOrderStates++;
      return;
    }
    if (instruction.diff.length > 0) {
      this.armAck(now);
      this.peerInputIsolated = this.isolatedInput(this.peerInputAt, now);
      this.peerInputAt = now;
    }
    // A heartbeat or probe that does not acknowledge what we sent a round trip ago: the peer missed it (a lost
    // heartbeat, typically), so it has not heard from us. Answer now rather than at our next heartbeat. Within the
    // scheduling noise of a round trip the two heartbeats only crossed: on loopback, where a round trip is under a
    // millisecond, the two ends' 3 s timers lock onto each other, and answering each crossing sent 25-32 datagrams
    // a minute each way instead of 20 (the lossy-link bench's idle minute). A heartbeat really lost is answered at
    // the peer's next one, seconds after ours left, far past the noise.
    else if (this.timing.answerMissedStates && this.peerMissedNewest(ackNum, now, this.ackTimingNoiseMs)) {
      this.pendingAckDueAt = now;
      this.stats.missedStateAnswers++;
    }
    // After a long silence (first contact, or the end of an outage) answer at once, so the peer learns the path
    // works and takes an RTT sample now rather than at our next heartbeat.
    const promptAfter = this.timing.promptAckAfterSilenceMs;
    if (promptAfter > 0 && silentFor > promptAfter) this.pendingAckDueAt = now;
  }

  /**
   * A peer process that holds only the initial states: it builds on state 0, keeps state 0, and has acknowledged
   * nothing, while we know the peer had gone past that (it acknowledged one of our states, or we no longer hold its
   * state 0). The process that did so never goes back, and a late copy of its early datagrams is not the newest, so
   * only a new process under the same key looks like this. Without this it could never be served: its diffs build
   * on a state we have dropped, ours on states it never had.
   */
  private isRestartedPeer(instruction: Instruction): boolean {
    if (instruction.oldNum !== 0 || instruction.throwawayNum !== 0 || instruction.ackNum !== 0) return false;
    if (this.connection.lastReceivedWasNewest === false || this.peerShutdown || this.shutdownStartedAt !== undefined) return false;
    return this.front.num !== 0 || this.findReceived(0) < 0;
  }

  /**
   * Serves the new peer process from scratch: it holds our initial state and its own, so both lists start over from
   * those, and the next frame carries the whole current state. State numbers continue above those already used, so
   * a replayed frame of the old exchange can never be taken for a new one.
   */
  private restartPeer(now: number): void {
    const front = this.front;
    this.peerRestart = { previousAcknowledged: { num: front.num, state: front.state }, previousRemoteNum: this.remoteNum };
    this.stats.peerRestarts++;
    this.firstHeardAt = now; // the new process starts up as the first did
    this.numberFloor = Math.max(this.numberFloor, this.back.num);
    this.sent.splice(0, this.sent.length, { num: 0, state: this.initialLocal, sentAt: undefined, firstSentAt: undefined, transmissions: 0, carriesData: false });
    this.received.splice(0, this.received.length, { num: 0, state: this.initialRemote });
    this.resendCount = 0;
    this.pendingOutcomes = [];
    this.repeats.supersede();
    this.firstUnsentChangeAt = now;
    this.unpacedChange = true;
    this.pendingAckDueAt = now;
  }

  /**
   * The last frame for the replaced peer process: `state` (ours, typically with why it was replaced) as a shutdown,
   * built on the state that process acknowledged, so it can apply it and go. The caller seals it for that
   * process's address (Connection.sendTo).
   */
  farewellFor(restart: PeerRestart<L>, state: L): Instruction {
    const base = restart.previousAcknowledged;
    const diff = state.subtract(base.state).diffFrom(base.state.subtract(base.state));
    return { oldNum: base.num, newNum: SHUTDOWN_STATE_NUM, throwawayNum: base.num, ackNum: restart.previousRemoteNum, diff, chaff: EMPTY };
  }

  /** The restart found since the last call (see PeerRestart), once; undefined if none. */
  takePeerRestart(): PeerRestart<L> | undefined {
    const restart = this.peerRestart;
    this.peerRestart = undefined;
    return restart;
  }

  /**
   * Whether the peer's acknowledgement `ackNum` is behind our newest state although that left a round trip ago (and
   * `slackMs` more: a datagram of the peer's sent before ours reached it cannot acknowledge it).
   */
  private peerMissedNewest(ackNum: number, now: number, slackMs = 0): boolean {
    const back = this.back;
    return ackNum < back.num && back.sentAt !== undefined && now - back.sentAt > this.rttEstimate().srtt + slackMs;
  }

  /**
   * Sends the acknowledgement of what was received at the next tick instead of after the ack delay: for a receiver
   * that knows the sender is waiting on it (a long history that comes a window per acknowledged state).
   */
  acknowledgeNow(now: number): void {
    if (this.pendingAckDueAt !== undefined && this.pendingAckDueAt > now) this.pendingAckDueAt = now;
  }

  private armAck(now: number): void {
    const due = now + this.timing.ackDelayMs;
    if (this.pendingAckDueAt === undefined || due < this.pendingAckDueAt) this.pendingAckDueAt = due;
  }

  private findReceived(num: number): number {
    for (let i = this.received.length - 1; i >= 0; i--) {
      if (this.received[i]!.num === num) return i;
    }
    return -1;
  }

  private throwAwayBelow(throwawayNum: number): void {
    // Keep at least the newest state whatever the peer says: it is what the application sees.
    let drop = 0;
    while (drop < this.received.length - 1 && this.received[drop]!.num < throwawayNum) drop++;
    if (drop > 0) this.received.splice(0, drop);
  }

  private processAck(ackNum: number, now: number): void {
    if (ackNum === SHUTDOWN_STATE_NUM) {
      if (this.shutdownStartedAt !== undefined) this.shutdownAcked = true;
      return;
    }
    let index = -1;
    for (let i = 0; i < this.sent.length; i++) {
      if (this.sent[i]!.num === ackNum) {
        index = i;
        break;
      }
    }
    this.settleOutcomes(now, ackNum);
    this.congestion?.onAcknowledged(ackNum, now);
    this.repeats.acknowledged(ackNum);
    if (index <= 0) return; // Stale (already acknowledged) or a state we no longer track.
    const acked = this.sent[index]!;
    this.sent.splice(0, index);
    this.resendCount = 0;
    if (acked.sentAt !== undefined) this.lastRoundTripSuccess = acked.sentAt;
    // Karn's rule: only a number transmitted once gives an unambiguous acknowledgment time.
    if (acked.carriesData && acked.transmissions === 1 && acked.firstSentAt !== undefined) {
      this.addAckSample(now - acked.firstSentAt);
    }
  }

  /** Feed the loss estimate: a transmission acknowledged by its deadline was kept, one past it was lost. */
  private settleOutcomes(now: number, ackNum: number | undefined): void {
    if (this.pendingOutcomes.length === 0) return;
    const open: PendingOutcome[] = [];
    for (const outcome of this.pendingOutcomes) {
      if (ackNum !== undefined && ackNum >= outcome.num) {
        const startingUp = this.firstHeardAt !== undefined && now < this.firstHeardAt + START_UP_LATE_ACK_GRACE_MS;
        this.observeOutcome(this.lateAckIsLoss(outcome, now), outcome.copies, now, !startingUp);
      } else if (now > outcome.deadline + LOSS_VERDICT_HORIZON_MS) {
        this.observeOutcome(true, outcome.copies, now); // never acknowledged, even late
      } else {
        open.push(outcome);
      }
    }
    this.pendingOutcomes = open;
  }

  /**
   * Whether an acknowledgement of `outcome` that came at `now`, past its deadline, shows a failed round trip (frame or
   * ack lost: what the estimate counts) rather than a late one. Less than half a round trip late it cannot answer a
   * resend made at the deadline (the original was delayed: reordering, the peer's ack delay), and counting it would
   * turn redundancy on over a link that only reorders; less than LATE_ACK_NOISE_MS late it cannot be told from a
   * peer that did not get a CPU in time, and counting it turned the spaced repeat on for a minute over a clean
   * loopback link. Timing is all there is: whether the peer was heard in between without acknowledging the frame is
   * no better (at start-up a busy client sent such datagrams before acking 314 and 748 ms late, traced in session 19),
   * and the peer's own count of our missing datagrams is not on the wire.
   */
  private lateAckIsLoss(outcome: PendingOutcome, now: number): boolean {
    return now - outcome.deadline > this.ackTimingNoiseMs;
  }

  /** How far (ms) an acknowledgement's timing may stray before it says something: half an RTT, or the host's noise. */
  private get ackTimingNoiseMs(): number {
    return Math.max(this.rttEstimate().srtt / 2, LATE_ACK_NOISE_MS);
  }

  private addAckSample(sampleMs: number): void {
    if (!this.hasAckSample) {
      this.ackSrtt = sampleMs;
      this.ackRttvar = sampleMs / 2;
      this.hasAckSample = true;
    } else {
      this.ackRttvar = 0.75 * this.ackRttvar + 0.25 * Math.abs(this.ackSrtt - sampleMs);
      this.ackSrtt = 0.875 * this.ackSrtt + 0.125 * sampleMs;
    }
  }

  /**
   * The estimate f is the failure rate of a round trip made with one copy. A transmission made with k copies fails
   * less often, so its success is weaker evidence of a clean link: it is scored s with
   * F_k·1 + (1 − F_k)·s = f, where F_k is the failure rate k copies would have if f were right. Then copies do
   * not talk the estimate down, and the estimate stays at the link's loss while redundancy hides it.
   */
  private observeOutcome(lost: boolean, copies: number, now: number, rememberLoss = true): void {
    if (lost && rememberLoss) this.repeats.noteLoss(now);
    const gain = this.timing.lossEstimateGain;
    const f = this.lossEstimateValue;
    let sample = 1;
    if (!lost) {
      const failureWithCopies = roundTripFailure(oneWayLoss(f), copies);
      sample = failureWithCopies >= 1 ? f : Math.max(0, (f - failureWithCopies) / (1 - failureWithCopies));
    }
    this.lossEstimateValue = (1 - gain) * f + gain * sample;
  }

  // ---- Outgoing -----------------------------------------------------------------------------------------------

  /** Send whatever is due at `now`. Call it whenever `nextWakeup` arrives (calling it early is harmless). */
  tick(now: number): OutgoingDatagram[] {
    if (this.firstSentAt === undefined) this.firstSentAt = now;
    // We ask to be woken at least once per heartbeat or try spacing: a tick twice that late means the process did
    // not run (a closed lid, a suspended phone app), and the silence's tries start over at their first cadence.
    const t = this.timing;
    if (this.lastTickAt !== undefined && now > this.lastTickAt + 2 * Math.max(t.heartbeatIntervalMs, t.outageTryMaxMs)) this.resumedAt = now;
    this.lastTickAt = now;
    if (this.shutdownStartedAt !== undefined) return this.tickShutdown(now);
    const due = this.deadlines(now);
    if (due.data <= now) return this.sendFrame('data', now);
    if (due.resend <= now) return this.sendFrame('resend', now);
    if (due.repeat <= now) return this.sendRepeat(now);
    if (due.ack <= now) return this.sendFrame('ack', now);
    if (due.probe <= now) {
      this.stats.probes++;
      return this.sendFrame('ack', now);
    }
    return [];
  }

  /** The absolute time (ms) at which `tick` next has something to do; ≥ now. An idle transport asks once per heartbeat. */
  nextWakeup(now: number): number {
    let wake: number;
    if (this.shutdownStartedAt !== undefined) {
      wake = this.shutdownDeadline();
    } else {
      const due = this.deadlines(now);
      wake = Math.min(due.data, due.resend, due.repeat, due.ack, due.probe);
    }
    return Math.max(now, wake);
  }

  private get front(): SentState<L> {
    return this.sent[0]!;
  }

  private get back(): SentState<L> {
    return this.sent[this.sent.length - 1]!;
  }

  private rttEstimate(): { srtt: number; rto: number } {
    const rtt = this.connection.rtt;
    if (this.timing.coldStart && !rtt.hasSample) {
      const rto = clamp(Math.ceil(COLD_START_SRTT_MS + 4 * COLD_START_RTTVAR_MS), COLD_START_RTO_MIN_MS, COLD_START_RTO_MAX_MS);
      return { srtt: COLD_START_SRTT_MS, rto };
    }
    return { srtt: rtt.srtt, rto: rtt.rto() };
  }

  private rto(): number {
    return this.rttEstimate().rto;
  }

  /** Whether resends are worth making: the peer was heard recently (or we only just started trying). */
  private peerActive(now: number): boolean {
    return now < this.activeUntil();
  }

  private activeUntil(): number {
    const reference = this.lastHeardAt ?? this.firstSentAt;
    return reference === undefined ? -NEVER : reference + this.timing.activeRetryTimeoutMs;
  }

  private deadlines(now: number): Deadlines {
    const t = this.timing;
    const interval = this.sendIntervalMs;
    const back = this.back;
    let data = NEVER;
    let resend = NEVER;
    const hasNewData = !this.current.equals(back.state);
    if (hasNewData) {
      const collected = (this.firstUnsentChangeAt ?? now - t.collectionIntervalMs) + t.collectionIntervalMs;
      data = this.pacedAt(collected);
      if (this.congestion !== undefined && !this.unpacedChange) {
        // Output nobody waits for waits for the budget too; an answer to the peer's input never does (it is bounded
        // by the peer's typing, and the budget keeps the queue it joins short).
        const allowed = this.congestion.sendAllowedAt(now, this.resendDelayMs);
        if (data <= now && allowed > now) {
          this.congestion.noteHeld(now);
          this.heldForBudget = true;
        }
        data = Math.max(data, allowed);
      }
      // In a suspected outage new data is a try like any other: no sooner than the outage's spacing after the last
      // (a screen that changes every frame would otherwise go every frame for as long as the outage lasts). An answer
      // to input is exempt: the input was just heard, so the silence may be no outage.
      if (!this.unpacedChange && this.lastSentAt !== undefined && this.outageSuspected(now)) {
        data = Math.max(data, this.lastSentAt + this.outageSpacingMs(this.lastSentAt));
      }
    } else if (!this.current.equals(this.front.state) && back.sentAt !== undefined) {
      if (t.resendPolicy === 'ack-timer') {
        const lastTry = this.lastDataSentAt ?? back.sentAt;
        resend = this.resendAtOnce ? now : lastTry + this.resendTimerMs;
        // The timer stops once the peer has been silent for activeRetryTimeoutMs: do not wake for it.
        if (!this.peerActive(now) || resend >= this.activeUntil()) resend = NEVER;
        if (!this.resendAtOnce && this.lastDataDiffBytes <= t.redundancyMaxExtraBytes) {
          // A suspected outage: small data at the outage's spacing for as long as it lasts, so the first try after
          // the link returns is at most that late. Large data keeps the backed-off timer (it costs its size per try).
          resend = Math.min(resend, Math.max(lastTry + this.outageSpacingMs(lastTry), this.outage.suspectedFrom(this.baseResendDelayMs)));
        }
      } else if (this.peerActive(now)) {
        // mosh: resend at the frame rate once the assumed state has fallen back, else after RTO + ack delay.
        const fallbackAt = this.assumedFallbackAt(now);
        resend = Math.min(Math.max(fallbackAt, back.sentAt + interval), back.sentAt + this.rto() + t.ackDelayMs);
        // A resend that would fall after the peer stops counting as active will not happen: do not wake for it.
        if (resend >= this.activeUntil()) resend = NEVER;
      }
    }
    let ack = NEVER;
    if (this.pendingAckDueAt !== undefined) ack = this.pendingAckDueAt;
    // In a long silence heartbeats thin out with the outage's tries (outageTryMaxMs above the heartbeat: the daemon).
    let heartbeat = this.lastSentAt === undefined ? now : this.lastSentAt + this.silenceSpacingMs(this.lastSentAt, t.heartbeatIntervalMs, this.lastHeardAt);
    if (t.helloRetry && this.lastHeardAt === undefined && this.lastSentAt !== undefined) {
      // Before first contact a lost hello would cost a whole heartbeat interval (mosh takes ~6 s to connect when
      // its first packets are lost): repeat it on the backed-off resend timer while retries are worth making.
      const retryAt = this.lastSentAt + backedOffDelay(this.rto(), this.helloTries, t);
      if (retryAt < this.activeUntil()) heartbeat = Math.min(heartbeat, retryAt);
    }
    ack = Math.min(ack, heartbeat);
    let probe = NEVER;
    if (t.probeAfterSilenceMs > 0 && this.lastHeardAt !== undefined && this.lastSentAt !== undefined) {
      // The peer has missed its heartbeat: probe (an ack frame like any heartbeat) until it is heard again, at the
      // outage's spacing once that is wider, until the probes are heartbeats (with no thinning, for
      // activeRetryTimeoutMs of silence).
      const spacing = this.silenceSpacingMs(this.lastSentAt, Math.max(t.probeIntervalMinMs, this.rto()), this.lastHeardAt);
      const probeAt = Math.max(this.lastHeardAt + t.probeAfterSilenceMs, this.lastSentAt + spacing);
      if ((t.outageTryFraction > 0 || probeAt < this.activeUntil()) && probeAt < ack) probe = probeAt;
    }
    return { data, resend, ack, probe, repeat: this.repeats.dueAt };
  }

  /** How long a sent state is assumed delivered without an acknowledgment (mosh: RTO + ack delay). */
  private assumedDeliveryWindowMs(): number {
    return this.timing.resendPolicy === 'ack-timer' ? this.resendDelayMs : this.rto() + this.timing.ackDelayMs;
  }

  /**
   * mosh's assumed receiver state: walk from the acknowledged state towards the newest, assuming each state sent
   * within the delivery window arrived, and stop at the first that is older than that.
   */
  private assumedIndex(now: number): number {
    const window = this.assumedDeliveryWindowMs();
    let index = 0;
    for (let i = 1; i < this.sent.length; i++) {
      const sentAt = this.sent[i]!.sentAt;
      if (sentAt === undefined || now >= sentAt + window) break;
      index = i;
    }
    return index;
  }

  /** The earliest time ≥ now at which the assumed state differs from the current state (mosh's resend trigger). */
  private assumedFallbackAt(now: number): number {
    if (!this.sent[this.assumedIndex(now)]!.state.equals(this.current)) return now;
    // The assumption only changes when some sent state leaves its delivery window: check those moments in order.
    const window = this.assumedDeliveryWindowMs();
    const moments = this.sent
      .slice(1)
      .map((entry) => (entry.sentAt ?? now) + window)
      .filter((moment) => moment > now)
      .sort((a, b) => a - b);
    for (const moment of moments) {
      if (!this.sent[this.assumedIndex(moment)]!.state.equals(this.current)) return moment;
    }
    return NEVER;
  }

  /** Diff of `target` from `base`, both reduced by the acknowledged state (drops an input stream's acked prefix). */
  private diffBetween(target: L, base: L): Uint8Array {
    const acked = this.front.state;
    return target.subtract(acked).diffFrom(base.subtract(acked));
  }

  /** Pick the base (assumed, or acknowledged by the prospective-resend rule) and the diff from it. */
  private chooseBase(target: L, now: number, forceAcked: boolean): { base: SentState<L>; diff: Uint8Array } {
    const acked = this.front;
    const ackedDiff = this.diffBetween(target, acked.state);
    if (forceAcked) return { base: acked, diff: ackedDiff };
    const assumed = this.sent[this.assumedIndex(now)]!;
    if (assumed === acked) return { base: acked, diff: ackedDiff };
    const t = this.timing;
    // A diff from the acknowledged state within the slack wins whatever the assumed one's length (it cannot be
    // shorter than nothing), so that second diff is not made: the frames answering a key are such diffs, each sent
    // before the client acknowledges the one before it (its acks wait up to ackDelayMs), and the second diff was
    // half the diffing of every one of them.
    if (ackedDiff.length <= t.prospectiveResendSlackBytes && ackedDiff.length < t.prospectiveResendMaxBytes) return { base: acked, diff: ackedDiff };
    const assumedDiff = this.diffBetween(target, assumed.state);
    if (
      ackedDiff.length <= assumedDiff.length ||
      (ackedDiff.length < t.prospectiveResendMaxBytes && ackedDiff.length - assumedDiff.length <= t.prospectiveResendSlackBytes)
    ) {
      return { base: acked, diff: ackedDiff };
    }
    return { base: assumed, diff: assumedDiff };
  }

  private sendFrame(kind: FrameKind, now: number): OutgoingDatagram[] {
    const t = this.timing;
    // An ack or heartbeat re-announces the newest state already sent: new data waits for its own paced frame.
    const target = kind === 'data' ? this.current : this.back.state;
    // A resend under the ack timer goes against the acknowledged state, the one base the peer surely holds.
    const { base, diff } = this.chooseBase(target, now, kind === 'resend' && t.resendPolicy === 'ack-timer');
    if (kind === 'ack' && diff.length > ACK_FRAME_MAX_DIFF_BYTES && this.front.num > 0) return this.sendBareAck(now);
    let num: number;
    let awaited = false;
    if (kind === 'resend') {
      const back = this.back;
      num = back.num;
      back.sentAt = now;
      back.transmissions++;
      this.resendCount++;
      this.stats.resends++;
    } else {
      num = Math.max(this.back.num, this.numberFloor) + 1;
      this.pushSent({
        num,
        state: target,
        sentAt: now,
        firstSentAt: now,
        transmissions: 1,
        carriesData: kind === 'data',
      });
      if (kind === 'data') {
        this.stats.dataFrames++;
        if (this.heldForBudget) this.stats.framesHeldForBudget++;
        this.heldForBudget = false;
        this.resendCount = 0;
        this.firstUnsentChangeAt = undefined;
        this.unpacedChange = false;
        this.endedChange = false;
        awaited = this.awaitedChange;
        this.awaitedChange = false;
      } else {
        this.stats.ackFrames++;
      }
    }
    // Input in quick succession: the next frame makes a loss good (awaited-repeat.ts), so this one goes once.
    const covered = awaited && this.repeats.coveredByNext(this.awaitedIsolated);
    // In a suspected outage copies (and repeats) would all be lost together: the outage cadence spreads the tries in
    // time instead.
    const inOutage = kind !== 'ack' && this.outageSuspected(now);
    const copies = kind === 'ack' || covered || inOutage ? 1 : this.copiesFor(diff.length);
    if (kind !== 'ack') {
      // A frame from the acknowledged state carries all a pending repeat would; one from an assumed state does not
      // (the prompt's state lost, its successors cannot be applied: that repeat must still go).
      if (base === this.front) this.repeats.supersede();
      const repeat = awaited && !covered && this.lastHeardAt !== undefined && !inOutage;
      if (repeat && this.repeats.wanted(now, copies, diff.length, t.redundancyMaxExtraBytes)) {
        this.repeats.schedule({ oldNum: base.num, newNum: num, diff }, now);
      }
      if (this.lastHeardAt !== undefined) this.outage.noteDataSent(now);
      this.resendAtOnce = false;
      this.lastDataDiffBytes = diff.length;
      this.lastDataSentAt = now;
      this.settleOutcomes(now, undefined);
      this.pendingOutcomes.push({ num, deadline: now + this.lossVerdictDelayMs, copies });
      // Bound the list; an outcome pushed out unsettled is past its deadline in practice, so it counts as lost.
      if (this.pendingOutcomes.length > MAX_PENDING_OUTCOMES) {
        const evicted = this.pendingOutcomes.shift()!;
        this.observeOutcome(now > evicted.deadline, evicted.copies, now);
      }
    }
    if (this.lastHeardAt === undefined) this.helloTries++;
    const out = this.transmit({ oldNum: base.num, newNum: num, throwawayNum: this.front.num, diff }, copies, now);
    if (this.congestion !== undefined) {
      let bytes = 0;
      for (const datagram of out) bytes += datagram.bytes.length;
      this.congestion.onSent(num, bytes, now);
    }
    return out;
  }

  /**
   * An acknowledgement or heartbeat without the large diff still unacknowledged (ACK_FRAME_MAX_DIFF_BYTES): the
   * acknowledged state announced again (the peer holds it, and takes the repeat for a duplicate), with our
   * acknowledgement. No new state number, so the data's resends keep theirs and the peer joins their fragments.
   * Never for state 0: 0, 0, 0 is how a restarted peer introduces itself (isRestartedPeer).
   */
  private sendBareAck(now: number): OutgoingDatagram[] {
    const front = this.front;
    this.stats.ackFrames++;
    if (this.lastHeardAt === undefined) this.helloTries++;
    return this.transmit({ oldNum: front.num, newNum: front.num, throwawayNum: front.num, diff: EMPTY }, 1, now);
  }

  /** The spaced second copy of an awaited frame: the same numbers and diff, a fresh datagram. */
  private sendRepeat(now: number): OutgoingDatagram[] {
    const frame = this.repeats.take();
    // The round trip now has two chances: its success is weaker evidence of a clean link (observeOutcome).
    for (const outcome of this.pendingOutcomes) if (outcome.num === frame.newNum) outcome.copies++;
    this.stats.spacedCopies++;
    // Not told to the congestion controller: a few hundred bytes at most per keystroke, bounded by the typing.
    return this.transmit({ oldNum: frame.oldNum, newNum: frame.newNum, throwawayNum: this.front.num, diff: frame.diff }, 1, now);
  }

  private transmit(
    frame: { oldNum: number; newNum: number; throwawayNum: number; diff: Uint8Array },
    copies: number,
    now: number,
  ): OutgoingDatagram[] {
    const ackNum = this.peerShutdown ? SHUTDOWN_STATE_NUM : this.remoteNum;
    const instruction: Instruction = { ...frame, ackNum, chaff: this.chaff() };
    const out: OutgoingDatagram[] = [];
    for (let copy = 0; copy < copies; copy++) {
      // Each copy goes through the connection again: a fresh sequence number, so the replay window keeps it.
      const datagrams = this.connection.send(instruction, now);
      for (const datagram of datagrams) out.push(datagram);
      this.stats.instructionsSent++;
    }
    this.stats.redundantCopies += copies - 1;
    this.stats.datagramsSent += out.length;
    this.lastSentAt = now;
    this.bytesSinceLastSend = 0;
    // A resend that went as its first try's bytes carries that try's acknowledgement: ours stays due, and goes in a
    // frame of its own.
    if ((this.connection.lastSentAckNum ?? ackNum) === ackNum) {
      this.pendingAckDueAt = undefined;
      if (ackNum === SHUTDOWN_STATE_NUM) this.peerShutdownAckSent = true;
    }
    return out;
  }

  private chaff(): Uint8Array {
    const random = this.connection.random;
    const max = this.timing.chaffMaxBytes;
    if (random === undefined || max === 0) return EMPTY;
    return random(random(1)[0]! % (max + 1));
  }

  /** Redundant copies: enough that all are lost with at most the target probability, within the byte budget. */
  private copiesFor(diffBytes: number): number {
    const t = this.timing;
    const loss = oneWayLoss(this.lossEstimateValue);
    if (t.redundancyMaxCopies <= 1 || loss < t.redundancyLossThreshold) return 1;
    let copies = loss >= 1 ? t.redundancyMaxCopies : Math.ceil(Math.log(t.redundancyTargetFailure) / Math.log(loss));
    copies = clamp(copies, 1, t.redundancyMaxCopies);
    const affordable = 1 + Math.floor(t.redundancyMaxExtraBytes / Math.max(1, diffBytes));
    return Math.min(copies, affordable);
  }

  private pushSent(entry: SentState<L>): void {
    this.sent.push(entry);
    if (this.sent.length > this.timing.sentStatesMax) {
      // Forget a state in the middle (mosh): the acknowledged front and the recent states stay usable as bases.
      this.sent.splice(this.sent.length - Math.floor(this.timing.sentStatesMax / 2), 1);
    }
  }

  // ---- Shutdown -----------------------------------------------------------------------------------------------

  /** Ask the peer to end the session: the shutdown number is sent (paced) until acknowledged or given up. */
  startShutdown(now: number): void {
    if (this.shutdownStartedAt !== undefined) return;
    this.shutdownStartedAt = now;
  }

  get shutdownInProgress(): boolean {
    return this.shutdownStartedAt !== undefined;
  }

  /** The peer acknowledged our shutdown: safe to exit. */
  get shutdownAcknowledged(): boolean {
    return this.shutdownAcked;
  }

  /** The peer asked to shut down. Tick once more so the acknowledgment goes out, then exit. */
  get counterpartyShutdown(): boolean {
    return this.peerShutdown;
  }

  /** Our acknowledgment of the peer's shutdown has been handed to the connection at least once. */
  get counterpartyShutdownAckSent(): boolean {
    return this.peerShutdownAckSent;
  }

  /** The shutdown was sent `shutdownMaxTries` times or for `shutdownTimeoutMs` without an acknowledgment. */
  get shutdownTimedOut(): boolean {
    return this.shutdownGaveUp;
  }

  private shutdownDeadline(): number {
    if (this.shutdownAcked || this.shutdownGaveUp) {
      // Nothing more to send for our shutdown, but keep acknowledging a peer that is shutting down too.
      return this.pendingAckDueAt ?? NEVER;
    }
    const started = this.shutdownStartedAt!;
    const giveUpAt = started + this.timing.shutdownTimeoutMs;
    const nextTry = this.lastShutdownSendAt === undefined ? started : this.lastShutdownSendAt + this.sendIntervalMs;
    return Math.min(giveUpAt, nextTry);
  }

  private tickShutdown(now: number): OutgoingDatagram[] {
    if (this.shutdownAcked || this.shutdownGaveUp) {
      if (this.pendingAckDueAt !== undefined && this.pendingAckDueAt <= now) {
        this.stats.ackFrames++;
        return this.transmit({ oldNum: this.back.num, newNum: this.back.num, throwawayNum: this.front.num, diff: EMPTY }, 1, now);
      }
      return [];
    }
    const started = this.shutdownStartedAt!;
    const nextTry = this.lastShutdownSendAt === undefined ? started : this.lastShutdownSendAt + this.sendIntervalMs;
    if (now >= started + this.timing.shutdownTimeoutMs || (this.shutdownTries >= this.timing.shutdownMaxTries && now >= nextTry)) {
      this.shutdownGaveUp = true;
      return [];
    }
    if (now < nextTry) return [];
    this.shutdownTries++;
    this.lastShutdownSendAt = now;
    this.stats.shutdownSends++;
    const acked = this.front;
    const diff = this.diffBetween(this.current, acked.state);
    return this.transmit({ oldNum: acked.num, newNum: SHUTDOWN_STATE_NUM, throwawayNum: acked.num, diff }, 1, now);
  }
}

/**
 * The estimate counts failed round trips (the frame or its ack lost). Assuming both directions lose alike, one
 * direction loses p = 1 − √(1 − f); copies only help against that one.
 */
function oneWayLoss(roundTripFailure: number): number {
  return 1 - Math.sqrt(1 - Math.min(1, Math.max(0, roundTripFailure)));
}

/** Round-trip failure with `copies` copies of the frame and one ack, each direction losing `p`. */
function roundTripFailure(p: number, copies: number): number {
  return 1 - (1 - p ** copies) * (1 - p);
}

function isStateNum(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
