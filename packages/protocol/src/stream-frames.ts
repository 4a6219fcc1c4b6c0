/**
 * Datagrams over a byte stream (the TCP carrier used when UDP is blocked): each sealed datagram, unchanged, behind a
 * 2-byte big-endian length. The stream adds no meaning of its own: keys, replay protection and ordering stay the
 * datagram layer's, so a datagram read from TCP is handled exactly as one read from UDP. A length of zero or above
 * MAX_DATAGRAM_BYTES cannot come from a peer speaking this protocol, so the reader stops there and the stream is
 * closed (resynchronizing inside a corrupt stream is not possible).
 */
import { MAX_DATAGRAM_BYTES } from './constants.js';

/** Bytes of the length prefix. */
export const STREAM_FRAME_HEADER_BYTES = 2;

/** The datagram behind its length prefix. */
export function encodeStreamFrame(datagram: Uint8Array): Uint8Array {
  if (datagram.length === 0 || datagram.length > MAX_DATAGRAM_BYTES) {
    throw new RangeError(`stream frame: a datagram of ${datagram.length} bytes is outside 1..${MAX_DATAGRAM_BYTES}`);
  }
  const frame = new Uint8Array(STREAM_FRAME_HEADER_BYTES + datagram.length);
  frame[0] = datagram.length >>> 8;
  frame[1] = datagram.length & 0xff;
  frame.set(datagram, STREAM_FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Cuts a byte stream back into datagrams, whatever the chunking. At most one partial frame (MAX_DATAGRAM_BYTES + 2)
 * is held between chunks.
 */
export class StreamFrameReader {
  private pending = new Uint8Array(0);
  private broken = false;

  /** The whole datagrams completed by `chunk`; 'bad-length' once the stream carries an impossible length. */
  push(chunk: Uint8Array): Uint8Array[] | 'bad-length' {
    if (this.broken) return 'bad-length';
    let buffer = chunk;
    if (this.pending.length > 0) {
      buffer = new Uint8Array(this.pending.length + chunk.length);
      buffer.set(this.pending, 0);
      buffer.set(chunk, this.pending.length);
    }
    const datagrams: Uint8Array[] = [];
    let offset = 0;
    while (buffer.length - offset >= STREAM_FRAME_HEADER_BYTES) {
      const length = (buffer[offset]! << 8) | buffer[offset + 1]!;
      if (length === 0 || length > MAX_DATAGRAM_BYTES) {
        this.broken = true;
        this.pending = new Uint8Array(0);
        return 'bad-length';
      }
      if (buffer.length - offset - STREAM_FRAME_HEADER_BYTES < length) break;
      const start = offset + STREAM_FRAME_HEADER_BYTES;
      datagrams.push(buffer.slice(start, start + length));
      offset = start + length;
    }
    this.pending = buffer.slice(offset);
    return datagrams;
  }
}
