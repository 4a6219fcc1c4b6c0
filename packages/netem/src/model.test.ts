import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Link,
  LinkDirection,
  burstLoss,
  directionProfile,
  gilbertElliottMeanLoss,
  insideBlackout,
  queueLimitBytes,
  type DirectionProfile,
} from './model.js';
import { SeededRandom } from './prng.js';

const probability = fc.double({ min: 0, max: 1, noNaN: true });
const arbitraryProfile: fc.Arbitrary<DirectionProfile> = fc
  .record({
    delayMs: fc.integer({ min: 0, max: 2000 }),
    jitterMs: fc.integer({ min: 0, max: 200 }),
    loss: probability,
    burst: fc.option(
      fc.record({ enterBad: probability, exitBad: probability, lossInBad: probability, lossInGood: probability }),
      { nil: undefined },
    ),
    reorder: probability,
    reorderDelayMs: fc.integer({ min: 0, max: 100 }),
    duplicate: probability,
    rateBytesPerSecond: fc.option(fc.integer({ min: 1000, max: 10_000_000 }), { nil: undefined }),
    queue: fc.oneof(
      fc.record({ bytes: fc.integer({ min: 0, max: 1_000_000 }) }),
      fc.record({ ms: fc.integer({ min: 0, max: 2000 }) }),
    ),
    blackouts: fc.array(
      fc
        .tuple(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 5000 }))
        .map(([startMs, length]) => ({ startMs, endMs: startMs + length })),
      { maxLength: 3 },
    ),
  })
  .map((fields) => directionProfile(fields));

/** A traffic trace: sizes and non-decreasing send times. */
const arbitraryTrace = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 1500 }), fc.integer({ min: 0, max: 50 })), { minLength: 1, maxLength: 200 })
  .map((steps) => {
    let now = 0;
    return steps.map(([bytes, gap]) => ({ bytes, at: (now += gap) }));
  });

function run(profile: DirectionProfile, seed: number, trace: Array<{ bytes: number; at: number }>): number[][] {
  const direction = new LinkDirection(profile, { seed });
  return trace.map(({ bytes, at }) => direction.submit(bytes, at));
}

describe('SeededRandom', () => {
  it('gives the same stream for the same seed and different streams for nearby seeds', () => {
    const draw = (seed: number): number[] => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 8 }, () => random.nextUint32());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
  });

  it('draws floats in [0, 1) with a mean near 1/2', () => {
    const random = new SeededRandom(1);
    let sum = 0;
    let outOfRange = 0;
    const n = 100_000;
    for (let i = 0; i < n; i++) {
      const x = random.nextFloat();
      if (!(x >= 0 && x < 1)) outOfRange++;
      sum += x;
    }
    expect(outOfRange).toBe(0);
    // Standard error of the mean of n uniforms is sqrt(1/12/n) ≈ 0.0009; 6 standard errors.
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
  });
});

