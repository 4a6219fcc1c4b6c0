import { ByteReader, ByteWriter, varintLength } from './byte-codec.js';
import { MAX_PORT_NUMBER } from './types.js';

/**
 * Channel packets: the byte streams (agent and port forwarding) that share a session's Connection with the screen
 * and keystroke synchronization. A packet travels as one datagram of its own (never fragmented, so one loss costs one
 * packet), numbered by the sender, and holds frames (docs/protocol.md §11):
 *
 *   packet = packet number (varint) ‖ frame*
 *   ACK     0x01 largest ‖ ack delay ms ‖ first range length ‖ range count ‖ (gap ‖ length)*
 *   OPEN    0x02 channel ‖ kind (u8) ‖ host ‖ port ‖ origin host ‖ origin port
 *   ACCEPT  0x03 channel
 *   CLOSE   0x04 channel ‖ reason (UTF-8)
 *   DATA    0x05 channel ‖ offset ‖ fin (u8, 0 or 1) ‖ data (length-prefixed)
 *   CREDIT  0x06 channel ‖ max offset
 *   MESSAGE 0x07 text (UTF-8 JSON)
 *
 * Numbers are the project's canonical varints; strings are length-prefixed UTF-8. Every accepted packet has one
 * meaning: nothing may trail the last frame, a flag byte is 0 or 1, and every length is bounded below.
 */

export type ChannelTarget =
  /** The session's ssh-agent socket was connected to (server → client: relay to the client's agent). */
  | { readonly kind: 'agent' }
  /** -L: a connection to the client's listener; the server connects to host:port. `origin` is who connected. */
  | { readonly kind: 'direct-tcp'; readonly host: string; readonly port: number; readonly originHost: string; readonly originPort: number }
  /** -R: a connection to the listener the server holds at host:port for the client; the client connects onwards. */
  | { readonly kind: 'forwarded-tcp'; readonly host: string; readonly port: number; readonly originHost: string; readonly originPort: number };

export type ChannelFrame =
  | { readonly type: 'ack'; readonly largest: number; readonly ackDelayMs: number; readonly ranges: readonly PacketRange[] }
  | { readonly type: 'open'; readonly channel: number; readonly target: ChannelTarget }
  | { readonly type: 'accept'; readonly channel: number }
  | { readonly type: 'close'; readonly channel: number; readonly reason: string }
  | { readonly type: 'data'; readonly channel: number; readonly offset: number; readonly fin: boolean; readonly data: Uint8Array }
  | { readonly type: 'credit'; readonly channel: number; readonly maxOffset: number }
  | { readonly type: 'message'; readonly text: string };

/** Packet numbers `first..last` inclusive, all received. ACK frames list them newest first, without overlaps. */
export interface PacketRange {
  readonly first: number;
  readonly last: number;
}

export interface ChannelPacket {
  readonly packetNumber: number;
  readonly frames: readonly ChannelFrame[];
}

const FRAME_ACK = 0x01;
const FRAME_OPEN = 0x02;
const FRAME_ACCEPT = 0x03;
const FRAME_CLOSE = 0x04;
const FRAME_DATA = 0x05;
const FRAME_CREDIT = 0x06;
const FRAME_MESSAGE = 0x07;

const TARGET_AGENT = 1;
const TARGET_DIRECT_TCP = 2;
const TARGET_FORWARDED_TCP = 3;

/** bytes: a host name (DNS allows 253) or a textual address, with room to spare. */
const MAX_CHANNEL_HOST_BYTES = 255;
/** bytes of a CLOSE reason: one line for the user, not a log. */
export const MAX_CLOSE_REASON_BYTES = 300;
/** bytes of a MESSAGE: the forwarding requests and their answers, a few hundred bytes each. */
export const MAX_CHANNEL_MESSAGE_BYTES = 4096;
/** Ranges one ACK frame may list: enough for 10 % loss over a window of a thousand packets. */
export const MAX_ACK_RANGES = 64;

export function encodeChannelPacket(packet: ChannelPacket, writer: ByteWriter = new ByteWriter()): Uint8Array {
  writer.reset();
  writer.varint(packet.packetNumber);
  for (const frame of packet.frames) writeFrame(writer, frame);
  return writer.finish();
}

/** Bytes `frame` takes in a packet: the sender's budget for filling one datagram. */
export function encodedFrameLength(frame: ChannelFrame): number {
  // A DATA frame is measured, not written: the sender sizes every one it sends, and writing would copy its bytes.
  if (frame.type === 'data') {
    return 1 + varintLength(frame.channel) + varintLength(frame.offset) + 1 + varintLength(frame.data.length) + frame.data.length;
  }
  const writer = new ByteWriter();
  writeFrame(writer, frame);
  return writer.length;
}

/** The bytes a DATA frame costs beyond its data, at most (channel, offset and length as large as they get). */
export const DATA_FRAME_OVERHEAD_BYTES = 1 + 8 + 8 + 1 + 4;

