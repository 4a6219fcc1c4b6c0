import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { directionProfile, insideBlackout, type BlackoutWindow } from './model.js';
import { StreamDirection, blackoutEnd } from './stream-model.js';

const arbWindows: fc.Arbitrary<BlackoutWindow[]> = fc.array(
  fc.record({ startMs: fc.integer({ min: 0, max: 5000 }), length: fc.integer({ min: 0, max: 2000 }), every: fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined }) }).map(({ startMs, length, every }) => ({
    startMs,
    endMs: startMs + length,
    ...(every !== undefined ? { everyMs: Math.max(1, length + every) } : {}),
  })),
  { maxLength: 3 },
);

describe('the emulated link for a byte stream', () => {
  it('finds where a blackout ends: outside every window, and no earlier than asked', () => {
    expect(blackoutEnd([{ startMs: 100, endMs: 300 }], 50)).toBe(50);
    expect(blackoutEnd([{ startMs: 100, endMs: 300 }], 150)).toBe(300);
    expect(blackoutEnd([{ startMs: 100, endMs: 300 }, { startMs: 300, endMs: 400 }], 150)).toBe(400);
    expect(blackoutEnd([{ startMs: 100, endMs: 200, everyMs: 1000 }], 2150)).toBe(2200);
    expect(blackoutEnd([{ startMs: 100, endMs: 200, everyMs: 100 }], 50)).toBe(50);
    expect(blackoutEnd([{ startMs: 100, endMs: 200, everyMs: 100 }], 150)).toBe(Infinity);
    fc.assert(
      fc.property(arbWindows, fc.integer({ min: 0, max: 20_000 }), (windows, at) => {
        const end = blackoutEnd(windows, at);
        expect(end).toBeGreaterThanOrEqual(at);
        if (end !== Infinity) expect(insideBlackout(windows, end)).toBe(false);
        if (!insideBlackout(windows, at)) expect(end).toBe(at);
      }),
    );
  });

  it('delivers in order, never before the delay, after any blackout the bytes were written into, at the rate', () => {
    fc.assert(
      fc.property(
        fc.record({ delayMs: fc.integer({ min: 0, max: 300 }), jitterMs: fc.integer({ min: 0, max: 50 }), rate: fc.option(fc.integer({ min: 1000, max: 1_000_000 }), { nil: undefined }) }),
        arbWindows,
        fc.array(fc.record({ gapMs: fc.integer({ min: 0, max: 500 }), bytes: fc.integer({ min: 1, max: 20_000 }) }), { minLength: 1, maxLength: 30 }),
        fc.integer(),
        ({ delayMs, jitterMs, rate }, blackouts, writes, seed) => {
          const profile = directionProfile({ delayMs, jitterMs, rateBytesPerSecond: rate, blackouts });
          const stream = new StreamDirection(profile, { seed, originMs: 1000 });
          let now = 1000;
          let previous = -Infinity;
          let bytesSoFar = 0;
          let firstWrite: number | undefined;
          for (const { gapMs, bytes } of writes) {
            now += gapMs;
            firstWrite ??= now;
            bytesSoFar += bytes;
            const arrives = stream.submit(bytes, now);
            expect(arrives).toBeGreaterThanOrEqual(previous);
            expect(arrives).toBeGreaterThanOrEqual(blackoutEnd(blackouts, now - 1000) + 1000 + delayMs);
            // The bottleneck sends no faster than its rate from the first write on.
            if (rate !== undefined) expect(arrives).toBeGreaterThanOrEqual(firstWrite + (bytesSoFar * 1000) / rate - 1e-6);
            previous = arrives;
          }
        },
      ),
    );
  });

  it('is the same for the same seed and writes', () => {
    const profile = directionProfile({ delayMs: 20, jitterMs: 30 });
    const a = new StreamDirection(profile, { seed: 7 });
    const b = new StreamDirection(profile, { seed: 7 });
    for (let t = 0; t < 100; t += 3) expect(a.submit(100, t)).toBe(b.submit(100, t));
  });
});
