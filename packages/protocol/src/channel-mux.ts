import { ByteWriter } from './byte-codec.js';
import {
  DATA_FRAME_OVERHEAD_BYTES,
  decodeChannelPacket,
  encodeChannelPacket,
  encodedFrameLength,
  MAX_ACK_RANGES,
  MAX_CHANNEL_MESSAGE_BYTES,
  MAX_CLOSE_REASON_BYTES,
  type ChannelFrame,
  type ChannelTarget,
  type PacketRange,
} from './channel-codec.js';
import { DeliveryRateEstimator } from './delivery-rate.js';
import { RttEstimator } from './rtt.js';

/**
 * Reliable, ordered, flow-controlled byte streams ("channels": a forwarded agent or TCP connection) multiplexed over
 * one session's Connection, pure: the shell passes `now`, sends what `poll` returns (one datagram per packet), and
 * calls `poll` again at `nextWakeup`. docs/protocol.md §11 has the wire and the rules; in short:
 *
 * - Packets are numbered and acknowledged (ranges, as QUIC); a packet is lost when three later ones were acknowledged
 *   or it stayed unacknowledged a round trip past a later one, or by the probe timeout. Its frames go again in a new
 *   packet, so an acknowledgement is never ambiguous.
 * - Each channel's data has byte offsets; the receiver delivers in order, and grants credit (the highest offset the
 *   sender may send) as the application consumes what it was given: a stalled consumer stops its sender, and a
 *   channel never holds more than its window. All channels together are held within a session budget.
 * - Sending is paced by a delivery-rate estimate (as BBR): in flight at most twice the measured rate × the minimum
 *   round trip, so a bottleneck's queue stays near one round trip and random loss does not throttle the stream.
 * - The mux never sends the screen or keystrokes: the session sends those first, and channels use what is left.
 */

export type MuxRole = 'client' | 'server';

export interface ChannelLimits {
  /** bytes: credit each side grants a new channel before any is announced (the first request and its answer). */
  readonly initialWindowBytes: number;
  /** bytes: the most a channel's receiver holds unconsumed (its credit runs this far ahead of consumption). */
  readonly windowBytes: number;
  /** bytes: the most all channels' receivers together hold unconsumed. */
  readonly sessionWindowBytes: number;
  /** bytes: a channel's send buffer (written, not yet acknowledged); above it `write` says to pause the source. */
  readonly sendBufferBytes: number;
  /** Channels open at once on one link; an OPEN beyond this is refused. */
  readonly maxChannels: number;
}

export const DEFAULT_CHANNEL_LIMITS: ChannelLimits = {
  // 64 KiB: an agent exchange or an HTTP request fits at once, and 64 channels cost at most 4 MiB before any credit.
  initialWindowBytes: 64 * 1024,
  // 1 MiB: at 100 ms RTT that is 10 MB/s per channel before credit limits it, more than a lossy path carries.
  windowBytes: 1024 * 1024,
  // 8 MiB: a hostile or stalled peer holds at most this much of our memory on one link (plus the initial windows).
  sessionWindowBytes: 8 * 1024 * 1024,
  // 1 MiB: matches the window, so a source is paused only when the path, not the buffer, is the limit.
  sendBufferBytes: 1024 * 1024,
  maxChannels: 64,
};

/** ms: longest a receiver waits to acknowledge one packet alone (a second one is acknowledged at once). */
export const MAX_ACK_DELAY_MS = 20;
/** Packets: a packet is lost once this many later ones were acknowledged (TCP's and QUIC's reordering threshold). */
const PACKET_REORDER_THRESHOLD = 3;
/** A packet is lost once a later one was acknowledged and this many SRTTs passed since it was sent (QUIC: 9/8). */
const TIME_REORDER_FACTOR = 9 / 8;
/** bytes: the congestion window never goes below four datagrams, so a probe and its follow-up always fit. */
const MIN_CWND_PACKETS = 4;
/** bytes: the first flight before any delivery rate is measured; the window doubles each round trip from here. */
const INITIAL_CWND_BYTES = 16 * 1024;
/** In flight at most this many times the bandwidth-delay product (BBR's cwnd gain): room for acks that come late. */
const CWND_GAIN = 2;
/** Pacing runs this much faster than cwnd per SRTT, so pacing alone never limits a flow the window allows. */
const PACING_GAIN = 1.25;
/** Packets the pacer may send back to back. */
const PACING_BURST_PACKETS = 10;
/** ms: the probe timeout's ceiling once backed off; an outage is noticed ended within this after the link returns. */
const MAX_PROBE_TIMEOUT_MS = 1000;
/** ms: window over which the minimum round trip is kept (BBR: 10 s). */
const MIN_RTT_WINDOW_MS = 10_000;
/** Packets `poll` returns at once: the shell yields to the event loop between batches (keystrokes go first). */
export const MAX_PACKETS_PER_POLL = 32;
/** Peer-opened channel IDs remembered so a duplicate OPEN (a resent frame) is recognised; older IDs count as seen. */
const PEER_IDS_REMEMBERED = 1024;

