import { describe, expect, it } from 'vitest';
import { KeyDrawTimes, monotonicMs } from './key-draw-times.js';

describe('KeyDrawTimes', () => {
  it('keeps each key as read and drawn, oldest first', () => {
    const times = new KeyDrawTimes();
    times.record(10, 10.2);
    times.record(20, 20.5);
    expect(times.toFile()).toEqual({ readAt: [10, 20], drawnAt: [10.2, 20.5] });
  });

  it('keeps at most the newest `kept` keys, dropping the oldest', () => {
    const times = new KeyDrawTimes(8);
    for (let i = 0; i < 100; i++) times.record(i, i + 0.5);
    const file = times.toFile();
    expect(times.size).toBeLessThanOrEqual(8);
    expect(file.readAt.at(-1)).toBe(99);
    expect(file.drawnAt.at(-1)).toBe(99.5);
    // Still consecutive keys, in order, and the two lists in step.
    expect(file.readAt).toEqual(file.readAt.map((_, i) => 100 - file.readAt.length + i));
    expect(file.drawnAt).toEqual(file.readAt.map((t) => t + 0.5));
  });

  it('hands out a copy: later keys do not change a file already taken', () => {
    const times = new KeyDrawTimes();
    times.record(1, 2);
    const file = times.toFile();
    times.record(3, 4);
    expect(file.readAt).toEqual([1]);
  });
});

describe('monotonicMs', () => {
  it('reads the clock process.hrtime reads, in ms', () => {
    const before = Number(process.hrtime.bigint()) / 1e6;
    const now = monotonicMs();
    const after = Number(process.hrtime.bigint()) / 1e6;
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(after);
  });
});
