import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ReplayWindow } from './replay-window.js';

describe('ReplayWindow', () => {
  it('accepts anything first, then refuses repeats and numbers that fell out of the window', () => {
    const window = new ReplayWindow(64);
    expect(window.check(1000n)).toBe('fresh');
    window.accept(1000n);
    expect(window.check(1000n)).toBe('replay');
    expect(window.check(999n)).toBe('fresh'); // reordered, inside the window
    window.accept(999n);
    expect(window.check(999n)).toBe('replay');
    expect(window.check(937n)).toBe('fresh'); // 1000 - 63: the oldest slot
    expect(window.check(936n)).toBe('too-old');
    window.accept(1100n); // a jump past the whole window forgets everything below
    expect(window.check(1000n)).toBe('too-old');
    expect(window.check(1099n)).toBe('fresh');
    expect(window.highest).toBe(1100n);
  });

  it('a restarted peer with a later clock-derived start is accepted', () => {
    const window = new ReplayWindow();
    const firstRun = 1_700_000_000_000n * 1_048_576n;
    for (let i = 0n; i < 10n; i++) window.accept(firstRun + i);
    const secondRun = (1_700_000_000_000n + 5_000n) * 1_048_576n;
    expect(window.check(secondRun)).toBe('fresh');
  });

  it('matches a model (a set of seen numbers plus the width rule) on random arrival orders', () => {
    fc.assert(
      fc.property(fc.array(fc.bigInt({ min: 0n, max: 400n }), { maxLength: 300 }), fc.constantFrom(64, 96, 128), (arrivals, width) => {
        const window = new ReplayWindow(width);
        const seen = new Set<bigint>();
        let highest: bigint | undefined;
        for (const seq of arrivals) {
          const expected = highest !== undefined && highest - seq >= BigInt(width) ? 'too-old' : seen.has(seq) ? 'replay' : 'fresh';
          expect(window.check(seq)).toBe(expected);
          if (expected === 'fresh') {
            window.accept(seq);
            seen.add(seq);
            if (highest === undefined || seq > highest) highest = seq;
          }
        }
      }),
    );
  });

  it('rejects widths it cannot represent', () => {
    expect(() => new ReplayWindow(48)).toThrow(/multiple of 32, at least 64/);
  });
});
