import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AFTER_INPUT_MS, FLOOD_MAX_BYTES, FLOOD_MIN_BYTES, FLOOD_MIN_MS, FLOOD_READ_INTERVAL_MS, FloodReads, RUN_GAP_MS } from './read-coalesce.js';

/** tmux beside `seq`: a write of ~350 bytes about every millisecond. */
const TMUX_WRITE_BYTES = 350;

/**
 * A pty host's reading under a manual clock (ms): the program's writes land in the kernel at their times; while the
 * host polls, each is read the moment it lands (with whatever else waits), and while it reads at intervals, what
 * waits is read at its wake. Returns, for each write, when it was read.
 */
function simulate(writes: ReadonlyArray<{ at: number; bytes: number }>, inputs: readonly number[] = []): { readAt: number[]; wakes: number } {
  const policy = new FloodReads();
  const readAt: number[] = new Array<number>(writes.length);
  const events = [
    ...writes.map((w, i) => ({ at: w.at, kind: 'write' as const, i })),
    ...inputs.map((at) => ({ at, kind: 'input' as const, i: -1 })),
  ].sort((a, b) => a.at - b.at || (a.kind === 'input' ? -1 : 1));
  let waiting: number[] = []; // writes in the kernel, not read yet
  let wakeAt: number | undefined; // the host's own wake while reading at intervals
  let wakes = 0;
  const wake = (now: number): void => {
    wakes++;
    const bytes = waiting.reduce((sum, i) => sum + writes[i]!.bytes, 0);
    for (const i of waiting) readAt[i] = now;
    waiting = [];
    policy.read(bytes, now);
    wakeAt = policy.nextReadAt(now);
  };
  let e = 0;
  for (;;) {
    const next = events[e];
    if (wakeAt !== undefined && (next === undefined || wakeAt <= next.at)) {
      wake(wakeAt);
      continue;
    }
    if (next === undefined) break;
    e++;
    if (next.kind === 'input') {
      policy.input(next.at);
      // The host polls again at once: what waits is read now.
      if (wakeAt !== undefined) {
        wakeAt = undefined;
        if (waiting.length > 0) wake(next.at);
      }
    } else {
      waiting.push(next.i);
      if (wakeAt === undefined) wake(next.at);
    }
  }
  return { readAt, wakes };
}

const flood = (from: number, ms: number, bytes = TMUX_WRITE_BYTES): Array<{ at: number; bytes: number }> =>
  Array.from({ length: ms }, (_, i) => ({ at: from + i, bytes }));