export type MuxEvent =
  /** The peer opened a channel: `accept` or `close` it. */
  | { readonly type: 'open'; readonly channel: number; readonly target: ChannelTarget }
  /** The peer accepted a channel we opened: write to it. */
  | { readonly type: 'accepted'; readonly channel: number }
  /** The next bytes of a channel, in order. Call `consumed` once they are passed on (that grants more credit). */
  | { readonly type: 'data'; readonly channel: number; readonly data: Uint8Array }
  /** The peer will send no more on this channel (all its data was delivered before this event). */
  | { readonly type: 'end'; readonly channel: number }
  /** The channel is gone: refused, reset, or the mux closed. Nothing more comes or goes. */
  | { readonly type: 'closed'; readonly channel: number; readonly reason: string }
  /** Our send buffer for the channel drained below half: resume the source. */
  | { readonly type: 'writable'; readonly channel: number }
  | { readonly type: 'message'; readonly text: string };

export interface MuxStats {
  packetsSent: number;
  packetsReceived: number;
  packetsLost: number;
  probeTimeouts: number;
  dataBytesSent: number;
  dataBytesRetransmitted: number;
  dataBytesDelivered: number;
  /** Frames that broke the rules (data beyond credit, an OPEN past the limit); the channel was reset or refused. */
  protocolViolations: number;
  /** Packets that did not decode. */
  malformedPackets: number;
}

interface SentPacket {
  readonly packetNumber: number;
  readonly sentAt: number;
  readonly size: number;
  /** Frames resent if this packet is lost (everything but ACK). */
  readonly frames: readonly ChannelFrame[];
  readonly delivered: number;
  readonly deliveredAt: number;
  /** When the newest packet acknowledged by then was sent: this packet's sample spans at least its sending interval. */
  readonly intervalSentAt: number;
}

interface Channel {
  readonly id: number;
  state: 'opening' | 'open';
  // Sending half.
  /** Written bytes from `sendBase` on: acknowledged bytes leave from the front. */
  sendBuffer: Uint8Array[];
  sendBufferedBytes: number;
  /** Offset of sendBuffer's first byte. */
  sendBase: number;
  /** Next never-sent offset. */
  sendNext: number;
  /** Offset after the last written byte. */
  sendEnd: number;
  /** Byte ranges to send again (lost), [start, end). */
  retransmit: Array<[number, number]>;
  /** Byte ranges acknowledged above sendBase, [start, end), sorted. */
  acked: Array<[number, number]>;
  /** The peer's credit: we may send below this offset. */
  peerMaxOffset: number;
  finWritten: boolean;
  finSent: boolean;
  finAcked: boolean;
  pausedSource: boolean;
  // Receiving half.
  /** Next offset to deliver. */
  receiveNext: number;
  /** Out-of-order data by offset (bounded by the credit granted). */
  pending: Map<number, Uint8Array>;
  finalOffset: number | undefined;
  endDelivered: boolean;
  /** Delivered and passed on by the application. */
  consumed: number;
  /** Credit we granted (the peer may send below it). */
  granted: number;
  creditDirty: boolean;
}

export class ChannelMux {
  readonly stats: MuxStats = {
    packetsSent: 0,
    packetsReceived: 0,
    packetsLost: 0,
    probeTimeouts: 0,
    dataBytesSent: 0,
    dataBytesRetransmitted: 0,
    dataBytesDelivered: 0,
    protocolViolations: 0,
    malformedPackets: 0,
  };
  readonly limits: ChannelLimits;
  private readonly maxPacketBytes: number;
  private readonly channels = new Map<number, Channel>();
  private readonly control: ChannelFrame[] = [];
  /** Channels opened by us get ids of our parity (client even, server odd), increasing. */
  private nextLocalId: number;
  private readonly peerIdsSeen = new Set<number>();
  /** Peer IDs below this were seen (forgotten from the set to bound it). */
  private peerIdFloor = 0;
  private closedReason: string | undefined;
  private readonly writer = new ByteWriter();
  // Sender's packet state.
  private nextPacketNumber = 0;
  private readonly sent = new Map<number, SentPacket>();
  private inFlightBytes = 0;
  private largestAcked = -1;
  private probeCount = 0;
  private afterProbeTimeout = false;
  /** Round trips of acknowledged packets, the peer's ack delay taken off. */
  private readonly rtt: RttEstimator;
  private minRtt = Infinity;
  private minRttAt = -Infinity;
  private readonly rate = new DeliveryRateEstimator();
  private pacingTokens: number;
  private pacingAt: number | undefined;
  private roundRobin = 0;
  /** When the newest acknowledged packet was sent (the start of the next packets' sending intervals). */
  private lastAckedSentAt = 0;
  // Receiver's packet state.
  /** Received packet numbers, newest range first. */
  private received: PacketRange[] = [];
  private largestReceivedAt = 0;
  private ackElicitingUnacked = 0;
  private ackDueAt: number | undefined;

