import { describe, expect, it } from 'vitest';
import { chaffRandom } from './random-pool.js';

describe('chaffRandom', () => {
  it("the daemon's chaff source returns fresh bytes of the asked length", () => {
    const a = chaffRandom(16);
    const b = chaffRandom(16);
    expect(a.length).toBe(16);
    expect(chaffRandom(0).length).toBe(0);
    // Two 128-bit draws from a CSPRNG are equal with probability 2^-128.
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
  });
});
