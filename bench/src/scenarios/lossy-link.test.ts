import { describe, expect, it } from 'vitest';
import { LINKS, buildTables, type RunResult } from './lossy-link.js';

describe('buildTables', () => {
  it('says mosh was not run beside a Ctrl-C figure, rather than a flood past its bound', () => {
    const link = LINKS.find((l) => l.name === 'rtt100')!;
    const traffic = { upPackets: 0, upBytes: 0, downPackets: 0, downBytes: 0, dropped: 0 };
    const tsmosh: RunResult = { link: 'rtt100', system: 'tsmosh', connectMs: [300], traces: [{ trace: 'shell', keys: [], traffic, cpuMs: 0, wallMs: 0 }], ctrlCMs: 150 };
    const note = (results: RunResult[]): string | undefined => buildTables([link], results, ['shell']).notes.find((n) => n.startsWith('Goal "Ctrl-C during a flood'));
    expect(note([tsmosh])).toContain('tsmosh 150 ms, mosh not run — met');
    const mosh: RunResult = { ...tsmosh, system: 'mosh', ctrlCMs: undefined };
    expect(note([tsmosh, mosh])).toContain('mosh > 30.0 s');
  });
});