  constructor(init: { readonly role: MuxRole; readonly maxPacketBytes: number; readonly initialRttMs?: number; readonly limits?: Partial<ChannelLimits> }) {
    if (!(init.maxPacketBytes >= 200)) throw new RangeError(`ChannelMux: maxPacketBytes ${init.maxPacketBytes} is below the 200 bytes a packet needs`);
    this.maxPacketBytes = init.maxPacketBytes;
    this.limits = { ...DEFAULT_CHANNEL_LIMITS, ...init.limits };
    this.nextLocalId = init.role === 'client' ? 0 : 1;
    this.rtt = new RttEstimator(init.initialRttMs);
    this.pacingTokens = PACING_BURST_PACKETS * init.maxPacketBytes;
  }

  /** Channels open now (both directions). */
  get channelCount(): number {
    return this.channels.size;
  }

  get bytesInFlight(): number {
    return this.inFlightBytes;
  }

  /** bytes: what may be in flight now. */
  get congestionWindow(): number {
    const floor = MIN_CWND_PACKETS * this.maxPacketBytes;
    if (this.afterProbeTimeout) return floor;
    const rate = this.rate.maxBytesPerMs;
    if (rate === undefined || !Number.isFinite(this.minRtt)) return Math.max(floor, INITIAL_CWND_BYTES);
    return Math.max(floor, INITIAL_CWND_BYTES / 2, CWND_GAIN * rate * this.minRtt);
  }

  get smoothedRttMs(): number {
    return this.rtt.srtt;
  }

  /** Opens a channel to the peer; its answer comes as `accepted` or `closed`. */
  open(target: ChannelTarget): number {
    this.assertLive();
    if (this.channels.size >= this.limits.maxChannels) throw new RangeError(`ChannelMux.open: already ${this.channels.size} channels open (the limit)`);
    const id = this.nextLocalId;
    this.nextLocalId += 2;
    this.channels.set(id, this.newChannel(id, 'opening'));
    this.control.push({ type: 'open', channel: id, target });
    return id;
  }

  accept(channel: number): void {
    const state = this.channels.get(channel);
    if (state === undefined || state.state !== 'opening' || this.isLocal(channel)) throw new Error(`ChannelMux.accept: channel ${channel} is not awaiting an answer`);
    state.state = 'open';
    this.control.push({ type: 'accept', channel });
  }

  /** Refuses or resets a channel; the peer gets `closed` with `reason`. Unknown channels are ignored. */
  close(channel: number, reason: string): void {
    if (!this.channels.has(channel)) return;
    this.channels.delete(channel);
    this.control.push({ type: 'close', channel, reason: truncateUtf8(reason, MAX_CLOSE_REASON_BYTES) });
  }

  /**
   * Queues bytes on an open (or opening) channel. Returns false when the channel's send buffer is over its limit:
   * pause the source until `writable`. The bytes are kept either way.
   */
  write(channel: number, data: Uint8Array): boolean {
    const state = this.channels.get(channel);
    if (state === undefined) return false;
    if (state.finWritten) throw new Error(`ChannelMux.write: channel ${channel} was already ended`);
    if (data.length > 0) {
      state.sendBuffer.push(data);
      state.sendBufferedBytes += data.length;
      state.sendEnd += data.length;
    }
    const below = state.sendBufferedBytes < this.limits.sendBufferBytes;
    if (!below) state.pausedSource = true;
    return below;
  }

  /** No more bytes will be written: the peer gets `end` after the last one. */
  end(channel: number): void {
    const state = this.channels.get(channel);
    if (state === undefined || state.finWritten) return;
    state.finWritten = true;
  }

  /** The application passed `bytes` of delivered data on (a socket accepted them): the peer may send that much more. */
  consumed(channel: number, bytes: number): void {
    const state = this.channels.get(channel);
    if (state === undefined) return;
    state.consumed = Math.min(state.receiveNext, state.consumed + bytes);
    // Announce credit once half the window was used: fewer CREDIT frames, and never a stall while one is in flight.
    if (state.granted - state.consumed <= this.limits.windowBytes / 2) {
      const next = this.creditFor(state);
      if (next > state.granted) {
        state.granted = next;
        state.creditDirty = true;
      }
    }
  }

  /** Sends a control message (forwarding requests and answers), reliably and in no particular order. */
  sendMessage(text: string): void {
    this.assertLive();
    if (new TextEncoder().encode(text).length > MAX_CHANNEL_MESSAGE_BYTES) throw new RangeError(`ChannelMux.sendMessage: over ${MAX_CHANNEL_MESSAGE_BYTES} bytes`);
    this.control.push({ type: 'message', text });
  }

  /** Ends every channel (the link is gone): each gets `closed` with `reason`. The mux sends nothing afterwards. */
  closeAll(reason: string): MuxEvent[] {
    const events: MuxEvent[] = [];
    for (const id of [...this.channels.keys()]) {
      this.channels.delete(id);
      events.push({ type: 'closed', channel: id, reason });
    }
    this.closedReason = reason;
    this.control.length = 0;
    this.sent.clear();
    this.inFlightBytes = 0;
    this.ackDueAt = undefined;
    return events;
  }

