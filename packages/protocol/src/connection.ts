import { openDatagram, sealDatagram, decodeHeader } from './aead.js';
import { bytesEqual, readU16, writeU16 } from './bytes.js';
import {
  CHANNEL_PACKET_FORMAT,
  DATAGRAM_OVERHEAD_BYTES,
  DEFAULT_IPV4_MTU,
  DEFAULT_IPV6_MTU,
  INFLATE_BURST_BYTES,
  INFLATE_BYTES_PER_SECOND,
  MAX_DATAGRAM_BYTES,
  MAX_SEQUENCE,
  MIN_MTU,
  TIMESTAMP_BYTES,
  TIMESTAMP_ECHO_MAX_HOLD_MS,
  TIMESTAMP_NONE,
  WIRE_VERSION,
} from './constants.js';
import { DecodeError } from './errors.js';
import { decodeFragment, encodeFragment, FragmentReassembler, fragmentChunkBytes, splitIntoFragments, type Fragment } from './fragment.js';
import { FragmentReuse, RepeatedInstructionWatch } from './fragment-reuse.js';
import { DatagramLossWatch, fragmentsPerTry } from './parity.js';
import { decodeInstruction, encodeInstruction, inflatedLength } from './instruction-codec.js';
import type { Direction, SessionKey } from './key.js';
import { ReplayWindow } from './replay-window.js';
import { RttEstimator, timestamp16, timestampDiff } from './rtt.js';
import { emptyConnectionStats, type ConnectionStats } from './stats.js';
import type { Instruction, OutgoingDatagram, PeerAddress, RandomSource } from './types.js';

export type ConnectionRole = 'client' | 'server';

/**
 * A skipped sequence number of the peer's counts as a lost datagram (stats.datagramsMissed) once one numbered this
 * many past it arrived without it: TCP's duplicate-ack threshold (RFC 5681), so a datagram overtaken by one or two
 * others (reordering) is not taken for loss.
 */
export const REORDER_TOLERANCE_DATAGRAMS = 3;
const REORDER_TOLERANCE = BigInt(REORDER_TOLERANCE_DATAGRAMS);
/**
 * Skipped numbers watched at most: a skip of more (a restarted peer's clock-derived numbers, an outage) is watched for
 * its first ones only, which is all the loss signal needs.
 */
const MAX_WATCHED_HOLES = 16;

/**
 * The first sequence number for a Connection started at `wallClockMs`: ms × 2^20, so a process restarted with the
 * same key starts above anything its predecessor could have sent (unless it sent a million datagrams per ms), never
 * reuses a nonce, and is accepted by the peer's forward-only replay window (docs/protocol.md §3).
 */
export function clockDerivedInitialSeq(wallClockMs: number): bigint {
  return BigInt(Math.floor(wallClockMs)) << 20n;
}

export interface ConnectionInit {
  readonly role: ConnectionRole;
  readonly key: SessionKey;
  readonly random: RandomSource;
  /**
   * First sequence number this end sends. The shell passes a clock-derived value (wall-clock ms × 2^20) so that a
   * process restarted with the same key never reuses a nonce, and the peer's replay window, which only moves
   * forward, accepts it. See docs/protocol.md §Sequence numbers.
   */
  readonly initialSeq: bigint;
  /** Client only: where to send. Changeable later through `serverAddress`. */
  readonly serverAddress?: PeerAddress;
  /** bytes of UDP payload per datagram. Default: DEFAULT_IPV4_MTU, or DEFAULT_IPV6_MTU for an IPv6 destination. */
  readonly mtu?: number;
  /** ms: a round trip the shell already measured (the SSH exchange), as the RTT estimator's starting guess. */
  readonly initialRttMs?: number;
}

/** The peer's timestamp from the newest datagram, kept to echo once in our next datagram. */
interface HeldTimestamp {
  readonly value: number;
  readonly receivedAt: number;
}

/**
 * The datagram layer (mosh's Network::Connection, pure): seals instructions into numbered, timestamped, fragmented
 * datagrams; opens, authenticates, de-duplicates and reassembles incoming ones; measures the round trip; and, as a
 * server, follows the client's address. Never throws on input: every dropped datagram moves one counter in `stats`.
 */
