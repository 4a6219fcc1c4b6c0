import { describe, expect, it } from 'vitest';
import { parseProcStatus, processMemory } from './process-memory.js';

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in KiB', () => {
    const text = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   61234 kB\nVmRSS:\t   58000 kB\nThreads:\t7\n';
    expect(parseProcStatus(text)).toEqual({ rssKiB: 58000, peakKiB: 61234 });
  });

  it('gives undefined for a zombie, which has no resident set lines', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tZ (zombie)\nThreads:\t1\n')).toBeUndefined();
  });

  it('reads this process, whose peak is at least its resident set', () => {
    const memory = processMemory(process.pid)!;
    expect(memory.rssKiB).toBeGreaterThan(0);
    expect(memory.peakKiB).toBeGreaterThanOrEqual(memory.rssKiB);
  });
});
