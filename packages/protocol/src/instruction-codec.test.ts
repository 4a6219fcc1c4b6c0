import { deflateSync, inflateSync } from 'fflate';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeVarint, encodeVarint } from './bytes.js';
import { INSTRUCTION_FORMAT_VERSION, MAX_INSTRUCTION_BYTES, SHUTDOWN_STATE_NUM } from './constants.js';
import { DecodeError } from './errors.js';
import { MIN_COMPRESSIBLE_BODY_BYTES, decodeInstruction, encodeInstruction } from './instruction-codec.js';
import type { Instruction } from './types.js';

const stateNumber = fc.oneof(fc.nat({ max: 1000 }), fc.maxSafeNat(), fc.constant(SHUTDOWN_STATE_NUM));
export const arbitraryInstruction: fc.Arbitrary<Instruction> = fc.record({
  oldNum: stateNumber,
  newNum: stateNumber,
  ackNum: stateNumber,
  throwawayNum: stateNumber,
  diff: fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 2000 }).map((s) => new TextEncoder().encode(s.repeat(3)))),
  chaff: fc.uint8Array({ maxLength: 16 }),
});

function decodeError(bytes: Uint8Array): DecodeError | undefined {
  try {
    decodeInstruction(bytes);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return error as DecodeError;
  }
}

describe('varints', () => {
  it('round-trip every safe integer and refuse overlong, truncated and too-large forms', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        const out: number[] = [];
        encodeVarint(value, out);
        expect(decodeVarint(Uint8Array.from(out), 0)).toEqual({ value, next: out.length });
        expect(decodeVarint(Uint8Array.from(out.slice(0, -1)), 0)).toBeUndefined();
      }),
    );
    expect(decodeVarint(Uint8Array.of(0x80, 0x00), 0)).toBeUndefined(); // overlong zero
    expect(decodeVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 0)).toBeUndefined(); // 2^56 - 1
  });
});