  /** One packet from the peer (the Connection already authenticated it). Never throws on its content. */
  receive(payload: Uint8Array, now: number): MuxEvent[] {
    if (this.closedReason !== undefined) return [];
    let packet;
    try {
      packet = decodeChannelPacket(payload);
    } catch {
      this.stats.malformedPackets++;
      return [];
    }
    this.stats.packetsReceived++;
    const events: MuxEvent[] = [];
    let ackEliciting = false;
    for (const frame of packet.frames) {
      if (frame.type !== 'ack') ackEliciting = true;
      this.onFrame(frame, now, events);
    }
    this.noteReceived(packet.packetNumber, ackEliciting, now);
    return events;
  }

  /** Packets to send now, each one datagram. At most MAX_PACKETS_PER_POLL; `nextWakeup` is `now` when more wait. */
  poll(now: number): Uint8Array[] {
    if (this.closedReason !== undefined) return [];
    // Nothing open, queued, owed or in flight: every pump and step of a session that forwards nothing (both ends poll
    // at each). The pacing refill skipped here comes out the same at the next poll: tokens are capped at the burst,
    // and the rate they fill at moves only with acknowledgements, which need something in flight.
    if (this.idle) return [];
    this.checkProbeTimeout(now);
    this.refillPacing(now);
    const packets: Uint8Array[] = [];
    while (packets.length < MAX_PACKETS_PER_POLL) {
      const packet = this.buildPacket(now);
      if (packet === undefined) break;
      packets.push(packet);
    }
    return packets;
  }

  /** ms (the caller's clock) when `poll` has something to do, or undefined for nothing at all. */
  nextWakeup(now: number): number | undefined {
    if (this.closedReason !== undefined || this.idle) return undefined;
    let due = Infinity;
    if (this.ackDueAt !== undefined) due = Math.min(due, this.ackDueAt);
    if (this.control.length > 0) return now;
    for (const state of this.channels.values()) if (state.creditDirty) return now;
    if (this.hasDataToSend()) {
      if (this.inFlightBytes + this.maxPacketBytes <= this.congestionWindow) {
        const rate = this.pacingRate();
        const missing = this.maxPacketBytes - this.pacingTokens;
        due = Math.min(due, missing <= 0 ? now : now + Math.ceil(missing / rate));
      }
    }
    const oldest = this.oldestInFlight();
    if (oldest !== undefined) due = Math.min(due, oldest.sentAt + this.probeTimeout());
    return due === Infinity ? undefined : Math.max(now, due);
  }

  private assertLive(): void {
    if (this.closedReason !== undefined) throw new Error(`ChannelMux: closed (${this.closedReason})`);
  }

  private isLocal(channel: number): boolean {
    return channel % 2 === this.nextLocalId % 2;
  }

  private newChannel(id: number, state: Channel['state']): Channel {
    return {
      id,
      state,
      sendBuffer: [],
      sendBufferedBytes: 0,
      sendBase: 0,
      sendNext: 0,
      sendEnd: 0,
      retransmit: [],
      acked: [],
      peerMaxOffset: this.limits.initialWindowBytes,
      finWritten: false,
      finSent: false,
      finAcked: false,
      pausedSource: false,
      receiveNext: 0,
      pending: new Map(),
      finalOffset: undefined,
      endDelivered: false,
      consumed: 0,
      granted: this.limits.initialWindowBytes,
      creditDirty: false,
    };
  }

  /** Records a peer-opened ID; false if it was seen before (a resent OPEN whose first copy arrived). */
  private firstSightOfPeerId(channel: number): boolean {
    if (channel < this.peerIdFloor || this.peerIdsSeen.has(channel)) return false;
    this.peerIdsSeen.add(channel);
    if (this.peerIdsSeen.size > PEER_IDS_REMEMBERED) {
      const oldest = Math.min(...this.peerIdsSeen);
      this.peerIdsSeen.delete(oldest);
      this.peerIdFloor = oldest + 1;
    }
    return true;
  }

  /** The highest offset to grant: a window past consumption, within what the session budget has left. */
  private creditFor(state: Channel): number {
    let held = 0;
    for (const other of this.channels.values()) if (other !== state) held += other.granted - other.consumed;
    const room = Math.max(0, this.limits.sessionWindowBytes - held);
    return state.consumed + Math.min(this.limits.windowBytes, room);
  }