export class Connection {
  readonly role: ConnectionRole;
  readonly key: SessionKey;
  readonly rtt: RttEstimator;
  readonly stats: ConnectionStats = emptyConnectionStats();
  private readonly randomSource: RandomSource;
  private readonly mtu: number | undefined;
  private readonly sendDirection: Direction;
  private readonly receiveDirection: Direction;
  private readonly replayWindow = new ReplayWindow();
  /** The peer's sequence numbers skipped and not yet arrived nor counted missed (oldest first). */
  private holes: bigint[] = [];
  private readonly reassembler = new FragmentReassembler();
  /** A large instruction sent again goes under its first try's ID, with more fragments of its code (fragment-reuse.ts). */
  private readonly reuse = new FragmentReuse();
  private readonly repeats = new RepeatedInstructionWatch();
  /** The share of the peer's datagrams missing: how much parity a large instruction's tries carry (parity.ts). */
  private readonly peerLoss = new DatagramLossWatch();
  private sentAckNum: number | undefined;
  private nextSeq: bigint;
  private knownServerAddress: PeerAddress | undefined;
  private clientAddress: PeerAddress | undefined;
  private peerHeardAt: number | undefined;
  private heldTimestamp: HeldTimestamp | undefined;
  private lastAcceptedWasNewest = false;
  /** Sequence numbers skipped just before the datagram last accepted (see lastReceivedSkipped). */
  private lastSkipped = 0;
  /** Inflate budget (bytes) left, and when (caller's ms) it was last topped up. */
  private inflateTokens = INFLATE_BURST_BYTES;
  private inflateRefilledAt: number | undefined;
  /**
   * Where channel packets (forwarded streams) go: they share this connection's keys, numbering, roaming and RTT
   * with the instructions but bypass the transport. Without a sink they are dropped as bad instructions.
   */
  channelSink: ((payload: Uint8Array, now: number) => void) | undefined;

  constructor(init: ConnectionInit) {
    if (init.initialSeq < 0n || init.initialSeq > MAX_SEQUENCE) {
      throw new RangeError(`Connection: initialSeq ${init.initialSeq} must lie in 0..2^63-1 (pass wall-clock ms × 2^20)`);
    }
    if (init.mtu !== undefined && (!Number.isInteger(init.mtu) || init.mtu < MIN_MTU || init.mtu > MAX_DATAGRAM_BYTES)) {
      throw new RangeError(`Connection: mtu ${init.mtu} must be an integer in ${MIN_MTU}..${MAX_DATAGRAM_BYTES} bytes`);
    }
    if (init.role === 'server' && init.serverAddress !== undefined) {
      throw new RangeError('Connection: serverAddress is for the client role; a server learns its peer from authentic datagrams');
    }
    this.role = init.role;
    this.key = init.key;
    this.randomSource = init.random;
    this.mtu = init.mtu;
    this.nextSeq = init.initialSeq;
    this.knownServerAddress = init.serverAddress;
    this.sendDirection = init.role === 'client' ? 'to-server' : 'to-client';
    this.receiveDirection = init.role === 'client' ? 'to-client' : 'to-server';
    this.rtt = new RttEstimator(init.initialRttMs);
  }

  /** Client: the server address. Server: the source of the newest authentic datagram, undefined until one arrives. */
  get remoteAddress(): PeerAddress | undefined {
    return this.role === 'client' ? this.knownServerAddress : this.clientAddress;
  }

  get serverAddress(): PeerAddress | undefined {
    return this.knownServerAddress;
  }

  /** Client only: the shell changes it when the server's address is re-resolved. */
  set serverAddress(address: PeerAddress | undefined) {
    if (this.role !== 'client') throw new Error('Connection.serverAddress: only a client sets the address it sends to');
    this.knownServerAddress = address;
  }

  /** ms (the caller's clock): when the last authentic, fresh datagram arrived. */
  get lastHeardAt(): number | undefined {
    return this.peerHeardAt;
  }