describe('LinkDirection', () => {
  it('makes the same decisions for the same seed and trace', () => {
    fc.assert(
      fc.property(arbitraryProfile, fc.integer(), arbitraryTrace, (profile, seed, trace) => {
        expect(run(profile, seed, trace)).toEqual(run(profile, seed, trace));
      }),
    );
  });

  it('never delivers before now + delay, and delivers at most two copies', () => {
    fc.assert(
      fc.property(arbitraryProfile, fc.integer(), arbitraryTrace, (profile, seed, trace) => {
        const deliveries = run(profile, seed, trace);
        deliveries.forEach((times, i) => {
          expect(times.length).toBeLessThanOrEqual(2);
          for (const t of times) expect(t).toBeGreaterThanOrEqual(trace[i]!.at + profile.delayMs);
        });
      }),
    );
  });

  it('keeps its counters consistent: every datagram is delivered or dropped for one reason', () => {
    fc.assert(
      fc.property(arbitraryProfile, fc.integer(), arbitraryTrace, (profile, seed, trace) => {
        const direction = new LinkDirection(profile, { seed });
        let copies = 0;
        for (const { bytes, at } of trace) copies += direction.submit(bytes, at).length;
        const c = direction.counters;
        const droppedTotal = c.dropped.blackout + c.dropped.loss + c.dropped.burst + c.dropped.queue;
        expect(c.submitted).toBe(trace.length);
        expect(c.delivered).toBe(copies);
        expect(c.submitted).toBe(c.delivered - c.duplicated + droppedTotal);
      }),
    );
  });

  it('keeps in-order datagrams FIFO when nothing is reordered, even with jitter', () => {
    fc.assert(
      fc.property(arbitraryProfile, fc.integer(), arbitraryTrace, (profile, seed, trace) => {
        const firstCopies = run({ ...profile, reorder: 0 }, seed, trace).flatMap((times) => times.slice(0, 1));
        for (let i = 1; i < firstCopies.length; i++) expect(firstCopies[i]).toBeGreaterThanOrEqual(firstCopies[i - 1]!);
      }),
    );
  });

  it('drops exactly the datagrams sent inside a blackout window', () => {
    fc.assert(
      fc.property(arbitraryProfile, fc.integer(), arbitraryTrace, fc.integer({ min: -5000, max: 5000 }), (profile, seed, trace, originMs) => {
        // Only blackouts: every other impairment off, so any drop must be a blackout drop.
        const onlyBlackouts = directionProfile({ blackouts: profile.blackouts });
        const direction = new LinkDirection(onlyBlackouts, { seed, originMs });
        for (const { bytes, at } of trace) {
          const inWindow = profile.blackouts.some((w) => at - originMs >= w.startMs && at - originMs < w.endMs);
          expect(direction.submit(bytes, at).length === 0).toBe(inWindow);
        }
      }),
    );
  });

  it('repeats a periodic blackout and honours the run-time switch', () => {
    const windows = [{ startMs: 1000, endMs: 1500, everyMs: 2000 }];
    expect([999, 1000, 1499, 1500, 2999, 3000, 3499, 3500].map((t) => insideBlackout(windows, t))).toEqual([
      false, true, true, false, false, true, true, false,
    ]);
    const link = new Link({ up: directionProfile(), down: directionProfile() }, { seed: 3 });
    link.setBlackout(true);
    expect(link.up.submit(10, 0)).toEqual([]);
    expect(link.down.submit(10, 0)).toEqual([]);
    link.setBlackout(false);
    expect(link.up.submit(10, 1)).toEqual([1]);
    expect(link.up.counters.dropped.blackout).toBe(1);
  });

  it('loses close to the configured fraction over many datagrams (fixed seed)', () => {
    for (const loss of [0.1, 0.29, 0.5]) {
      const direction = new LinkDirection(directionProfile({ loss }), { seed: 42 });
      const n = 20_000;
      let lost = 0;
      for (let i = 0; i < n; i++) if (direction.submit(100, i).length === 0) lost++;
      // Binomial standard deviation sqrt(n·p·(1−p)); 5 deviations is a bound a correct model essentially never
      // crosses and a wrong one (say loss applied twice) crosses by far.
      expect(Math.abs(lost - n * loss)).toBeLessThan(5 * Math.sqrt(n * loss * (1 - loss)));
      expect(direction.counters.dropped.loss).toBe(lost);
    }
  });

  it('makes bursty loss bursty: the configured mean loss, in runs of the configured mean length', () => {
    const meanLoss = 0.1;
    const meanLength = 4;
    const ge = burstLoss(meanLoss, meanLength);
    expect(gilbertElliottMeanLoss(ge)).toBeCloseTo(meanLoss, 12);
    const direction = new LinkDirection(directionProfile({ burst: ge }), { seed: 9 });
    const n = 100_000;
    let lost = 0;
    let bursts = 0;
    let previousLost = false;
    for (let i = 0; i < n; i++) {
      const isLost = direction.submit(100, i).length === 0;
      if (isLost) lost++;
      if (isLost && !previousLost) bursts++;
      previousLost = isLost;
    }
    // Loose bounds: the runs are correlated, so the binomial bound does not apply; these still reject i.i.d. loss
    // (mean run length 1/(1 − 0.1) ≈ 1.1) and a wrong stationary rate.
    expect(lost / n).toBeGreaterThan(0.08);
    expect(lost / n).toBeLessThan(0.12);
    expect(lost / bursts).toBeGreaterThan(3.4);
    expect(lost / bursts).toBeLessThan(4.6);
    expect(direction.counters.dropped.burst).toBe(lost);
  });

  it('picks the same independently lost datagrams whatever the other impairments are', () => {
    const lostIndices = (fields: Partial<DirectionProfile>): number[] => {
      const direction = new LinkDirection(directionProfile({ loss: 0.2, ...fields }), { seed: 5 });
      const lost: number[] = [];
      for (let i = 0; i < 500; i++) if (direction.submit(100, i * 10).length === 0) lost.push(i);
      return lost;
    };
    expect(lostIndices({ duplicate: 0.5, reorder: 0.3, jitterMs: 40 })).toEqual(lostIndices({}));
  });

  it('never lets more bytes through the bottleneck than its rate allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1000, max: 1_000_000 }),
        fc.integer(),
        arbitraryTrace,
        fc.integer({ min: 0, max: 300 }),
        (rate, seed, trace, delayMs) => {
          const profile = directionProfile({ rateBytesPerSecond: rate, delayMs, queue: { bytes: 20_000 } });
          const direction = new LinkDirection(profile, { seed });
          const departures: Array<{ at: number; bytes: number }> = [];
          for (const { bytes, at } of trace) {
            for (const t of direction.submit(bytes, at)) departures.push({ at: t - delayMs, bytes });
          }
          // Over every span from the first send to a departure, the bytes that left fit in rate × span.
          const start = trace[0]!.at;
          let sent = 0;
          for (const d of departures) {
            sent += d.bytes;
            expect(sent).toBeLessThanOrEqual((rate * (d.at - start)) / 1000 + 1e-6 * sent);
          }
        },
      ),
    );
  });

  it('queues a burst behind a bottleneck and tail-drops what overflows the buffer', () => {
    // 10 kB/s with a 3000-byte buffer: 1000-byte datagrams sent together leave 100 ms apart; the fourth does not fit.
    const direction = new LinkDirection(
      directionProfile({ rateBytesPerSecond: 10_000, queue: { bytes: 3000 }, delayMs: 50 }),
      { seed: 1 },
    );
    const arrivals = [0, 1, 2, 3].map(() => direction.submit(1000, 0));
    expect(arrivals).toEqual([[150], [250], [350], []]);
    expect(direction.counters.dropped.queue).toBe(1);
    // What waits in the buffer: the three, draining at 10 bytes a ms.
    expect(direction.queuedBytes(0)).toBe(3000);
    expect(direction.queuedBytes(150)).toBe(1500);
    expect(direction.queuedBytes(400)).toBe(0);
    // Once the queue drains, datagrams go straight through again.
    expect(direction.submit(1000, 1000)).toEqual([1150]);
  });

  it('sizes a time-based buffer from the rate, never below two full frames', () => {
    expect(queueLimitBytes(directionProfile({ rateBytesPerSecond: 1_000_000, queue: { ms: 200 } }))).toBe(200_000);
    expect(queueLimitBytes(directionProfile({ rateBytesPerSecond: 1000, queue: { ms: 200 } }))).toBe(3000);
  });

  it('holds reordered datagrams back so that later ones overtake them', () => {
    const direction = new LinkDirection(directionProfile({ delayMs: 10, reorder: 1, reorderDelayMs: 30 }), { seed: 1 });
    expect(direction.submit(10, 0)).toEqual([40]);
    const inOrder = new LinkDirection(directionProfile({ delayMs: 10 }), { seed: 1 });
    expect(inOrder.submit(10, 0)).toEqual([10]);
    expect(direction.counters.reordered).toBe(1);
  });

  it('duplicates at the configured rate', () => {
    const direction = new LinkDirection(directionProfile({ duplicate: 0.25, delayMs: 5 }), { seed: 11 });
    const n = 20_000;
    let copies = 0;
    for (let i = 0; i < n; i++) copies += direction.submit(100, i).length;
    expect(Math.abs(copies - n - n * 0.25)).toBeLessThan(5 * Math.sqrt(n * 0.25 * 0.75));
    expect(direction.counters.duplicated).toBe(copies - n);
  });

  it('refuses impossible profiles with a message naming the field', () => {
    expect(() => directionProfile({ loss: 1.5 })).toThrow(/loss = 1\.5 is invalid/);
    expect(() => directionProfile({ rateBytesPerSecond: 0 })).toThrow(/rateBytesPerSecond/);
    expect(() => directionProfile({ blackouts: [{ startMs: 10, endMs: 5 }] })).toThrow(/blackouts\[0\]\.endMs/);
    const link = new Link({ up: directionProfile(), down: directionProfile() }, { seed: 1 });
    expect(() => link.setProfile({ up: directionProfile({ loss: 0.5 }), down: { ...directionProfile(), delayMs: -1 } })).toThrow(
      /down.*delayMs/,
    );
    expect(link.up.profile.loss).toBe(0); // a refused profile changes neither direction
  });

  it('gives the two directions of a link independent streams', () => {
    const link = new Link({ up: directionProfile({ loss: 0.5 }), down: directionProfile({ loss: 0.5 }) }, { seed: 1 });
    const up = Array.from({ length: 64 }, (_, i) => link.up.submit(1, i).length);
    const down = Array.from({ length: 64 }, (_, i) => link.down.submit(1, i).length);
    expect(up).not.toEqual(down);
  });
});