  private onFrame(frame: ChannelFrame, now: number, events: MuxEvent[]): void {
    switch (frame.type) {
      case 'ack':
        this.onAck(frame.largest, frame.ackDelayMs, frame.ranges, now, events);
        return;
      case 'message':
        events.push({ type: 'message', text: frame.text });
        return;
      case 'open': {
        if (this.isLocal(frame.channel) || !this.firstSightOfPeerId(frame.channel)) return; // a stray, or a resent copy
        if (this.channels.size >= this.limits.maxChannels) {
          this.stats.protocolViolations++;
          this.control.push({ type: 'close', channel: frame.channel, reason: `too many forwarded connections (${this.limits.maxChannels}) are open` });
          return;
        }
        this.channels.set(frame.channel, this.newChannel(frame.channel, 'opening'));
        events.push({ type: 'open', channel: frame.channel, target: frame.target });
        return;
      }
      case 'accept': {
        const state = this.channels.get(frame.channel);
        if (state === undefined || state.state !== 'opening' || !this.isLocal(frame.channel)) return;
        state.state = 'open';
        events.push({ type: 'accepted', channel: frame.channel });
        return;
      }
      case 'close':
        if (this.channels.has(frame.channel)) {
          this.channels.delete(frame.channel);
          events.push({ type: 'closed', channel: frame.channel, reason: frame.reason });
        }
        return;
      case 'credit': {
        const state = this.channels.get(frame.channel);
        if (state !== undefined && frame.maxOffset > state.peerMaxOffset) state.peerMaxOffset = frame.maxOffset;
        return;
      }
      case 'data':
        this.onData(frame.channel, frame.offset, frame.fin, frame.data, events);
        return;
    }
  }

  private onData(channel: number, offset: number, fin: boolean, data: Uint8Array, events: MuxEvent[]): void {
    const state = this.channels.get(channel);
    if (state === undefined) return; // closed meanwhile, or never ours: late frames are harmless
    const end = offset + data.length;
    if (end > state.granted || (state.finalOffset !== undefined && end > state.finalOffset) || (fin && end < state.receiveNext)) {
      this.stats.protocolViolations++;
      this.close(channel, 'the peer sent beyond the credit it was given');
      events.push({ type: 'closed', channel, reason: 'protocol violation: data beyond credit' });
      return;
    }
    if (fin) state.finalOffset = end;
    if (end > state.receiveNext && data.length > 0) {
      if (offset <= state.receiveNext) {
        this.deliver(state, data.subarray(state.receiveNext - offset), events);
        // Whatever waited for this now follows in order.
        for (;;) {
          const next = this.takePendingAt(state);
          if (next === undefined) break;
          this.deliver(state, next, events);
        }
      } else if ((state.pending.get(offset)?.length ?? -1) < data.length) {
        state.pending.set(offset, data);
      }
    }
    if (state.finalOffset !== undefined && state.receiveNext === state.finalOffset && !state.endDelivered) {
      state.endDelivered = true;
      events.push({ type: 'end', channel });
      this.maybeRetire(state, events);
    }
  }

  /** The pending piece that covers receiveNext (possibly starting before it), trimmed; pieces wholly behind are dropped. */
  private takePendingAt(state: Channel): Uint8Array | undefined {
    if (state.pending.size === 0) return undefined;
    // Pieces are usually the sender's own frames, so the next one starts exactly where delivery stands.
    const exact = state.pending.get(state.receiveNext);
    if (exact !== undefined) {
      state.pending.delete(state.receiveNext);
      return exact;
    }
    for (const [offset, bytes] of state.pending) {
      if (offset > state.receiveNext) continue;
      state.pending.delete(offset);
      if (offset + bytes.length > state.receiveNext) return bytes.subarray(state.receiveNext - offset);
    }
    return undefined;
  }

  private deliver(state: Channel, data: Uint8Array, events: MuxEvent[]): void {
    if (data.length === 0) return;
    state.receiveNext += data.length;
    this.stats.dataBytesDelivered += data.length;
    events.push({ type: 'data', channel: state.id, data });
  }

  /** A channel whose both halves are finished (ours acknowledged, theirs delivered) is forgotten quietly. */
  private maybeRetire(state: Channel, events: MuxEvent[]): void {
    if (state.finAcked && state.sendBase === state.sendEnd && state.endDelivered && this.channels.get(state.id) === state) {
      this.channels.delete(state.id);
      events.push({ type: 'closed', channel: state.id, reason: '' });
    }
  }

  private noteReceived(packetNumber: number, ackEliciting: boolean, now: number): void {
    const ranges = this.received;
    const newest = ranges[0];
    const outOfOrder = newest !== undefined && packetNumber !== newest.last + 1;
    if (newest === undefined || packetNumber > newest.last) {
      if (newest !== undefined && packetNumber === newest.last + 1) ranges[0] = { first: newest.first, last: packetNumber };
      else ranges.unshift({ first: packetNumber, last: packetNumber });
      this.largestReceivedAt = now;
    } else {
      insertIntoRanges(ranges, packetNumber);
    }
    if (ranges.length > MAX_ACK_RANGES + 1) ranges.length = MAX_ACK_RANGES + 1;
    if (!ackEliciting) return;
    this.ackElicitingUnacked++;
    // Two packets, or a gap (the sender should learn of a loss at once): acknowledge now. One alone waits a little
    // for a reply to ride on.
    const due = this.ackElicitingUnacked >= 2 || outOfOrder ? now : now + MAX_ACK_DELAY_MS;
    this.ackDueAt = Math.min(this.ackDueAt ?? Infinity, due);
  }

