import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { RANDOM_POOL_BLOCK_BYTES, RandomPool } from './random-pool.js';

/** A fill that writes a running count, so every byte drawn says where in the stream of fills it came from. */
function countingFill(): { fill: (into: Uint8Array) => void; calls: number[]; stream: () => number } {
  let counter = 0;
  const calls: number[] = [];
  return {
    fill: (into) => {
      calls.push(into.length);
      for (let i = 0; i < into.length; i++) into[i] = counter++ & 0xff;
    },
    calls,
    stream: () => counter,
  };
}

describe('RandomPool', () => {
  it('hands every drawn byte out once, in order, refilling a whole block only when the next take does not fit', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(fc.integer({ min: 0, max: 80 }), { maxLength: 60 }), (block, lengths) => {
        const source = countingFill();
        const pool = new RandomPool(source.fill, block);
        // What a take of `length` must return: the next unused bytes of the current block, or of a fresh block (the
        // rest of the old one is skipped, never handed out), or its own fill when longer than a block.
        let expectedCounter = 0;
        let blockStart = 0;
        let used = block;
        for (const length of lengths) {
          const out = pool.take(length);
          expect(out.length).toBe(length);
          let first: number;
          if (length > block) {
            first = expectedCounter;
            expectedCounter += length;
          } else {
            if (used + length > block) {
              blockStart = expectedCounter;
              expectedCounter += block;
              used = 0;
            }
            first = blockStart + used;
            used += length;
          }
          for (let i = 0; i < length; i++) expect(out[i]).toBe((first + i) & 0xff);
        }
        expect(source.stream()).toBe(expectedCounter);
      }),
    );
  });

  it('draws from the system a block at a time: 17-byte chaff takes one fill per 240 datagrams', () => {
    const source = countingFill();
    const pool = new RandomPool(source.fill);
    for (let i = 0; i < 240; i++) pool.take(17);
    expect(source.calls).toEqual([RANDOM_POOL_BLOCK_BYTES]);
    pool.take(17);
    expect(source.calls).toEqual([RANDOM_POOL_BLOCK_BYTES, RANDOM_POOL_BLOCK_BYTES]);
  });

  it('gives copies: a refill does not change bytes already handed out', () => {
    const source = countingFill();
    const pool = new RandomPool(source.fill, 4);
    const first = pool.take(4);
    const kept = Array.from(first);
    pool.take(4);
    expect(Array.from(first)).toEqual(kept);
  });

  it('refuses lengths and block sizes that are not non-negative integers, naming the value', () => {
    expect(() => new RandomPool(() => {}, 0)).toThrow(/block size must be a positive integer, got 0/);
    expect(() => new RandomPool(() => {}).take(-1)).toThrow(/length must be a non-negative integer, got -1/);
    expect(() => new RandomPool(() => {}).take(1.5)).toThrow(/got 1\.5/);
  });
});
