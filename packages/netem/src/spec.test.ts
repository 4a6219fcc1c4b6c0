import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PERFECT_DIRECTION, burstLoss, directionProfile, type DirectionProfile, type LinkProfile } from './model.js';
import { LinkSpecError, formatLinkSpec, parseLinkSpec } from './spec.js';

const probability = fc.oneof(
  fc.constantFrom(0, 0.01, 0.1, 0.29, 0.5, 1),
  fc.double({ min: 0, max: 1, noNaN: true }),
);
const milliseconds = fc.oneof(fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 0, max: 10_000, noNaN: true }));
const arbitraryDirection: fc.Arbitrary<DirectionProfile> = fc
  .record({
    delayMs: milliseconds,
    jitterMs: milliseconds,
    loss: probability,
    burst: fc.oneof(
      fc.constant(undefined),
      fc.record({ enterBad: probability, exitBad: probability, lossInBad: probability, lossInGood: probability }),
      fc
        .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 1, max: 50 }))
        .map(([fraction, n]) => burstLoss((fraction * n) / (n + 1), n)), // the most loss bursts of n allow is n / (n + 1)
    ),
    reorder: probability,
    reorderDelayMs: milliseconds,
    duplicate: probability,
    rateBytesPerSecond: fc.oneof(
      fc.constant(undefined),
      fc.integer({ min: 1, max: 1_000_000_000 }),
      fc.double({ min: 1, max: 1e9, noNaN: true }),
    ),
    queue: fc.oneof(fc.record({ bytes: fc.integer({ min: 0, max: 1e8 }) }), fc.record({ ms: milliseconds })),
    // Windows on whole milliseconds: the spec writes a window as duration@start, exact for integers.
    blackouts: fc.array(
      fc
        .tuple(fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 1e6 }), fc.option(fc.integer({ min: 0, max: 1e6 }), { nil: undefined }))
        .map(([startMs, length, extra]) =>
          extra === undefined ? { startMs, endMs: startMs + length } : { startMs, endMs: startMs + length, everyMs: Math.max(1, length + extra) },
        ),
      { maxLength: 3 },
    ),
  })
  .map((fields) => directionProfile(fields));

const arbitraryLink: fc.Arbitrary<LinkProfile> = fc.oneof(
  arbitraryDirection.map((d) => ({ up: d, down: d })),
  fc.record({ up: arbitraryDirection, down: arbitraryDirection }),
);

function errorOf(spec: string): LinkSpecError {
  try {
    parseLinkSpec(spec);
  } catch (error) {
    expect(error).toBeInstanceOf(LinkSpecError);
    return error as LinkSpecError;
  }
  throw new Error(`expected "${spec}" to be refused`);
}