  private onAck(largest: number, ackDelayMs: number, ranges: readonly PacketRange[], now: number, events: MuxEvent[]): void {
    if (largest >= this.nextPacketNumber) {
      this.stats.protocolViolations++;
      return; // acknowledges a packet never sent
    }
    let newestAcked: SentPacket | undefined;
    // Both in ascending order: one walk over what is in flight (the map keeps packet-number order).
    const ascending = [...ranges].reverse();
    let r = 0;
    for (const [number, packet] of this.sent) {
      if (number > largest) break;
      while (r < ascending.length && ascending[r]!.last < number) r++;
      if (r === ascending.length) break;
      if (number < ascending[r]!.first) continue;
      this.sent.delete(number);
      this.inFlightBytes -= packet.size;
      this.rate.onAcked(packet.size);
      // The walk is in ascending order: the last packet acknowledged is the newest.
      newestAcked = packet;
      this.onFramesAcked(packet.frames, events);
    }
    if (newestAcked === undefined) return;
    this.probeCount = 0;
    this.afterProbeTimeout = false;
    if (largest > this.largestAcked) this.largestAcked = largest;
    if (newestAcked.packetNumber === largest) {
      const sample = now - newestAcked.sentAt;
      if (sample < this.minRtt || now - this.minRttAt > MIN_RTT_WINDOW_MS) {
        this.minRtt = sample;
        this.minRttAt = now;
      }
      // The peer's ack delay is not path: take it off, but never below the path's own minimum (QUIC's rule).
      const withoutDelay = sample - Math.min(ackDelayMs, MAX_ACK_DELAY_MS);
      this.rtt.sample(withoutDelay >= this.minRtt ? withoutDelay : sample);
    }
    const sendingInterval = newestAcked.sentAt - newestAcked.intervalSentAt;
    this.rate.onPacketAcked(now, newestAcked.delivered, Math.min(newestAcked.deliveredAt, now - sendingInterval), Math.max(1000, 10 * this.rtt.srtt));
    this.lastAckedSentAt = Math.max(this.lastAckedSentAt, newestAcked.sentAt);
    this.detectLosses(now);
  }

  private onFramesAcked(frames: readonly ChannelFrame[], events: MuxEvent[]): void {
    for (const frame of frames) {
      if (frame.type !== 'data') continue;
      const state = this.channels.get(frame.channel);
      if (state === undefined) continue;
      const end = frame.offset + frame.data.length;
      if (frame.data.length > 0) addRange(state.acked, frame.offset, end);
      if (frame.fin) state.finAcked = true;
      // Bytes acknowledged from the front leave the buffer (a range wholly behind it was a duplicate's).
      while (state.acked.length > 0 && state.acked[0]![0] <= state.sendBase) {
        const [, ackedEnd] = state.acked.shift()!;
        if (ackedEnd > state.sendBase) this.dropFront(state, ackedEnd - state.sendBase);
      }
      if (state.pausedSource && state.sendBufferedBytes < this.limits.sendBufferBytes / 2) {
        state.pausedSource = false;
        events.push({ type: 'writable', channel: state.id });
      }
      if (state.finAcked) this.maybeRetire(state, events);
    }
  }

  private dropFront(state: Channel, bytes: number): void {
    state.sendBase += bytes;
    state.sendBufferedBytes -= bytes;
    while (bytes > 0) {
      const head = state.sendBuffer[0]!;
      if (head.length <= bytes) {
        bytes -= head.length;
        state.sendBuffer.shift();
      } else {
        state.sendBuffer[0] = head.subarray(bytes);
        bytes = 0;
      }
    }
  }

  private detectLosses(now: number): void {
    const timeThreshold = TIME_REORDER_FACTOR * this.rtt.srtt + 1;
    for (const [number, packet] of this.sent) {
      if (number > this.largestAcked) break;
      if (number <= this.largestAcked - PACKET_REORDER_THRESHOLD || now >= packet.sentAt + timeThreshold) this.declareLost(packet);
    }
  }

  private declareLost(packet: SentPacket): void {
    this.sent.delete(packet.packetNumber);
    this.inFlightBytes -= packet.size;
    this.stats.packetsLost++;
    for (const frame of packet.frames) {
      switch (frame.type) {
        case 'data': {
          const state = this.channels.get(frame.channel);
          if (state === undefined) break;
          if (frame.data.length > 0) state.retransmit.push([frame.offset, frame.offset + frame.data.length]);
          if (frame.fin && !state.finAcked) state.finSent = false;
          break;
        }
        case 'credit': {
          const state = this.channels.get(frame.channel);
          if (state !== undefined) state.creditDirty = true;
          break;
        }
        case 'open':
        case 'accept':
          // Only while the channel still exists: a closed one's CLOSE is queued on its own.
          if (this.channels.has(frame.channel)) this.control.push(frame);
          break;
        case 'close':
        case 'message':
          this.control.push(frame);
          break;
        case 'ack':
          break;
      }
    }
  }

