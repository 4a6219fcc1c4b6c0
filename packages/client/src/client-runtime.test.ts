import { describe, expect, it } from 'vitest';
import { RANDOM_POOL_BLOCK_BYTES } from '@tsmosh/protocol';
import { NODE_CLIENT_RUNTIME } from './client-runtime.js';

describe('NODE_CLIENT_RUNTIME', () => {
  it('draws random bytes of the asked length from its pool, different each time, and past a block too', () => {
    const a = NODE_CLIENT_RUNTIME.random(32);
    const b = NODE_CLIENT_RUNTIME.random(32);
    expect(a.length).toBe(32);
    expect(NODE_CLIENT_RUNTIME.random(0).length).toBe(0);
    // Two 256-bit draws from a CSPRNG are equal with probability 2^-256.
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false);
    expect(NODE_CLIENT_RUNTIME.random(RANDOM_POOL_BLOCK_BYTES + 1).length).toBe(RANDOM_POOL_BLOCK_BYTES + 1);
  });
});
