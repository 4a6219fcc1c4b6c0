import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, varintLength } from './byte-codec.js';
import { decodeVarint, encodeVarint } from './bytes.js';

const safe = fc.oneof(fc.nat(0x7f), fc.nat(0x3fff), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));

describe('byte codec', () => {
  it('round-trips varints, strings and raw bytes in sequence, and the varint is the protocol one byte for byte', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(safe, fc.string({ unit: 'grapheme' }), fc.uint8Array({ maxLength: 20 }))), (items) => {
        const out = new ByteWriter();
        for (const [n, text, raw] of items) {
          out.varint(n);
          out.string(text);
          out.lengthPrefixed(raw);
        }
        const bytes = out.finish();
        const reader = new ByteReader(bytes, 'test');
        for (const [n, text, raw] of items) {
          expect(reader.varint('n')).toBe(n);
          expect(reader.string('text')).toBe(text);
          expect(reader.take(reader.varint('raw length'), 'raw')).toEqual(raw);
        }
        reader.expectEnd();
      }),
    );
    fc.assert(
      fc.property(safe, (n) => {
        const w = new ByteWriter();
        w.varint(n);
        const list: number[] = [];
        encodeVarint(n, list);
        expect(w.finish()).toEqual(Uint8Array.from(list));
        expect(decodeVarint(Uint8Array.from([0xff, ...list]), 1)).toEqual({ value: n, next: list.length + 1 });
      }),
    );
  });

  it('writes a string as its UTF-8 bytes behind their length, whether ASCII or not', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme-ascii' }), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' })), (text) => {
        const w = new ByteWriter();
        w.string(text);
        const utf8 = new TextEncoder().encode(text);
        const length: number[] = [];
        encodeVarint(utf8.length, length);
        expect(w.finish()).toEqual(Uint8Array.from([...length, ...utf8]));
      }),
    );
  });

  it('refuses every overlong encoding of a value, as decodeVarint does', () => {
    fc.assert(
      fc.property(safe, fc.integer({ min: 1, max: 3 }), (n, extra) => {
        const canonical: number[] = [];
        encodeVarint(n, canonical);
        // The same value with `extra` zero groups appended: continuation bit on the old last byte, then 0x80.. 0x00.
        const overlong = [...canonical];
        overlong[overlong.length - 1]! |= 0x80;
        for (let i = 1; i < extra; i++) overlong.push(0x80);
        overlong.push(0x00);
        fc.pre(overlong.length <= 8);
        const bytes = Uint8Array.from(overlong);
        expect(decodeVarint(bytes, 0)).toBeUndefined();
        expect(() => new ByteReader(bytes, 'test').varint('n')).toThrow(/n is an overlong varint/);
      }),
    );
  });

  it('writes LEB128, low group first', () => {
    const bytes = (n: number): number[] => {
      const w = new ByteWriter();
      w.varint(n);
      return [...w.finish()];
    };
    expect(bytes(0)).toEqual([0]);
    expect(bytes(127)).toEqual([0x7f]);
    expect(bytes(128)).toEqual([0x80, 0x01]);
    expect(bytes(300)).toEqual([0xac, 0x02]);
    expect(bytes(Number.MAX_SAFE_INTEGER)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f]);
  });

  it('refuses truncation, more than 8 bytes, values above the limit and above the largest safe integer, naming the field', () => {
    expect(() => new ByteReader(Uint8Array.of(0x80), 'test').varint('n')).toThrow('test: truncated before n (at byte 1 of 1)');
    expect(() => new ByteReader(new Uint8Array(9).fill(0x81), 'test').varint('n')).toThrow(/longer than 8 bytes/);
    expect(() => new ByteReader(Uint8Array.of(0xe9, 0x07), 'test').varint('cols', 1000)).toThrow(/cols is 1001, more than the maximum 1000/);
    expect(() => new ByteReader(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 'test').varint('n')).toThrow(/above the largest safe integer/);
    expect(() => new ByteWriter().varint(-1)).toThrow(RangeError);
    expect(() => new ByteReader(Uint8Array.of(1, 0xff), 'test').string('s')).toThrow(/s is not valid UTF-8/);
  });
});

describe('varintLength', () => {
  it('is the number of bytes the writer writes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ min: 0, max: 1 << 20 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), (value) => {
        const writer = new ByteWriter();
        writer.varint(value);
        expect(varintLength(value)).toBe(writer.length);
      }),
    );
  });
});
