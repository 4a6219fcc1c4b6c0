import { describe, expect, it } from 'vitest';
import { predictedKeyFigures, predictedKeyTable } from './predicted-keys.js';
import type { KeyTiming } from './replay.js';

const key = (index: number, latencyMs: number | undefined, kind: KeyTiming['kind'] = 'typing', invisible = false): KeyTiming => ({ index, kind, sentAt: index * 100, latencyMs, invisible });

describe('predicted-key figures', () => {
  it('count only typing keys shown before the round trip, and rank them for the share, median and p99', () => {
    const keys = [
      key(0, 1), key(1, 2), key(2, 5), key(3, 7), // predicted: 3 of 4 within 5 ms
      key(4, 320), // the echo: not a prediction
      key(5, undefined), // never shown
      key(6, 0.5, 'enter'), // not a typing key
      key(7, 0.5, 'typing', true), // no visible effect
    ];
    const f = predictedKeyFigures(keys, 300);
    expect(f).toMatchObject({ typed: 6, predicted: 4, withinBound: 0.75, medianMs: 2, p99Ms: 7, maxMs: 7 });
  });

  it('has no share for a system that predicted nothing (ssh), and a table row per system that typed', () => {
    const none = predictedKeyFigures([key(0, 350), key(1, 400)], 300);
    expect(none.predicted).toBe(0);
    expect(Number.isNaN(none.withinBound)).toBe(true);
    const table = predictedKeyTable([{ name: 'slow', label: 'slow link', rttMs: 300 }, { name: 'lo', label: 'loopback', rttMs: 0 }], 'shell', (link, system) => (system === 'mosh' ? [] : [key(0, link === 'slow' ? 3 : 1)]), ['tsmosh', 'mosh', 'ssh']);
    expect(table?.rows).toEqual([
      ['slow link', 'tsmosh', '1 of 1', '100.0 %', '3.0 ms', '3.0 ms', '3.0 ms'],
      ['slow link', 'ssh', '1 of 1', '100.0 %', '3.0 ms', '3.0 ms', '3.0 ms'],
    ]);
  });
});
