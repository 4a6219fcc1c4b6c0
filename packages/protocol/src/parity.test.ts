import { describe, expect, it } from 'vitest';
import { MAX_CODE_FRAGMENTS } from './fec.js';
import { DatagramLossWatch, fragmentsPerTry, PARITY_MAX_FACTOR, PARITY_MIN_LOSS } from './parity.js';

describe('fragmentsPerTry: the fragments one try of a large instruction sends', () => {
  it('is the data fragments alone below PARITY_MIN_LOSS, for one fragment, and for a code too long for parity', () => {
    expect(fragmentsPerTry(57, 0)).toBe(57);
    expect(fragmentsPerTry(57, PARITY_MIN_LOSS / 2)).toBe(57);
    expect(fragmentsPerTry(1, 0.3)).toBe(1);
    expect(fragmentsPerTry(MAX_CODE_FRAGMENTS, 0.3)).toBe(MAX_CODE_FRAGMENTS);
  });

  it('adds parity with the loss: the session-24 screen (57 data fragments) at 10 % and 20 % loss', () => {
    const at10 = fragmentsPerTry(57, 0.1);
    const at20 = fragmentsPerTry(57, 0.2);
    // At least what the loss takes on average, so the try usually completes by itself; at most the cap.
    expect(at10).toBeGreaterThan(57 / 0.9);
    expect(at20).toBeGreaterThan(57 / 0.8);
    expect(at20).toBeLessThanOrEqual(PARITY_MAX_FACTOR * 57);
    expect(fragmentsPerTry(200, 0.4)).toBeLessThanOrEqual(MAX_CODE_FRAGMENTS);
  });
});

describe('DatagramLossWatch', () => {
  it('is the mean share missing over the first datagrams, then follows the recent ones', () => {
    const watch = new DatagramLossWatch();
    expect(watch.loss).toBe(0);
    watch.note(4, 1);
    expect(watch.loss).toBeCloseTo(0.2, 10);
    for (let i = 0; i < 400; i++) watch.note(1, 0);
    expect(watch.loss).toBeLessThan(0.01);
    for (let i = 0; i < 100; i++) watch.note(4, 1);
    expect(watch.loss).toBeGreaterThan(0.15);
    expect(watch.loss).toBeLessThan(0.25);
  });
});
