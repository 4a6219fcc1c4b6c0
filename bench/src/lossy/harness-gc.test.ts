import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { collectYoungGeneration } from './harness-gc.js';
import { ScreenProgram } from './screen.js';

/** How long the observer may take to hear of the pauses a run caused (ms): a failure detector, not a speed claim. */
const GC_ENTRIES_WAIT_MS = 5_000;

/**
 * The GC pauses this process reports while `run` runs and until at least `minorPauses` scavenges have been reported:
 * Node queues a GC's entry for the observer from the GC's epilogue, and on a loaded machine it was not there a timer
 * turn after the run (none seen in 1 of 5 runs beside a CI run), so the wait is for the entries, not for a turn.
 */
async function gcPausesDuring(run: () => void | Promise<void>, minorPauses: number): Promise<PerformanceEntry[]> {
  const seen: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => seen.push(...list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const minorSeen = () => seen.filter((entry) => kindOf(entry) === constants.NODE_PERFORMANCE_GC_MINOR).length;
  try {
    await run();
    const giveUpAt = Date.now() + GC_ENTRIES_WAIT_MS;
    do {
      await new Promise((resolve) => setTimeout(resolve, 10));
      seen.push(...observer.takeRecords());
    } while (minorSeen() < minorPauses && Date.now() < giveUpAt);
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
    }, 2);
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
      }, 3);
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