describe('FloodReads: a flood read every few ms, anything else as it comes', () => {
  it('reads the first output after quiet, a redraw burst, and a slow trickle as they come', () => {
    const policy = new FloodReads();
    policy.read(3, 1000); // an echo after quiet
    expect(policy.nextReadAt(1000)).toBeUndefined();
    // A full-screen redraw: 30 KB within 3 ms, more than a flood's bytes but over before FLOOD_MIN_MS.
    for (let t = 2000; t < 2003; t++) policy.read(10_000, t);
    expect(policy.nextReadAt(2002.9)).toBeUndefined();
    // A progress bar: 100 bytes every 5 ms for a second, a run as long as any flood's but a slow one.
    for (let t = 3000; t < 4000; t += 5) {
      policy.read(100, t);
      expect(policy.nextReadAt(t)).toBeUndefined();
    }
    expect(1000 * 100 / 5).toBeGreaterThan(FLOOD_MIN_BYTES); // it did bring a flood's bytes, only not within a run's first ms
  });

  it('reads a flood at intervals once it has lasted FLOOD_MIN_MS and brought FLOOD_MIN_BYTES, through a late wake', () => {
    const policy = new FloodReads();
    let t = 1000;
    let bytes = 0;
    // Read as they come until both bounds are passed.
    for (; bytes + TMUX_WRITE_BYTES < FLOOD_MIN_BYTES || t < 1000 + FLOOD_MIN_MS; t++, bytes += TMUX_WRITE_BYTES) {
      policy.read(TMUX_WRITE_BYTES, t);
      expect(policy.nextReadAt(t)).toBeUndefined();
    }
    policy.read(TMUX_WRITE_BYTES, t);
    expect(policy.nextReadAt(t)).toBe(t + FLOOD_READ_INTERVAL_MS);
    expect(policy.active).toBe(true);
    // The wake came 40 ms late (a long turn): longer than RUN_GAP_MS, still the same flood.
    t += 40;
    expect(40).toBeGreaterThan(RUN_GAP_MS);
    policy.read(14_000, t);
    expect(policy.nextReadAt(t)).toBe(t + FLOOD_READ_INTERVAL_MS);
    // A wake that finds nothing: the flood is over; the next output is read as it comes and starts a new run.
    policy.read(0, t + FLOOD_READ_INTERVAL_MS);
    expect(policy.nextReadAt(t + FLOOD_READ_INTERVAL_MS)).toBeUndefined();
    expect(policy.active).toBe(false);
    policy.read(TMUX_WRITE_BYTES, t + 6);
    expect(policy.nextReadAt(t + 6)).toBeUndefined();
  });

  it('a program that outpaces the kernel’s buffer between two wakes is read as it comes (its reads are full anyway)', () => {
    const policy = new FloodReads();
    // `seq` in bash: a full read and a drain of what the kernel holds every turn of ~4 ms.
    for (let t = 1000; t <= 1100; t += 4) {
      policy.read(30_000, t);
      expect(policy.nextReadAt(t)).toBeUndefined();
    }
    // tmux's flood read at intervals, then a program as fast: the first wake that brings as much goes back to polling.
    for (let t = 2000; t <= 2100; t++) policy.read(TMUX_WRITE_BYTES, t);
    expect(policy.nextReadAt(2100)).toBe(2100 + FLOOD_READ_INTERVAL_MS);
    policy.read(FLOOD_MAX_BYTES, 2105);
    expect(policy.nextReadAt(2105)).toBeUndefined();
    expect(policy.active).toBe(false);
  });

  it('after input reads as it comes for AFTER_INPUT_MS, then at intervals again while the flood goes on', () => {
    const policy = new FloodReads();
    for (let t = 1000; t <= 1100; t++) policy.read(TMUX_WRITE_BYTES, t);
    expect(policy.nextReadAt(1100)).toBe(1100 + FLOOD_READ_INTERVAL_MS);
    policy.input(1102); // a key typed in the other pane
    expect(policy.active).toBe(false);
    for (let t = 1103; t < 1102 + AFTER_INPUT_MS; t++) {
      policy.read(TMUX_WRITE_BYTES, t);
      expect(policy.nextReadAt(t)).toBeUndefined();
    }
    // The window's end is the same sum the input's deadline is: at it, the flood is read at intervals again.
    const end = 1102 + AFTER_INPUT_MS;
    policy.read(TMUX_WRITE_BYTES, end);
    expect(policy.nextReadAt(end)).toBe(end + FLOOD_READ_INTERVAL_MS);
  });

  it('in a whole flood: wakes once per interval, and no write waits longer than one interval', () => {
    // `seq` in tmux for 2 s: 2000 writes.
    const writes = flood(1000, 2000);
    const { readAt, wakes } = simulate(writes);
    expect(wakes).toBeLessThan(2000 / FLOOD_READ_INTERVAL_MS + FLOOD_MIN_MS + 2);
    writes.forEach((w, i) => expect(readAt[i]! - w.at).toBeLessThanOrEqual(FLOOD_READ_INTERVAL_MS));
    // The flood's start is read as it comes, its last write within one interval.
    expect(readAt.slice(0, FLOOD_MIN_MS).every((at, i) => at === writes[i]!.at)).toBe(true);
  });

  it('property: a write after quiet, or within AFTER_INPUT_MS of input, is read at once; none waits more than one interval', () => {
    const arbitraryWrites = fc
      // Gaps in quarters of a ms (exact in binary), so a write at a wake's instant is at it, not a rounding off.
      .array(fc.record({ quarters: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 12, max: 800 })), bytes: fc.integer({ min: 1, max: 5000 }) }), { maxLength: 400 })
      .map((items) => {
        let at = 1000;
        return items.map(({ quarters, bytes }) => ({ at: (at += quarters / 4), bytes }));
      });
    fc.assert(
      fc.property(arbitraryWrites, fc.array(fc.integer({ min: 4000, max: 12000 }).map((quarters) => quarters / 4), { maxLength: 10 }), (writes, inputs) => {
        const { readAt } = simulate(writes, inputs);
        let previous = -Infinity;
        writes.forEach((w, i) => {
          const waited = readAt[i]! - w.at;
          expect(waited).toBeGreaterThanOrEqual(0);
          expect(waited).toBeLessThanOrEqual(FLOOD_READ_INTERVAL_MS);
          const afterQuiet = w.at > previous + RUN_GAP_MS;
          const answering = inputs.some((at) => at <= w.at && w.at < at + AFTER_INPUT_MS);
          if (afterQuiet || answering) expect(waited).toBe(0);
          previous = w.at;
        });
      }),
      { numRuns: 300 },
    );
  });
});
