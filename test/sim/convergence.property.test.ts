import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directionProfile } from '@tsmosh/netem';
import { MOSH_TIMING, TSMOSH_TIMING } from '@tsmosh/protocol';
import { typingSession } from './session-helpers.js';

const direction = fc.record({
  delayMs: fc.integer({ min: 0, max: 150 }),
  jitterMs: fc.integer({ min: 0, max: 40 }),
  loss: fc.double({ min: 0, max: 0.5, noNaN: true }),
  reorder: fc.double({ min: 0, max: 0.2, noNaN: true }),
  duplicate: fc.double({ min: 0, max: 0.1, noNaN: true }),
});

describe('convergence over arbitrary impaired links (property)', () => {
  for (const [name, timing] of [
    ['tsmosh', TSMOSH_TIMING],
    ['mosh', MOSH_TIMING],
  ] as const) {
    it(`${name} timing: input arrives exactly once and in order, and both sides converge`, () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), direction, direction, (seed, up, down) => {
          const s = typingSession({
            seed,
            profile: { up: directionProfile(up), down: directionProfile(down) },
            keystrokes: 30,
            typingMs: 3000,
            clientTiming: timing,
            serverTiming: timing,
          });
          const end = s.lastKeystrokeAt + 120_000;
          s.simulation.runUntil(end, () => s.clock.now > s.lastKeystrokeAt && s.converged());
          expect(s.inputWentBack).toBe(false);
          expect(s.delivered).toBe(s.typed);
          expect(s.converged()).toBe(true);
        }),
        { numRuns: 30 },
      );
    });
  }
});
