import { describe, expect, it } from 'vitest';
import { parseSeeds, runLine } from './thin-seeds.js';
import { localReferenceText, thinFloodTable, type ThinFloodRun } from './thin-link.js';
import type { LinkCase, RunResult } from '../scenarios/lossy-link.js';

const run = (echoMs: Array<number | null>, ctrlCMs: number | null, extra: Partial<ThinFloodRun> = {}): ThinFloodRun => ({ echoMs, ctrlCMs, floodEndedFirst: false, ...extra });

describe('thin-seeds', () => {
  it('reads seeds as lists and ranges, and refuses what is neither', () => {
    expect(parseSeeds('31-34,40')).toEqual([31, 32, 33, 34, 40]);
    expect(parseSeeds('7')).toEqual([7]);
    expect(() => parseSeeds('42-31')).toThrow(/backwards/);
    expect(() => parseSeeds('a')).toThrow(/not a seed/);
  });

  it("writes a run as the journal's tables do: first key / echo p95 / Ctrl-C, the known prompt, erasures, the verdict", () => {
    const keys = Array.from({ length: 17 }, (_, i) => (i === 0 ? 12.4 : 5));
    expect(runLine(run(keys, 63.6, { engine: { erased: 0, knownPrompt: true } }), 80)).toBe('12 / 12 / 64 (k), both met');
    // A key never shown is slower than any shown one (of 17 keys, p95 is the slowest); Ctrl-C past the goal.
    expect(runLine(run([...keys.slice(1), null], 146, { engine: { erased: 2, knownPrompt: false } }), 80)).toBe('5 / ∞ / 146 2 erased');
    expect(runLine(run(keys, null), 80)).toBe('12 / 12 / ∞');
    // tmux threw output away while Ctrl-C waited: its prompt waited for tmux's redraw timer.
    expect(runLine(run(keys, 90, { tmuxDiscarded: { beforeCtrlC: 1000, atPrompt: 5000 } }), 80)).toBe('12 / 12 / 90 tmux blocked at Ctrl-C');
    expect(runLine(run(keys, 70, { tmuxDiscarded: { beforeCtrlC: 1000, atPrompt: 1000 } }), 80)).toBe('12 / 12 / 70 both met');
  });
});

describe("the thin link's table", () => {
  const link: LinkCase = { name: 'thin', label: 'thin', spec: '', rttMs: 40, quick: false, full: false };
  const result = (system: RunResult['system'], flood: ThinFloodRun, reference?: ThinFloodRun): RunResult => ({
    link: 'thin', system, connectMs: [], traces: [], thinFlood: flood, ...(reference !== undefined ? { thinReference: reference } : {}),
  });

  it('puts the local reference run before each system beside its Ctrl-C, and the rest of the figure beyond it', () => {
    const blocked = { tmuxDiscarded: { beforeCtrlC: 0, atPrompt: 9000 } };
    const results = [result('tsmosh', run([5, 6], 90, blocked), run([1, 1], 60, blocked)), result('mosh', run([70, 80], 100), run([1, 1], 30))];
    const { tables, notes } = thinFloodTable([link], (_, system) => results.find((r) => r.system === system));
    const rows = tables[0]!.rows;
    const col = (name: string): number => tables[0]!.columns.indexOf(name);
    expect(rows.map((r) => [r[0], r[col('local Ctrl-C')], r[col('beyond local')]])).toEqual([
      ['tsmosh', '60 ms', '30 ms'],
      ['mosh', '30 ms', '70 ms'],
    ]);
    expect(notes.find((n) => n.includes('local reference'))).toContain(localReferenceText([60, 30]));
    expect(rows.map((r) => r.at(-1))).toEqual(['tmux had stopped drawing at Ctrl-C, in the local run too', '']);
    // The local run alone blocked: said so, not as a half sentence.
    const localOnly = [result('tsmosh', run([5, 6], 50), run([1, 1], 60, blocked))];
    const only = thinFloodTable([link], (_, system) => localOnly.find((r) => r.system === system));
    expect(only.tables[0]!.rows[0]!.at(-1)).toBe('tmux had stopped drawing at Ctrl-C in the local run only');
  });

  it('says n/a where no reference ran (runs older than it)', () => {
    const { tables, notes } = thinFloodTable([link], (_, system) => (system === 'tsmosh' ? result('tsmosh', run([5], 50)) : undefined));
    const col = tables[0]!.columns.indexOf('local Ctrl-C');
    expect(tables[0]!.rows[0]![col]).toBe('n/a');
    expect(notes.some((n) => n.includes('local reference'))).toBe(false);
  });
});
