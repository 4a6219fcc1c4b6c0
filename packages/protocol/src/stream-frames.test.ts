import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_DATAGRAM_BYTES } from './constants.js';
import { StreamFrameReader, encodeStreamFrame } from './stream-frames.js';

const datagram = fc.uint8Array({ minLength: 1, maxLength: MAX_DATAGRAM_BYTES });

/** Splits `bytes` at the given cut points (taken modulo its length). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((cut) => (bytes.length === 0 ? 0 : cut % bytes.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(start, point));
    start = point;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

describe('stream frames', () => {
  it('gives back every datagram, in order, however the stream is chunked', () => {
    fc.assert(
      fc.property(fc.array(datagram, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 20 }), (datagrams, cuts) => {
        const frames = datagrams.map(encodeStreamFrame);
        const stream = new Uint8Array(frames.reduce((total, frame) => total + frame.length, 0));
        let offset = 0;
        for (const frame of frames) {
          stream.set(frame, offset);
          offset += frame.length;
        }
        const reader = new StreamFrameReader();
        const out: Uint8Array[] = [];
        for (const piece of chunk(stream, cuts)) {
          const result = reader.push(piece);
          expect(result).not.toBe('bad-length');
          out.push(...(result as Uint8Array[]));
        }
        expect(out).toEqual(datagrams);
      }),
    );
  });

  it('stops for good at an impossible length (zero or over the datagram limit)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constant(0), fc.integer({ min: MAX_DATAGRAM_BYTES + 1, max: 0xffff })), (length) => {
        const reader = new StreamFrameReader();
        expect(reader.push(Uint8Array.of(length >>> 8, length & 0xff, 1, 2, 3))).toBe('bad-length');
        expect(reader.push(encodeStreamFrame(Uint8Array.of(1)))).toBe('bad-length');
      }),
    );
  });

  it('refuses to frame an empty or oversized datagram', () => {
    expect(() => encodeStreamFrame(new Uint8Array(0))).toThrow(RangeError);
    expect(() => encodeStreamFrame(new Uint8Array(MAX_DATAGRAM_BYTES + 1))).toThrow(RangeError);
  });
});