  /** Whether the datagram `receive` last accepted had the highest sequence number seen so far. */
  get lastReceivedWasNewest(): boolean {
    return this.lastAcceptedWasNewest;
  }

  /**
   * How many of the peer's sequence numbers the datagram `receive` last accepted skipped: its datagrams sent just
   * before it that have not come (lost, or overtaken). 0 for one that was not the newest, and for a jump wider than
   * the replay window (a restarted peer's clock-derived numbers).
   */
  get lastReceivedSkipped(): number {
    return this.lastSkipped;
  }

  /**
   * The acknowledgement the instruction last sent carried: its own, or an older one when it went as the bytes of an
   * earlier try (fragment-reuse.ts), so the transport knows its acknowledgement is still to be sent.
   */
  get lastSentAckNum(): number | undefined {
    return this.sentAckNum;
  }

  /** The sequence number the next datagram will carry. */
  get nextSequence(): bigint {
    return this.nextSeq;
  }

  /** The random source, shared with the transport (chaff). */
  get random(): RandomSource {
    return this.randomSource;
  }

  /** bytes of UDP payload per datagram towards `to`. */
  mtuFor(to: PeerAddress): number {
    return this.mtu ?? (to.host.includes(':') ? DEFAULT_IPV6_MTU : DEFAULT_IPV4_MTU);
  }

  /**
   * Encodes, fragments and seals one instruction. Each datagram gets its own sequence number; the instruction ID is
   * the first datagram's. Returns [] when there is nowhere to send (a server that has not heard from a client).
   */
  send(instruction: Instruction, now: number): OutgoingDatagram[] {
    const to = this.remoteAddress;
    if (to === undefined) return [];
    return this.sendTo(instruction, to, now);
  }

  /**
   * `send`, to an address other than the peer's current one: for a last word to a peer process that was replaced
   * (the same sequence counter, so no nonce is ever reused).
   */
  sendTo(instruction: Instruction, to: PeerAddress, now: number): OutgoingDatagram[] {
    const maxChunkBytes = this.mtuFor(to) - DATAGRAM_OVERHEAD_BYTES;
    const sentBefore = this.stats.instructionsOut;
    const again = this.reuse.find(instruction, maxChunkBytes, sentBefore);
    let fragments: Fragment[];
    this.sentAckNum = again?.ackNum ?? instruction.ackNum;
    if (again !== undefined) {
      fragments = again.fragments(fragmentsPerTry(again.dataFragments, this.peerLoss.loss), this.nextSeq);
      this.stats.instructionsReused++;
    } else {
      const id = this.nextSeq;
      const encoded = encodeInstruction(instruction);
      const chunkBytes = fragmentChunkBytes(encoded.length, maxChunkBytes);
      fragments = splitIntoFragments(id, encoded, chunkBytes);
      const first = this.reuse.sent(instruction, id, fragments, maxChunkBytes, chunkBytes, sentBefore);
      if (first !== undefined) fragments = first.fragments(fragmentsPerTry(first.dataFragments, this.peerLoss.loss), id);
    }
    for (const fragment of fragments) if (fragment.parity !== undefined) this.stats.parityFragmentsOut++;
    const datagrams = this.seal(fragments, to, now);
    this.stats.instructionsOut++;
    return datagrams;
  }

  /** bytes: the largest channel packet that fits one datagram to the peer (packets are never fragmented). */
  channelPacketBytes(): number {
    const to = this.remoteAddress;
    return (to === undefined ? this.mtu ?? DEFAULT_IPV6_MTU : this.mtuFor(to)) - DATAGRAM_OVERHEAD_BYTES - 1;
  }