  /** Nothing open, queued, owed or in flight: nothing to poll for (read at every pump and step of both ends). */
  private get idle(): boolean {
    return this.channels.size === 0 && this.control.length === 0 && this.ackDueAt === undefined && this.sent.size === 0;
  }

  private probeTimeout(): number {
    const base = this.rtt.srtt + Math.max(4 * this.rtt.rttvar, 1) + MAX_ACK_DELAY_MS;
    return Math.min(base * 2 ** this.probeCount, Math.max(base, MAX_PROBE_TIMEOUT_MS));
  }

  private oldestInFlight(): SentPacket | undefined {
    for (const packet of this.sent.values()) return packet;
    return undefined;
  }

  private checkProbeTimeout(now: number): void {
    const oldest = this.oldestInFlight();
    const timeout = this.probeTimeout();
    if (oldest === undefined || now < oldest.sentAt + timeout) return;
    // Nothing came back for a whole probe timeout: what was sent that long ago is presumed lost, and only a small
    // probe goes until the peer answers (an outage must not be met with a full window every second).
    this.stats.probeTimeouts++;
    this.probeCount++;
    this.afterProbeTimeout = true;
    for (const packet of [...this.sent.values()]) {
      if (now < packet.sentAt + timeout) break;
      this.declareLost(packet);
    }
  }

  private pacingRate(): number {
    // bytes per ms.
    return Math.max(1, (PACING_GAIN * this.congestionWindow) / Math.max(1, this.rtt.srtt));
  }

  private refillPacing(now: number): void {
    const burst = PACING_BURST_PACKETS * this.maxPacketBytes;
    if (this.pacingAt !== undefined) this.pacingTokens = Math.min(burst, this.pacingTokens + (now - this.pacingAt) * this.pacingRate());
    this.pacingAt = now;
  }

  private hasDataToSend(): boolean {
    for (const state of this.channels.values()) if (this.sendableData(state)) return true;
    return false;
  }

  private sendableData(state: Channel): boolean {
    if (state.state !== 'open') return false;
    if (state.retransmit.length > 0) return true;
    if (state.sendNext < state.sendEnd && state.sendNext < state.peerMaxOffset) return true;
    return state.finWritten && !state.finSent && state.sendNext === state.sendEnd;
  }

  private buildPacket(now: number): Uint8Array | undefined {
    const frames: ChannelFrame[] = [];
    const packetNumber = this.nextPacketNumber;
    let room = this.maxPacketBytes - 8;
    let retransmittable = false;
    const ackDue = this.ackDueAt !== undefined && this.ackDueAt <= now;
    if (this.ackDueAt !== undefined && this.received.length > 0) {
      const ack: ChannelFrame = { type: 'ack', largest: this.received[0]!.last, ackDelayMs: Math.max(0, Math.round(now - this.largestReceivedAt)), ranges: this.received.slice(0, MAX_ACK_RANGES + 1) };
      const cost = encodedFrameLength(ack);
      if (cost <= room) {
        frames.push(ack);
        room -= cost;
      }
    }
    while (this.control.length > 0) {
      const cost = encodedFrameLength(this.control[0]!);
      if (cost > room) break;
      frames.push(this.control.shift()!);
      room -= cost;
      retransmittable = true;
    }
    for (const state of this.channels.values()) {
      if (!state.creditDirty) continue;
      const credit: ChannelFrame = { type: 'credit', channel: state.id, maxOffset: state.granted };
      const cost = encodedFrameLength(credit);
      if (cost > room) break;
      frames.push(credit);
      room -= cost;
      state.creditDirty = false;
      retransmittable = true;
    }
    const congestionAllows = this.inFlightBytes + this.maxPacketBytes <= this.congestionWindow && this.pacingTokens >= this.maxPacketBytes;
    if (congestionAllows) {
      const dataStart = frames.length;
      this.addDataFrames(frames, room);
      if (frames.length > dataStart) retransmittable = true;
    }
    if (!retransmittable && !ackDue) return undefined;
    const bytes = encodeChannelPacket({ packetNumber, frames }, this.writer);
    this.nextPacketNumber++;
    this.stats.packetsSent++;
    if (frames.some((frame) => frame.type === 'ack')) {
      this.ackDueAt = undefined;
      this.ackElicitingUnacked = 0;
    }
    if (retransmittable) {
      if (this.sent.size === 0) {
        this.rate.restartFromIdle(now);
        this.lastAckedSentAt = now;
      }
      this.sent.set(packetNumber, {
        packetNumber,
        sentAt: now,
        size: bytes.length,
        frames: frames.filter((frame) => frame.type !== 'ack'),
        delivered: this.rate.delivered,
        deliveredAt: this.rate.deliveredAt,
        intervalSentAt: this.sent.size === 0 ? now : this.lastAckedSentAt,
      });
      this.inFlightBytes += bytes.length;
      this.pacingTokens -= bytes.length;
    }
    return bytes;
  }

