import { describe, expect, it } from 'vitest';
import { parsePrivateKiB, parseProcStatus, processMemory } from './process-memory.js';

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in KiB', () => {
    const text = 'Name:\tnode\nVmPeak:\t  900000 kB\nVmHWM:\t   61234 kB\nVmRSS:\t   58000 kB\nThreads:\t7\n';
    expect(parseProcStatus(text)).toEqual({ rssKiB: 58000, peakKiB: 61234 });
  });

  it('gives undefined for a zombie, which has no resident set lines', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tZ (zombie)\nThreads:\t1\n')).toBeUndefined();
  });

  it('adds the private clean and dirty pages of smaps_rollup', () => {
    const text = 'Rss:               56428 kB\nShared_Clean:      42176 kB\nPrivate_Clean:       120 kB\nPrivate_Dirty:     14252 kB\n';
    expect(parsePrivateKiB(text)).toBe(14372);
    expect(parsePrivateKiB('Rss:   1 kB\n')).toBeUndefined();
  });

  it('reads this process: its peak is at least its resident set, which holds its private pages', () => {
    const memory = processMemory(process.pid)!;
    expect(memory.rssKiB).toBeGreaterThan(0);
    expect(memory.peakKiB).toBeGreaterThanOrEqual(memory.rssKiB);
    expect(memory.privateKiB).toBeGreaterThan(0);
    expect(memory.privateKiB).toBeLessThanOrEqual(memory.rssKiB);
  });
});
