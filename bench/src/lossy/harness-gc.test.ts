import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectYoungGeneration } from './harness-gc.js';
import { ScreenProgram } from './screen.js';

/** The GC pauses this process reports while `run` runs (and a turn after, when the observer hears of them). */
async function gcPausesDuring(run: () => void | Promise<void>): Promise<PerformanceEntry[]> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 0));
    seen.push(...observer.takeRecords());
  } finally {
    observer.disconnect();
  }
  return seen;
}

const kindOf = (entry: PerformanceEntry): number => (entry as PerformanceEntry & { detail: { kind: number } }).detail.kind;

describe('collectYoungGeneration', () => {
  it('runs a minor GC (a scavenge) each time it is called', async () => {
    const pauses = await gcPausesDuring(() => {
      collectYoungGeneration();
      collectYoungGeneration();
    });
    expect(pauses.filter((entry) => kindOf(entry) === constants.NODE_PERFORMANCE_GC_MINOR).length).toBeGreaterThanOrEqual(2);
  });
});

describe('ScreenProgram.type and the harness\'s own GC', () => {
  it('runs a scavenge of the harness before each keystroke, ended before the key is timed', async () => {
    const program = new ScreenProgram({ file: 'sh', args: ['-c', 'sleep 5'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    try {
      const typedAt: number[] = [];
      const pauses = await gcPausesDuring(() => {
        for (const key of ['a', 'b', 'c']) typedAt.push(program.type(key));
      });
      const minor = pauses.filter((entry) => kindOf(entry) === constants.NODE_PERFORMANCE_GC_MINOR);
      typedAt.forEach((at, k) => {
        const after = k === 0 ? -Infinity : typedAt[k - 1]!;
        expect(minor.some((entry) => entry.startTime > after && entry.startTime + entry.duration <= at)).toBe(true);
      });
    } finally {
      program.kill();
    }
  });
});
