import { describe, expect, it } from 'vitest';
import { dominantSegment, keyPathTable, keyPaths, summarizeKeyPaths, type KeyPath } from './key-path.js';
import type { KeyTiming } from './replay.js';

const key = (index: number, sentAt: number, latencyMs: number | undefined, kind: KeyTiming['kind'] = 'typing'): KeyTiming => ({ index, kind, sentAt, latencyMs, invisible: false });

describe('keyPaths', () => {
  // The harness's performance.now() is 1000 ms behind the monotonic clock here.
  const offset = 1000;

  it('splits each predicted key at the first read at or after its typing, and that read\'s draw', () => {
    const keys = [key(0, 0, 2), key(1, 100, 9), key(2, 200, 350 /* the echo: not predicted */), key(3, 300, 1)];
    const times = {
      readAt: [900 /* before the trace */, 1000.5, 1106, 1200.2, 1300.1],
      drawnAt: [900.1, 1000.9, 1106.5, 1200.4, 1300.3],
    };
    const paths = keyPaths(keys, times, 300, offset);
    expect(paths.map((p) => p.index)).toEqual([0, 1, 3]);
    const [first, second, fourth] = paths as [KeyPath, KeyPath, KeyPath];
    expect(first.typedToReadMs).toBeCloseTo(0.5);
    expect(first.readToDrawnMs).toBeCloseTo(0.4);
    expect(first.drawnToShownMs).toBeCloseTo(1.1);
    // Key 1 waited 6 ms for its read: the client was not running.
    expect(second.typedToReadMs).toBeCloseTo(6);
    expect(second.drawnToShownMs).toBeCloseTo(2.5);
    expect(fourth.totalMs).toBe(1);
    expect(dominantSegment(second)).toBe('typedToReadMs');
  });

  it('lets two keys typed close together share one read, and counts a key shown before its write returned as drawn when shown', () => {
    const keys = [key(0, 0, 3), key(1, 1, 2), key(2, 100, 0.2), key(3, 200, 0.05)];
    // Key 2's draw write returned 8 ms after it read, but the terminal had the bytes 0.1 ms after the read.
    const times = { readAt: [1001.5, 1100.1, 1200.1], drawnAt: [1001.8, 1108.1, 1200.2] };
    const paths = keyPaths(keys, times, 300, offset);
    expect(paths.map((p) => p.index)).toEqual([0, 1, 2]); // key 3 was on screen before the client read it: no match
    expect(paths[0]!.readToDrawnMs).toBeCloseTo(paths[1]!.readToDrawnMs);
    expect(paths[2]!.readToDrawnMs).toBeCloseTo(0.1);
    expect(paths[2]!.drawnToShownMs).toBe(0);
  });

  it('stops at keys typed after the client\'s last read', () => {
    expect(keyPaths([key(0, 0, 1), key(1, 100, 1)], { readAt: [1000.2], drawnAt: [1000.5] }, 300, offset).map((p) => p.index)).toEqual([0]);
  });
});

describe('summarizeKeyPaths and keyPathTable', () => {
  const path = (index: number, typedToReadMs: number, readToDrawnMs: number, drawnToShownMs: number): KeyPath => ({ index, typedToReadMs, readToDrawnMs, drawnToShownMs, totalMs: typedToReadMs + readToDrawnMs + drawnToShownMs });

  it('counts the keys over 5 ms by the step that took most of them', () => {
    const paths = [path(0, 0.3, 0.4, 0.5), path(1, 8, 0.4, 0.5), path(2, 0.3, 0.4, 9), path(3, 0.3, 0.4, 7), path(4, 0.3, 6, 0.5)];
    const summary = summarizeKeyPaths(paths);
    expect(summary.keys).toBe(5);
    expect(summary.slow).toBe(4);
    expect(summary.slowBy).toEqual({ typedToReadMs: 1, readToDrawnMs: 1, drawnToShownMs: 2 });
    expect(summary.segments.find((s) => s.segment === 'readToDrawnMs')?.medianMs).toBeCloseTo(0.4);
    const table = keyPathTable('shell', [{ label: '300 ms RTT', system: 'tsmosh', paths }, { label: '300 ms RTT', system: 'mosh', paths: [] }]);
    expect(table?.rows.length).toBe(3);
    expect(table?.rows[1]).toEqual(['300 ms RTT', 'tsmosh', 'read → drawn (the client)', '0.40 ms', '6.00 ms', '6.00 ms', '6.00 ms', '1 of 4']);
    expect(keyPathTable('shell', [{ label: 'x', system: 'mosh', paths: [] }])).toBeUndefined();
  });
});
