import { describe, expect, it } from 'vitest';
import { MAX_CELL_TEXT_UNITS } from '@tsmosh/terminal';
import { droppedCombiningMarks } from './cell-budget.js';
import { HeadlessMirror } from './headless-mirror.js';

function cellText(mirror: HeadlessMirror, x: number): string {
  return mirror.terminal.buffer.active.getLine(0)!.getCell(x)!.getChars();
}

describe('the cell budget', () => {
  it('stops a run of combining marks at the budget, counting the rest, and the next cell is untouched', async () => {
    const mirror = new HeadlessMirror({ cols: 20, rows: 3, onReply: () => {} });
    const before = droppedCombiningMarks();
    await mirror.write(new TextEncoder().encode(`e${'\u0301'.repeat(100_000)}x`));
    expect(cellText(mirror, 0)).toBe(`e${'\u0301'.repeat(MAX_CELL_TEXT_UNITS - 1)}`);
    expect(cellText(mirror, 1)).toBe('x');
    expect(droppedCombiningMarks() - before).toBe(100_000 - (MAX_CELL_TEXT_UNITS - 1));
    // The snapshot a client receives holds the bounded cell.
    expect(mirror.snapshot().lines[0]!.cells[0]!.text.length).toBe(MAX_CELL_TEXT_UNITS);
    mirror.dispose();
  });

  it('keeps real text whole: accents, Zalgo-length runs and emoji ZWJ sequences', async () => {
    const mirror = new HeadlessMirror({ cols: 20, rows: 3, onReply: () => {} });
    const before = droppedCombiningMarks();
    const zalgo = `a${'\u0300\u0301\u0302\u0303\u0304'.repeat(6)}`; // 30 marks, the UAX #15 stream-safe limit
    const family = '\u{1F468}\u200D\u{1F469}\u200D\u{1F467}\u200D\u{1F466}';
    await mirror.write(new TextEncoder().encode(`e\u0301${zalgo}${family}`));
    expect(cellText(mirror, 0)).toBe('e\u0301');
    expect(cellText(mirror, 1)).toBe(zalgo);
    expect(droppedCombiningMarks()).toBe(before);
    mirror.dispose();
  });
});