  /** Seals one channel packet as one datagram to the peer; undefined when there is nowhere to send yet. */
  sendChannelPacket(payload: Uint8Array, now: number): OutgoingDatagram | undefined {
    const to = this.remoteAddress;
    if (to === undefined) return undefined;
    if (payload.length + 1 > this.mtuFor(to) - DATAGRAM_OVERHEAD_BYTES) {
      throw new RangeError(`Connection.sendChannelPacket: ${payload.length} bytes do not fit one datagram to ${to.host}`);
    }
    const encoded = new Uint8Array(payload.length + 1);
    encoded[0] = CHANNEL_PACKET_FORMAT;
    encoded.set(payload, 1);
    this.stats.channelPacketsOut++;
    return this.seal(splitIntoFragments(this.nextSeq, encoded, this.mtuFor(to) - DATAGRAM_OVERHEAD_BYTES), to, now)[0];
  }

  /** Each fragment in a datagram of its own, numbered in order. */
  private seal(fragments: readonly Fragment[], to: PeerAddress, now: number): OutgoingDatagram[] {
    if (this.nextSeq + BigInt(fragments.length) - 1n > MAX_SEQUENCE) {
      // Unreachable with a clock-derived start (2^63 / 2^20 ms is year 2248), but a wrapped nonce would be fatal.
      throw new Error('Connection.send: sequence numbers exhausted; start a new session');
    }
    const datagrams: OutgoingDatagram[] = [];
    for (const fragment of fragments) {
      const fragmentBytes = encodeFragment(fragment);
      const plaintext = new Uint8Array(TIMESTAMP_BYTES + fragmentBytes.length);
      writeU16(plaintext, 0, timestamp16(now));
      writeU16(plaintext, 2, this.takeTimestampEcho(now));
      plaintext.set(fragmentBytes, TIMESTAMP_BYTES);
      const bytes = sealDatagram(this.key, this.sendDirection, this.nextSeq, plaintext);
      this.nextSeq++;
      datagrams.push({ to, bytes });
      this.stats.datagramsOut++;
      this.stats.bytesOut += bytes.length;
    }
    return datagrams;
  }

  /**
   * Opens one datagram. Returns an instruction when this datagram completed one, otherwise undefined (a fragment
   * held for later, or a drop, which `stats` counts). Never throws.
   */
  receive(bytes: Uint8Array, from: PeerAddress, now: number): Instruction | undefined {
    const stats = this.stats;
    stats.datagramsIn++;
    stats.bytesIn += bytes.length;
    if (bytes.length > MAX_DATAGRAM_BYTES) return void stats.dropOversize++;
    if (bytes.length < 1) return void stats.dropTruncated++;
    if (bytes[0] !== WIRE_VERSION) return void stats.dropUnknownVersion++;
    const header = decodeHeader(bytes);
    if (header === undefined || bytes.length < DATAGRAM_OVERHEAD_BYTES) return void stats.dropTruncated++;
    if (!bytesEqual(header.sessionId, this.key.sessionId)) return void stats.dropWrongSession++;
    if (header.direction !== this.receiveDirection) return void stats.dropWrongDirection++;
    const verdict = this.replayWindow.check(header.seq);
    if (verdict === 'replay') return void stats.dropReplay++;
    if (verdict === 'too-old') return void stats.dropTooOld++;
    const plaintext = openDatagram(this.key, header.direction, bytes);
    if (plaintext === undefined) return void stats.dropBadTag++;
    // The length check above guarantees timestamps and a fragment header; a parity fragment's own header may still
    // be cut short, or carry the final flag, which no sender makes.
    let fragment: Fragment;
    try {
      fragment = decodeFragment(plaintext.subarray(TIMESTAMP_BYTES));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      if (error.reason === 'truncated') stats.dropTruncated++;
      else stats.dropBadFragment++;
      return undefined;
    }

    // Authentic and fresh from here on.
    const highest = this.replayWindow.highest;
    const newest = highest === undefined || header.seq > highest;
    // Numbers skipped: the peer's datagrams lost on the way, or overtaken (settled in watchHoles).
    let skipped = 0;
    if (highest !== undefined && header.seq - highest < BigInt(this.replayWindow.width)) {
      for (let s = highest + 1n; s < header.seq && this.holes.length < MAX_WATCHED_HOLES; s++) this.holes.push(s);
      if (newest) skipped = Number(header.seq - highest - 1n);
    }
    this.lastSkipped = skipped;
    this.replayWindow.accept(header.seq);
    const missedBefore = stats.datagramsMissed;
    if (this.holes.length > 0) this.watchHoles();
    this.peerLoss.note(1, stats.datagramsMissed - missedBefore);
    this.lastAcceptedWasNewest = newest;
    stats.datagramsAccepted++;
    this.peerHeardAt = now;
    if (newest) {
      // Only the newest datagram may move the server's target (mosh §4): a replay is already refused above, and an
      // older authentic datagram arriving late from an old address must not pull the server back to it.
      if (this.role === 'server') this.clientAddress = { host: from.host, port: from.port };
      this.heldTimestamp = { value: readU16(plaintext, 0), receivedAt: now };
      const echoed = readU16(plaintext, 2);
      if (echoed !== TIMESTAMP_NONE) this.rtt.sample(timestampDiff(now, echoed));
    }

    const result = this.reassembler.add(fragment);
    stats.partialsEvicted = this.reassembler.evictions;
    stats.instructionsDecoded = this.reassembler.decoded;
    switch (result.kind) {
      case 'pending':
        return undefined;
      case 'ignored': {
        stats.fragmentsIgnored++;
        const repeated = this.repeats.repeated(fragment.instructionId, fragment.index, header.seq);
        if (repeated !== undefined) stats.instructionsRepeated++;
        return repeated;
      }
      case 'bad':
        stats.dropBadFragment++;
        stats.datagramsAccepted--; // counted as a drop instead, so every datagram lands in exactly one bucket
        return undefined;
      case 'complete':
        if (result.bytes[0] === CHANNEL_PACKET_FORMAT && this.channelSink !== undefined) {
          stats.channelPacketsIn++;
          this.channelSink(result.bytes.subarray(1), now);
          return undefined;
        }
        if (!this.spendInflateBudget(inflatedLength(result.bytes), now)) {
          stats.dropInflateBudget++;
          return undefined;
        }
        try {
          const instruction = decodeInstruction(result.bytes);
          stats.instructionsIn++;
          this.repeats.delivered(fragment.instructionId, fragment.index, fragment.final, header.seq, instruction);
          return instruction;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          stats.dropBadInstruction++;
          return undefined;
        }
    }
  }