  /** Fills `room` bytes with data frames: lost ranges first, then new data, taking channels in turn. */
  private addDataFrames(frames: ChannelFrame[], room: number): void {
    const channels = [...this.channels.values()];
    if (channels.length === 0) return;
    for (let turn = 0; turn < channels.length && room > DATA_FRAME_OVERHEAD_BYTES; turn++) {
      const state = channels[(this.roundRobin + turn) % channels.length]!;
      if (!this.sendableData(state)) continue;
      while (room > DATA_FRAME_OVERHEAD_BYTES) {
        const frame = this.nextDataFrame(state, room - DATA_FRAME_OVERHEAD_BYTES);
        if (frame === undefined) break;
        frames.push(frame);
        room -= encodedFrameLength(frame);
      }
    }
    this.roundRobin = (this.roundRobin + 1) % Math.max(1, channels.length);
  }

  private nextDataFrame(state: Channel, maxData: number): ChannelFrame | undefined {
    if (state.state !== 'open' || maxData <= 0) return undefined;
    while (state.retransmit.length > 0) {
      const range = state.retransmit[0]!;
      // Parts acknowledged since (a spurious loss) need not go again.
      let start = Math.max(range[0], state.sendBase);
      for (const [ackStart, ackEnd] of state.acked) if (ackStart <= start && ackEnd > start) start = ackEnd;
      if (start >= range[1]) {
        state.retransmit.shift();
        continue;
      }
      const end = Math.min(range[1], start + maxData);
      if (end >= range[1]) state.retransmit.shift();
      else range[0] = end;
      const data = this.slice(state, start, end);
      this.stats.dataBytesRetransmitted += data.length;
      return { type: 'data', channel: state.id, offset: start, fin: state.finWritten && state.finSent && end === state.sendEnd, data };
    }
    const limit = Math.min(state.sendEnd, state.peerMaxOffset, state.sendNext + maxData);
    if (limit > state.sendNext) {
      const data = this.slice(state, state.sendNext, limit);
      const offset = state.sendNext;
      state.sendNext = limit;
      const fin = state.finWritten && limit === state.sendEnd;
      if (fin) state.finSent = true;
      this.stats.dataBytesSent += data.length;
      return { type: 'data', channel: state.id, offset, fin, data };
    }
    if (state.finWritten && !state.finSent && state.sendNext === state.sendEnd) {
      state.finSent = true;
      return { type: 'data', channel: state.id, offset: state.sendEnd, fin: true, data: new Uint8Array(0) };
    }
    return undefined;
  }

  /** Bytes [start, end) of the send buffer (start ≥ sendBase), copied into one array. */
  private slice(state: Channel, start: number, end: number): Uint8Array {
    const out = new Uint8Array(end - start);
    let position = state.sendBase;
    let written = 0;
    for (const chunk of state.sendBuffer) {
      const chunkEnd = position + chunk.length;
      if (chunkEnd > start && position < end) {
        const from = Math.max(start, position) - position;
        const to = Math.min(end, chunkEnd) - position;
        out.set(chunk.subarray(from, to), written);
        written += to - from;
      }
      position = chunkEnd;
      if (position >= end) break;
    }
    return out;
  }
}

/** Adds `packetNumber` to newest-first disjoint ranges (it is older than the newest range's end). */
function insertIntoRanges(ranges: PacketRange[], packetNumber: number): void {
  for (let i = 0; i < ranges.length; i++) {
    const range = ranges[i]!;
    if (packetNumber >= range.first && packetNumber <= range.last) return; // already there
    if (packetNumber === range.first - 1) {
      const older = ranges[i + 1];
      if (older !== undefined && older.last === packetNumber - 1) ranges.splice(i, 2, { first: older.first, last: range.last });
      else ranges[i] = { first: packetNumber, last: range.last };
      return;
    }
    if (packetNumber > range.last) {
      if (packetNumber === range.last + 1) ranges[i] = { first: range.first, last: packetNumber };
      else ranges.splice(i, 0, { first: packetNumber, last: packetNumber });
      return;
    }
  }
  ranges.push({ first: packetNumber, last: packetNumber });
}

/** Adds [start, end) to sorted disjoint ranges, merging what touches. */
function addRange(ranges: Array<[number, number]>, start: number, end: number): void {
  let i = 0;
  while (i < ranges.length && ranges[i]![1] < start) i++;
  let newStart = start;
  let newEnd = end;
  let j = i;
  while (j < ranges.length && ranges[j]![0] <= end) {
    newStart = Math.min(newStart, ranges[j]![0]);
    newEnd = Math.max(newEnd, ranges[j]![1]);
    j++;
  }
  ranges.splice(i, j - i, [newStart, newEnd]);
}

function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let cut = text;
  while (encoder.encode(cut).length > maxBytes - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