describe('parseLinkSpec', () => {
  it('reads the example from the brief', () => {
    const link = parseLinkSpec('delay=150ms,jitter=10ms,loss=10%,dup=1%,reorder=2%,rate=1mbit,burst=5%/3,blackout=2s@5s');
    const expected: DirectionProfile = {
      ...PERFECT_DIRECTION,
      delayMs: 150,
      jitterMs: 10,
      loss: 0.1,
      duplicate: 0.01,
      reorder: 0.02,
      rateBytesPerSecond: 125_000,
      burst: burstLoss(0.05, 3),
      blackouts: [{ startMs: 5000, endMs: 7000 }],
    };
    expect(link).toEqual({ up: expected, down: expected });
  });

  it('applies per-direction overrides over shared keys, whatever the order', () => {
    const a = parseLinkSpec('up.loss=29%,loss=5%,down.delay=1s,delay=50ms');
    const b = parseLinkSpec('loss=5%,delay=50ms,up.loss=29%,down.delay=1s');
    expect(a).toEqual(b);
    expect(a.up).toMatchObject({ loss: 0.29, delayMs: 50 });
    expect(a.down).toMatchObject({ loss: 0.05, delayMs: 1000 });
  });

  it('accumulates blackouts, and a direction of its own replaces the shared list', () => {
    const link = parseLinkSpec('blackout=1s@2s,blackout=500ms@10s/1m,down.blackout=3s@0s');
    expect(link.up.blackouts).toEqual([
      { startMs: 2000, endMs: 3000 },
      { startMs: 10_000, endMs: 10_500, everyMs: 60_000 },
    ]);
    expect(link.down.blackouts).toEqual([{ startMs: 0, endMs: 3000 }]);
  });

  it('reads every unit it documents', () => {
    expect(parseLinkSpec('rate=8bit').up.rateBytesPerSecond).toBe(1);
    expect(parseLinkSpec('rate=256kbit').up.rateBytesPerSecond).toBe(32_000);
    expect(parseLinkSpec('rate=1gbit').up.rateBytesPerSecond).toBe(125_000_000);
    expect(parseLinkSpec('rate=100kB/s').up.rateBytesPerSecond).toBe(100_000);
    expect(parseLinkSpec('rate=2MB/s').up.rateBytesPerSecond).toBe(2_000_000);
    expect(parseLinkSpec('queue=64KiB').up.queue).toEqual({ bytes: 65_536 });
    expect(parseLinkSpec('queue=1.5kB').up.queue).toEqual({ bytes: 1500 });
    expect(parseLinkSpec('queue=500ms').up.queue).toEqual({ ms: 500 });
    expect(parseLinkSpec('loss=0.25').up.loss).toBe(0.25);
    expect(parseLinkSpec('burst=1%:25%').up.burst).toEqual({ enterBad: 0.01, exitBad: 0.25, lossInBad: 1, lossInGood: 0 });
    expect(parseLinkSpec('rate=1mbit,up.rate=none').up.rateBytesPerSecond).toBeUndefined();
    expect(parseLinkSpec('  ')).toEqual({ up: PERFECT_DIRECTION, down: PERFECT_DIRECTION });
    expect(parseLinkSpec('none')).toEqual({ up: PERFECT_DIRECTION, down: PERFECT_DIRECTION });
  });

  it('names the bad field and says what to write instead', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['delay=150ms,loss=10', 'loss=10', /did you mean 10%/],
      ['delay=150', 'delay=150', /needs a unit: write 150ms/],
      ['rate=1Mbps', 'rate=1Mbps', /ambiguous: write bits as 1mbit or bytes as 1MB\/s/],
      ['rate=5kb/s', 'rate=5kb/s', /ambiguous/],
      ['rate=0kbit', 'rate=0kbit', /must be > 0/],
      ['latency=5ms', 'latency=5ms', /unknown key "latency"/],
      ['loss=1%,loss=2%', 'loss=2%', /given twice/],
      ['blackout=2s', 'blackout=2s', /DURATION@START/],
      ['blackout=2s@1s/1s500ms', 'blackout=2s@1s/1s500ms', /unknown time unit/],
      ['blackout=2s@1s/1s', 'blackout=2s@1s/1s', /at least as long as the outage/],
      ['burst=50%', 'burst=50%', /burst=MEANLOSS\/MEANLENGTH/],
      ['burst=10%/0.5', 'burst=10%/0.5', /≥ 1 datagram/],
      ['burst=60%/1', 'burst=60%/1', /at most 0\.5/],
      ['loss=150%', 'loss=150%', /between 0% and 100%/],
      ['delay=fast', 'delay=fast', /expected a time such as 150ms/],
      ['loss', 'loss', /expected key=value/],
      ['loss=1%,,dup=1%', '', /empty field/],
      ['sideways.loss=1%', 'sideways.loss=1%', /unknown key/],
    ];
    for (const [spec, field, problem] of cases) {
      const error = errorOf(spec);
      expect(error.field, spec).toBe(field);
      expect(error.message, spec).toMatch(problem);
      expect(error.message, spec).toContain(`"${field}"`);
      expect(error.message, spec).toContain('delay=150ms'); // the syntax summary comes with every error
    }
  });

  it('never throws anything but a LinkSpecError on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (text) => {
        try {
          parseLinkSpec(text);
        } catch (error) {
          expect(error).toBeInstanceOf(LinkSpecError);
        }
      }),
    );
  });
});

describe('formatLinkSpec', () => {
  it('writes a spec that parses back to the identical profile', () => {
    fc.assert(
      fc.property(arbitraryLink, (link) => {
        expect(parseLinkSpec(formatLinkSpec(link))).toEqual(link);
      }),
      { numRuns: 500 },
    );
  });

  it('writes short, readable specs for ordinary links', () => {
    const spec = 'delay=150ms,jitter=10ms,up.loss=29%,down.loss=10%,burst=10%/4,reorder=2%,dup=1%,rate=1mbit,blackout=2s@5s';
    expect(formatLinkSpec(parseLinkSpec(spec))).toBe(spec);
    expect(formatLinkSpec(parseLinkSpec(''))).toBe('');
    expect(formatLinkSpec(parseLinkSpec('rate=100kB/s,down.rate=none'))).toBe('up.rate=800kbit,down.rate=none');
  });
});
