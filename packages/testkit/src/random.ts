import { SeededRandom } from '@tsmosh/netem';
import type { RandomSource } from '@tsmosh/protocol';

/** Deterministic randomness for tests: the same seed gives the same bytes and floats on every machine. */
export interface SeededRandomness {
  /** A `RandomSource` (for SessionKey.generate, Connection chaff). */
  readonly bytes: RandomSource;
  /** A float in [0, 1). */
  float(): number;
  /** An integer in [0, n). */
  int(n: number): number;
}

/**
 * Built on netem's generator (xoshiro128**), so the test kit and the impairment model share one algorithm. Not
 * cryptographic: test keys only.
 */
export function seededRandom(seed: number): SeededRandomness {
  const generator = new SeededRandom(seed);
  return {
    bytes: (length: number) => generator.nextBytes(length),
    float: () => generator.nextFloat(),
    int: (n: number) => {
      if (!(Number.isInteger(n) && n > 0)) throw new RangeError(`seededRandom.int: n must be a positive integer, got ${n}`);
      return Math.floor(generator.nextFloat() * n);
    },
  };
}
