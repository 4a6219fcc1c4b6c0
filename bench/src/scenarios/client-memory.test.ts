import { describe, expect, it } from 'vitest';
import { clientMemoryTable } from './client-memory.js';

describe('clientMemoryTable', () => {
  it('shows the medians per moment, own pages beside mosh-client\'s as a ratio, and n/a where nothing was measured', () => {
    const memory = (privateMiB: number, rssMiB: number) => ({ privateKiB: privateMiB * 1024, rssKiB: rssMiB * 1024, peakKiB: rssMiB * 1024 });
    const table = clientMemoryTable(
      [
        { system: 'tsmosh', phase: 'start', memory: memory(12, 54) },
        { system: 'tsmosh', phase: 'start', memory: memory(14, 56) },
        { system: 'tsmosh', phase: 'start', memory: memory(13, 55) },
        { system: 'mosh', phase: 'start', memory: memory(6.5, 14) },
        { system: 'bare-node', phase: 'start', memory: memory(6.8, 41.8) },
        { system: 'tsmosh', phase: 'flood', memory: memory(20, 62) },
        { system: 'mosh', phase: 'flood', memory: memory(5, 14) },
      ],
      3,
    );
    expect(table.rows[0]!.slice(1)).toEqual(['13.0 MB', '55.0 MB', '2.00×', '6.5 MB', '14.0 MB', '6.8 MB']);
    expect(table.rows[1]!.slice(1)).toEqual(['20.0 MB', '62.0 MB', '4.00×', '5.0 MB', '14.0 MB', 'n/a']);
    expect(table.rows[2]!.slice(1)).toEqual(['n/a', 'n/a', '', 'n/a', 'n/a', 'n/a']);
    expect(table.caption).toContain('3 tries');
  });
});