describe('instruction codec', () => {
  it('round-trips any instruction, including the shutdown number', () => {
    fc.assert(
      fc.property(arbitraryInstruction, (instruction) => {
        const bytes = encodeInstruction(instruction);
        expect(bytes[0]).toBe(INSTRUCTION_FORMAT_VERSION);
        expect(decodeInstruction(bytes)).toEqual(instruction);
      }),
    );
  });

  it('lays the body out as docs/protocol.md says: the four numbers, the diff and the chaff, each length a varint before it', () => {
    fc.assert(
      fc.property(arbitraryInstruction, (instruction) => {
        const layout: number[] = [];
        for (const value of [instruction.oldNum, instruction.newNum, instruction.ackNum, instruction.throwawayNum, instruction.diff.length]) encodeVarint(value, layout);
        layout.push(...instruction.diff);
        encodeVarint(instruction.chaff.length, layout);
        layout.push(...instruction.chaff);
        const bytes = encodeInstruction(instruction);
        if (bytes[1] === 0) {
          expect(Buffer.from(bytes.subarray(2)).equals(Buffer.from(layout))).toBe(true);
        } else {
          const declared: number[] = [];
          encodeVarint(layout.length, declared);
          expect(Array.from(bytes.subarray(2, 2 + declared.length))).toEqual(declared);
          expect(Buffer.from(inflateSync(bytes.subarray(2 + declared.length))).equals(Buffer.from(layout))).toBe(true);
          expect(bytes.length).toBeLessThan(2 + layout.length);
        }
        expect(bytes[1] === 1).toBe(layout.length >= MIN_COMPRESSIBLE_BODY_BYTES && bytes.length < 2 + layout.length);
      }),
      { numRuns: 200 },
    );
  });

  it('compresses repetitive diffs and leaves small or random ones raw (the flag says which)', () => {
    const screen = new TextEncoder().encode('hello world '.repeat(200));
    const big = encodeInstruction({ oldNum: 1, newNum: 2, ackNum: 0, throwawayNum: 1, diff: screen, chaff: new Uint8Array() });
    expect(big[1]).toBe(1);
    expect(big.length).toBeLessThan(screen.length / 10);
    const keystroke = encodeInstruction({ oldNum: 5, newNum: 6, ackNum: 3, throwawayNum: 5, diff: Uint8Array.of(0x61), chaff: new Uint8Array() });
    expect(keystroke[1]).toBe(0);
    // An Enter's frame stays raw however well it would compress (no DEFLATE on that path); from
    // MIN_COMPRESSIBLE_BODY_BYTES of body on it compresses. The body is the diff plus 7 bytes: four one-byte numbers,
    // a two-byte diff length, a one-byte chaff length.
    const frame = (bodyBytes: number) => encodeInstruction({ oldNum: 1, newNum: 2, ackNum: 0, throwawayNum: 1, diff: new Uint8Array(bodyBytes - 7).fill(0x20), chaff: new Uint8Array() });
    expect(frame(MIN_COMPRESSIBLE_BODY_BYTES - 1)[1]).toBe(0);
    expect(frame(MIN_COMPRESSIBLE_BODY_BYTES)[1]).toBe(1);
    expect(keystroke).toHaveLength(2 + 4 + 1 + 1 + 1);
    const noise = Uint8Array.from({ length: 500 }, (_, i) => (i * 2654435761) >>> 24);
    const raw = encodeInstruction({ oldNum: 0, newNum: 1, ackNum: 0, throwawayNum: 0, diff: noise, chaff: new Uint8Array() });
    expect(raw.length).toBeLessThanOrEqual(2 + 505 + 1);
  });

  it('refuses to encode what no receiver would accept', () => {
    expect(() => encodeInstruction({ oldNum: -1, newNum: 0, ackNum: 0, throwawayNum: 0, diff: new Uint8Array(), chaff: new Uint8Array() })).toThrow(/oldNum = -1/);
    expect(() =>
      encodeInstruction({ oldNum: 0, newNum: 0, ackNum: 0, throwawayNum: 0, diff: new Uint8Array(MAX_INSTRUCTION_BYTES), chaff: new Uint8Array() }),
    ).toThrow(/exceeds the 4194304-byte limit/);
  });

  it('random bytes never decode into anything but a DecodeError or a valid instruction', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          const instruction = decodeInstruction(bytes);
          expect(decodeInstruction(encodeInstruction(instruction))).toEqual(instruction);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
          expect((error as DecodeError).reason).toBe('badInstruction');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('every truncation and every single-bit flip of an encoding is refused or decodes consistently', () => {
    const instruction: Instruction = { oldNum: 300, newNum: 301, ackNum: 77, throwawayNum: 300, diff: new TextEncoder().encode('abc'.repeat(60)), chaff: Uint8Array.of(9, 9) };
    const bytes = encodeInstruction(instruction);
    for (let length = 0; length < bytes.length; length++) expect(decodeError(bytes.subarray(0, length))).toBeDefined();
    expect(bytes[1]).toBe(1); // deflated: fflate reports no stream end, so bytes after it are ignored (protocol.md)
    expect(decodeInstruction(Uint8Array.from([...bytes, 0]))).toEqual(instruction);
    const raw = encodeInstruction({ ...instruction, diff: Uint8Array.of(1, 2, 3) });
    expect(raw[1]).toBe(0);
    expect(decodeError(Uint8Array.from([...raw, 0]))?.message).toMatch(/chaff length 2 does not match the 3 bytes left/);
    for (let bit = 0; bit < bytes.length * 8; bit++) {
      const flipped = bytes.slice();
      flipped[bit >> 3]! ^= 1 << (bit & 7);
      decodeError(flipped); // either refused, or (a flip inside DEFLATE literals) another valid instruction: never a crash
    }
  });

  it('refuses unknown format versions and flags', () => {
    const bytes = encodeInstruction({ oldNum: 0, newNum: 1, ackNum: 0, throwawayNum: 0, diff: new Uint8Array(), chaff: new Uint8Array() });
    expect(decodeError(Uint8Array.from([2, ...bytes.subarray(1)]))?.message).toMatch(/format version 2/);
    expect(decodeError(Uint8Array.from([1, 0x02, ...bytes.subarray(2)]))?.message).toMatch(/unknown flags/);
  });

  it('caps inflation: a deflate bomb is refused without inflating past the declared length', () => {
    const bomb = deflateSync(new Uint8Array(64 * 1024 * 1024));
    const lie: number[] = [];
    encodeVarint(1000, lie);
    expect(decodeError(Uint8Array.from([1, 1, ...lie, ...bomb]))?.message).toMatch(/inflated to more bytes, declared 1000/);
    const tooBig: number[] = [];
    encodeVarint(MAX_INSTRUCTION_BYTES + 1, tooBig);
    expect(decodeError(Uint8Array.from([1, 1, ...tooBig, ...bomb]))?.message).toMatch(/exceeds 4194304/);
    const short: number[] = [];
    encodeVarint(100, short);
    expect(decodeError(Uint8Array.from([1, 1, ...short, ...deflateSync(new Uint8Array(10))]))?.message).toMatch(/inflated to 10 bytes, declared 100/);
    expect(decodeError(Uint8Array.from([1, 1, ...short, 0xff, 0xff, 0xff]))?.message).toMatch(/corrupt|inflated/);
  });
});
