import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunksForDelivery, decodeChunks, MAX_CODE_FRAGMENTS, parityChunk } from './fec.js';

/** k data chunks of `chunkBytes` (the last `lastBytes`) from a seed's bytes. */
const codeInput = fc
  .record({ k: fc.integer({ min: 1, max: 40 }), chunkBytes: fc.integer({ min: 1, max: 64 }), seed: fc.integer({ min: 0, max: 255 }) })
  .chain(({ k, chunkBytes, seed }) =>
    fc.record({
      data: fc.constant(Array.from({ length: k }, (_, j) => Uint8Array.from({ length: j === k - 1 ? 1 + ((seed + j) % chunkBytes) : chunkBytes }, (_, b) => (seed * 31 + j * 7 + b * 13) & 0xff))),
      chunkBytes: fc.constant(chunkBytes),
      // Which indices of the code arrive: a shuffled pick of k of them (data and parity alike).
      picks: fc.shuffledSubarray(Array.from({ length: Math.min(MAX_CODE_FRAGMENTS, 2 * k + 3) }, (_, i) => i), { minLength: k, maxLength: k }),
    }),
  );

function padded(chunk: Uint8Array, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  out.set(chunk);
  return out;
}

describe('the erasure code over an instruction’s fragments', () => {
  it('gives back the data from any k distinct chunks of the code, data and parity alike (property)', () => {
    fc.assert(
      fc.property(codeInput, ({ data, chunkBytes, picks }) => {
        const k = data.length;
        const held = new Map<number, Uint8Array>();
        for (const index of picks) held.set(index, index < k ? data[index]! : parityChunk(data, chunkBytes, index));
        const decoded = decodeChunks(k, chunkBytes, held);
        expect(decoded).toEqual(data.map((chunk) => padded(chunk, chunkBytes)));
      }),
      { numRuns: 200 },
    );
  });

  it('decodes a full-size code: 57 data chunks of 1199 bytes from 57 parity chunks, the highest indices', () => {
    const k = 57;
    const data = Array.from({ length: k }, (_, j) => Uint8Array.from({ length: 1199 }, (_, b) => (j * 131 + b * 17 + (b >> 3)) & 0xff));
    const held = new Map<number, Uint8Array>();
    for (let index = MAX_CODE_FRAGMENTS - k; index < MAX_CODE_FRAGMENTS; index++) held.set(index, parityChunk(data, 1199, index));
    expect(decodeChunks(k, 1199, held)).toEqual(data);
  });

  it('refuses too few chunks and indices or lengths outside the code', () => {
    const data = [Uint8Array.of(1, 2), Uint8Array.of(3)];
    expect(() => decodeChunks(2, 2, new Map([[0, data[0]!]]))).toThrow(/1 of 2 chunks held/);
    expect(() => parityChunk(data, 2, 1)).toThrow(/parity index 1 outside 2\.\.255/);
    expect(() => parityChunk(data, 2, 256)).toThrow(/outside/);
    expect(() => parityChunk(data, 1, 2)).toThrow(/more than 1/);
    expect(() => decodeChunks(256, 2, new Map())).toThrow(/1\.\.255/);
  });
});

describe('chunksForDelivery', () => {
  it('is k without loss, grows with the loss, and stops at the cap', () => {
    expect(chunksForDelivery(57, 0, 0.95, 114)).toBe(57);
    const at10 = chunksForDelivery(57, 0.1, 0.95, 114);
    const at20 = chunksForDelivery(57, 0.2, 0.95, 114);
    expect(at10).toBeGreaterThan(57);
    expect(at20).toBeGreaterThan(at10);
    expect(chunksForDelivery(57, 0.9, 0.95, 114)).toBe(114);
    expect(chunksForDelivery(57, 1, 0.95, 114)).toBe(114);
  });

  it('meets the target at the loss it was sized for, and one fewer does not (property)', () => {
    // A direct check of the binomial tail, by summing P(exactly i arrive) for i ≥ k with exact-ish products.
    const atLeast = (k: number, n: number, q: number): number => {
      let total = 0;
      for (let i = k; i <= n; i++) {
        let lnC = 0;
        for (let j = 0; j < i; j++) lnC += Math.log(n - j) - Math.log(j + 1);
        total += Math.exp(lnC + i * Math.log(q) + (n - i) * Math.log(1 - q));
      }
      return total;
    };
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 120 }), fc.double({ min: 0.01, max: 0.4, noNaN: true }), (k, loss) => {
        const n = chunksForDelivery(k, loss, 0.95, 256);
        if (n >= 256) return;
        expect(atLeast(k, n, 1 - loss)).toBeGreaterThanOrEqual(0.95 - 1e-9);
        if (n > k) expect(atLeast(k, n - 1, 1 - loss)).toBeLessThan(0.95 + 1e-9);
      }),
      { numRuns: 100 },
    );
  });
});