  /** Takes `bytes` from the inflate budget (a token bucket refilled with the caller's clock); false if short. */
  /** Drops the holes a late datagram filled, and counts as missed those REORDER_TOLERANCE_DATAGRAMS behind. */
  private watchHoles(): void {
    const highest = this.replayWindow.highest!;
    this.holes = this.holes.filter((hole) => {
      const verdict = this.replayWindow.check(hole);
      if (verdict === 'replay') return false; // it came after all: reordered
      if (highest - hole < REORDER_TOLERANCE) return true;
      this.stats.datagramsMissed++;
      return false;
    });
  }

  private spendInflateBudget(bytes: number, now: number): boolean {
    if (bytes === 0) return true;
    // A clock that steps back refills nothing, and the next refill counts from the later time.
    const elapsedMs = Math.max(0, now - (this.inflateRefilledAt ?? now));
    this.inflateTokens = Math.min(INFLATE_BURST_BYTES, this.inflateTokens + (elapsedMs * INFLATE_BYTES_PER_SECOND) / 1000);
    this.inflateRefilledAt = Math.max(now, this.inflateRefilledAt ?? now);
    if (bytes > this.inflateTokens) return false;
    this.inflateTokens -= bytes;
    return true;
  }

  /** The peer's newest timestamp advanced by how long we held it (so a delayed reply does not inflate the RTT), once. */
  private takeTimestampEcho(now: number): number {
    const held = this.heldTimestamp;
    if (held === undefined) return TIMESTAMP_NONE;
    this.heldTimestamp = undefined;
    const holdMs = now - held.receivedAt;
    if (!(holdMs >= 0 && holdMs < TIMESTAMP_ECHO_MAX_HOLD_MS)) return TIMESTAMP_NONE;
    const value = (held.value + Math.floor(holdMs)) % 65536;
    return value === TIMESTAMP_NONE ? 0 : value;
  }
}
