import { describe, expect, it } from 'vitest';
import { clientCpuTable, wakeups } from './client-cpu.js';

describe('clientCpuTable', () => {
  it('shows per case the medians of CPU over wall time, CPU against mosh-client\'s, wake-ups per second, and a flood\'s time to its end on screen', () => {
    const flood = (system: 'tsmosh' | 'mosh', cpuMs: number, wallMs: number, wakeups: number, onScreenMs: number) => ({ system, workload: 'flood' as const, link: 'loopback', cpuMs, wallMs, wakeups, onScreenMs });
    const table = clientCpuTable(
      [
        flood('tsmosh', 400, 4000, 400, 2000),
        flood('tsmosh', 500, 5000, 600, 3000),
        flood('tsmosh', 600, 6000, 500, 2500),
        flood('mosh', 50, 5000, 250, 3000),
        { system: 'tsmosh', workload: 'idle', link: 'loopback', cpuMs: 40, wallMs: 20_000, wakeups: 20 },
        { system: 'mosh', workload: 'idle', link: 'loopback', cpuMs: 0, wallMs: 20_000, wakeups: 14 },
      ],
      3,
    );
    expect(table.rows[0]!.slice(1)).toEqual(['500 ms / 5.0 s = 10.00 %', '50 ms / 5.0 s = 1.00 %', '10.0×', '100.0', '50.0', '2.5 s / 3.0 s']);
    // Nothing measured on the 100 ms link here; idle: mosh under a tick gives no ratio rather than a division by zero.
    expect(table.rows[2]!.slice(1)).toEqual(['40 ms / 20.0 s = 0.20 %', '0 ms / 20.0 s = 0.00 %', '', '1.0', '0.7', '']);
    expect(table.caption).toContain('3 tries');
  });

  it('counts the wake-ups of every thread of a process', () => {
    const before = wakeups(process.pid);
    expect(before).toBeGreaterThan(0);
    expect(wakeups(process.pid)).toBeGreaterThanOrEqual(before);
  });
});