function writeFrame(writer: ByteWriter, frame: ChannelFrame): void {
  switch (frame.type) {
    case 'ack': {
      if (frame.ranges.length === 0 || frame.ranges.length > MAX_ACK_RANGES + 1) {
        throw new RangeError(`ACK frame: ${frame.ranges.length} ranges; it needs 1..${MAX_ACK_RANGES + 1}`);
      }
      const [first, ...rest] = frame.ranges;
      if (first!.last !== frame.largest || first!.first > first!.last) throw new RangeError('ACK frame: its first range must end at the largest packet number');
      writer.u8(FRAME_ACK);
      writer.varint(frame.largest);
      writer.varint(frame.ackDelayMs);
      writer.varint(first!.last - first!.first);
      writer.varint(rest.length);
      let previousFirst = first!.first;
      for (const range of rest) {
        // gap: packets missing between this range and the newer one, minus one (a gap is never empty).
        if (range.last + 2 > previousFirst || range.first > range.last) throw new RangeError('ACK frame: ranges must be newest first and separated by a gap');
        writer.varint(previousFirst - range.last - 2);
        writer.varint(range.last - range.first);
        previousFirst = range.first;
      }
      return;
    }
    case 'open': {
      writer.u8(FRAME_OPEN);
      writer.varint(frame.channel);
      const target = frame.target;
      if (target.kind === 'agent') {
        writer.u8(TARGET_AGENT);
        writer.string('');
        writer.varint(0);
        writer.string('');
        writer.varint(0);
      } else {
        writer.u8(target.kind === 'direct-tcp' ? TARGET_DIRECT_TCP : TARGET_FORWARDED_TCP);
        writer.string(target.host);
        writer.varint(target.port);
        writer.string(target.originHost);
        writer.varint(target.originPort);
      }
      return;
    }
    case 'accept':
      writer.u8(FRAME_ACCEPT);
      writer.varint(frame.channel);
      return;
    case 'close':
      writer.u8(FRAME_CLOSE);
      writer.varint(frame.channel);
      writer.string(frame.reason);
      return;
    case 'data':
      writer.u8(FRAME_DATA);
      writer.varint(frame.channel);
      writer.varint(frame.offset);
      writer.u8(frame.fin ? 1 : 0);
      writer.lengthPrefixed(frame.data);
      return;
    case 'credit':
      writer.u8(FRAME_CREDIT);
      writer.varint(frame.channel);
      writer.varint(frame.maxOffset);
      return;
    case 'message':
      writer.u8(FRAME_MESSAGE);
      writer.string(frame.text);
      return;
  }
}

/** Parses a packet. Throws RangeError, naming the field and offset, on anything malformed. */
export function decodeChannelPacket(bytes: Uint8Array): ChannelPacket {
  const reader = new ByteReader(bytes, 'channel packet');
  const packetNumber = reader.varint('packet number');
  const frames: ChannelFrame[] = [];
  while (!reader.atEnd) frames.push(readFrame(reader));
  return { packetNumber, frames };
}

function readFrame(reader: ByteReader): ChannelFrame {
  const type = reader.u8('frame type');
  switch (type) {
    case FRAME_ACK: {
      const largest = reader.varint('ACK largest');
      const ackDelayMs = reader.varint('ACK delay');
      const firstLength = reader.varint('ACK first range', largest);
      const count = reader.varint('ACK range count', MAX_ACK_RANGES);
      const ranges: PacketRange[] = [{ first: largest - firstLength, last: largest }];
      let previousFirst = largest - firstLength;
      for (let i = 0; i < count; i++) {
        const gap = reader.varint('ACK gap');
        if (gap + 2 > previousFirst) reader.fail('ACK gap reaches below packet 0');
        const last = previousFirst - gap - 2;
        const length = reader.varint('ACK range length', last);
        ranges.push({ first: last - length, last });
        previousFirst = last - length;
      }
      return { type: 'ack', largest, ackDelayMs, ranges };
    }
    case FRAME_OPEN: {
      const channel = reader.varint('OPEN channel');
      const kind = reader.u8('OPEN kind');
      const host = boundedString(reader, 'OPEN host', MAX_CHANNEL_HOST_BYTES);
      const port = reader.varint('OPEN port', MAX_PORT_NUMBER);
      const originHost = boundedString(reader, 'OPEN origin host', MAX_CHANNEL_HOST_BYTES);
      const originPort = reader.varint('OPEN origin port', MAX_PORT_NUMBER);
      switch (kind) {
        case TARGET_AGENT:
          if (host !== '' || port !== 0 || originHost !== '' || originPort !== 0) reader.fail('an agent OPEN carries no address');
          return { type: 'open', channel, target: { kind: 'agent' } };
        case TARGET_DIRECT_TCP:
          return { type: 'open', channel, target: { kind: 'direct-tcp', host, port, originHost, originPort } };
        case TARGET_FORWARDED_TCP:
          return { type: 'open', channel, target: { kind: 'forwarded-tcp', host, port, originHost, originPort } };
        default:
          return reader.fail(`OPEN kind ${kind} is unknown`);
      }
    }
    case FRAME_ACCEPT:
      return { type: 'accept', channel: reader.varint('ACCEPT channel') };
    case FRAME_CLOSE:
      return { type: 'close', channel: reader.varint('CLOSE channel'), reason: boundedString(reader, 'CLOSE reason', MAX_CLOSE_REASON_BYTES) };
    case FRAME_DATA: {
      const channel = reader.varint('DATA channel');
      const offset = reader.varint('DATA offset');
      const finByte = reader.u8('DATA fin');
      if (finByte > 1) reader.fail(`DATA fin is ${finByte}, not 0 or 1`);
      const length = reader.varint('DATA length');
      // Copied: the packet's buffer is not ours to keep.
      const data = reader.take(length, 'DATA bytes').slice();
      return { type: 'data', channel, offset, fin: finByte === 1, data };
    }
    case FRAME_CREDIT:
      return { type: 'credit', channel: reader.varint('CREDIT channel'), maxOffset: reader.varint('CREDIT max offset') };
    case FRAME_MESSAGE:
      return { type: 'message', text: boundedString(reader, 'MESSAGE', MAX_CHANNEL_MESSAGE_BYTES) };
    default:
      return reader.fail(`frame type 0x${type.toString(16)} is unknown`);
  }
}

function boundedString(reader: ByteReader, field: string, maxBytes: number): string {
  return reader.utf8(reader.varint(`${field} length`, maxBytes), field);
}
