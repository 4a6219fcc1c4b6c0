import { describe, expect, it } from 'vitest';
import { RANDOM_POOL_BYTES, RandomPool } from './random-pool.js';
import { NODE_CLIENT_RUNTIME } from './client-runtime.js';

/** A fill that writes a running count (mod 256), so every byte handed out tells where in the stream it came from. */
function countingFill(): { fill: (buffer: Uint8Array) => void; fills: number[] } {
  let next = 0;
  const fills: number[] = [];
  return {
    fills,
    fill: (buffer) => {
      fills.push(buffer.length);
      for (let i = 0; i < buffer.length; i++) buffer[i] = next++ & 0xff;
    },
  };
}

describe('RandomPool', () => {
  it('hands out each fetched byte once, in order, refilling only when the block runs out', () => {
    const source = countingFill();
    const pool = new RandomPool(source.fill, 16);
    const taken = [pool.take(5), pool.take(0), pool.take(7), pool.take(4), pool.take(3)];
    expect(taken.map((bytes) => bytes.length)).toEqual([5, 0, 7, 4, 3]);
    // 5 + 7 + 4 = 16 bytes from the first block; the 3 that do not fit in its rest come from a second one.
    expect(source.fills).toEqual([16, 16]);
    expect([...taken[0]!, ...taken[2]!, ...taken[3]!]).toEqual([...Array(16).keys()]);
    expect([...taken[4]!]).toEqual([16, 17, 18]);
  });

  it('never repeats a byte of the stream and hands out copies the caller may change', () => {
    const source = countingFill();
    const pool = new RandomPool(source.fill, 64);
    const seen: number[] = [];
    for (let i = 0; i < 100; i++) {
      const bytes = pool.take(i % 17);
      seen.push(...bytes);
      bytes.fill(0xee);
    }
    // The stream positions handed out rise without a gap or a repeat within each block (a draw that does not fit a
    // block's rest starts the next block, skipping that rest).
    for (let i = 1; i < seen.length; i++) expect(seen[i]).not.toBe(seen[i - 1]);
    expect(pool.take(3)).not.toEqual(new Uint8Array([0xee, 0xee, 0xee]));
  });

  it('fills a draw larger than its block directly, leaving the block as it was', () => {
    const source = countingFill();
    const pool = new RandomPool(source.fill, 8);
    expect(pool.take(20).length).toBe(20);
    expect(source.fills).toEqual([20]);
    expect([...pool.take(2)]).toEqual([20, 21]);
  });

  it('refuses a length that is not a count of bytes', () => {
    const pool = new RandomPool();
    expect(() => pool.take(-1)).toThrow(/non-negative integer/);
    expect(() => pool.take(1.5)).toThrow(/non-negative integer/);
  });

  it('is what the Node runtime draws from: random bytes of the asked length, different each time', () => {
    const a = NODE_CLIENT_RUNTIME.random(32);
    const b = NODE_CLIENT_RUNTIME.random(32);
    expect(a.length).toBe(32);
    expect(a).not.toEqual(b);
    expect(NODE_CLIENT_RUNTIME.random(RANDOM_POOL_BYTES + 1).length).toBe(RANDOM_POOL_BYTES + 1);
  });
});
