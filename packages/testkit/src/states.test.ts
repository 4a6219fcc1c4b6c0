import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BlobState, ByteLogState, CounterState, decodeVarint, encodeVarint } from './states.js';
import { syncStateConformance } from './conformance.js';

const bytes = fc.uint8Array({ minLength: 1, maxLength: 40 });
const byteLog = fc.array(bytes, { maxLength: 6 }).map((chunks) => chunks.reduce((log, chunk) => log.append(chunk), ByteLogState.empty()));
const grown = (log: ByteLogState) => fc.array(bytes, { maxLength: 4 }).map((chunks) => chunks.reduce((l, chunk) => l.append(chunk), log));

syncStateConformance('ByteLogState', { state: byteLog, next: grown });
syncStateConformance('CounterState', { state: fc.nat().map((n) => new CounterState(n)) });

describe('varint', () => {
  it('round-trips every safe integer and rejects overlong and truncated input', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(decodeVarint(encodeVarint(n), 0)).toEqual([n, encodeVarint(n).length]);
      }),
    );
    expect(() => decodeVarint(Uint8Array.of(0x80, 0x00), 0)).toThrow(RangeError);
    expect(() => decodeVarint(Uint8Array.of(0x80), 0)).toThrow(RangeError);
  });
});

describe('ByteLogState', () => {
  it('refuses a diff made for a different base', () => {
    const a = ByteLogState.empty().append(Uint8Array.of(1, 2));
    const b = a.append(Uint8Array.of(3));
    const c = b.append(Uint8Array.of(4));
    expect(() => a.applyDiff(c.diffFrom(b))).toThrow(RangeError);
  });

  it('subtract drops the acknowledged prefix but keeps positions', () => {
    const acked = ByteLogState.empty().append(Uint8Array.of(1, 2, 3));
    const later = acked.append(Uint8Array.of(4, 5));
    const reduced = later.subtract(acked);
    expect(reduced.start).toBe(3);
    expect([...reduced.held]).toEqual([4, 5]);
    expect(reduced.equals(later)).toBe(true);
  });
});

syncStateConformance('BlobState', { state: fc.uint8Array({ maxLength: 64 }).map((bytes) => new BlobState(bytes)) });
