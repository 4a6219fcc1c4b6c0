import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { arbFramebuffer } from './arbitrary-framebuffer.test-helpers.js';
import { displayedFramebuffer } from './renderer.js';
import { printPlainText, printRowCells, replayRows, usedWidth } from './row-replay.js';
import { COLOR_DEFAULT, type Cell } from './framebuffer.js';
import type { Pen } from './sgr.js';
import { createTestTerminal, type TestTerminal } from './xterm-readback.test-helpers.js';

const terminals: TestTerminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.dispose();
});

describe('printPlainText', () => {
  it('prints a plain row from its text exactly as printRowCells prints its cells, from any pen, at any width', () => {
    const arbPen: fc.Arbitrary<Pen> = fc.record({ fg: fc.constantFrom(COLOR_DEFAULT, 0x1000001, 0x2000007), bg: fc.constantFrom(COLOR_DEFAULT, 0x1000004), attrs: fc.constantFrom(0, 1, 5) });
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }), fc.boolean(), fc.integer({ min: 1, max: 50 }), arbPen, (text, wrapped, cols, pen) => {
        const row = Object.freeze({ cells: Object.freeze([...text].map((ch): Cell => Object.freeze({ text: ch, width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 }))), wrapped });
        const fast = printPlainText(text, cols, pen);
        const slow = printRowCells(row, cols, pen);
        expect(fast.text).toBe(slow.text);
        expect(fast.used).toBe(slow.used);
        expect({ ...fast.pen }).toEqual({ ...slow.pen });
      }),
    );
  });
});

describe('replayRows', () => {
  it('prints rows as a program would: a terminal of the same width shows each cell, and joins wrapped full rows', async () => {
    await fc.assert(
      fc.asyncProperty(arbFramebuffer({ minCols: 2, maxCols: 16, minRows: 1, maxRows: 6 }), async (fb) => {
        const wanted = displayedFramebuffer(fb);
        // One row more than the rows printed, so the line feed after the last row does not scroll.
        const t = createTestTerminal(fb.cols, fb.rows + 1);
        terminals.push(t);
        await t.write(replayRows(fb.lines, fb.cols));
        const shown = t.read();
        expect(t.term.buffer.normal.baseY).toBe(0);
        for (let y = 0; y < fb.rows; y++) {
          const want = wanted.lines[y]!;
          const got = shown.lines[y]!;
          // An erased cell is printed as a space: the same on screen and in the history.
          const blankAsSpace = (cells: typeof want.cells) => cells.map((cell) => (cell.text === '' && cell.width === 1 ? { ...cell, text: ' ' } : cell));
          expect(blankAsSpace(got.cells.slice(0, usedWidth(want.cells))), `row ${y}`).toEqual(blankAsSpace(want.cells.slice(0, usedWidth(want.cells))));
          // A wrap shows only once text runs on into the next row: a full row before an empty one stays unjoined.
          const runsOn = usedWidth(want.cells) === fb.cols && y + 1 < fb.rows && usedWidth(wanted.lines[y + 1]!.cells) > 0;
          if (runsOn) expect(got.wrapped, `row ${y} wrap`).toBe(want.wrapped === true);
        }
        // The pen is back to default: text printed next has no rendition.
        await t.write('x');
        const after = t.read();
        expect(after.lines[after.cursor.y]!.cells[after.cursor.x - 1]).toMatchObject({ text: 'x', fg: 0, bg: 0, attrs: 0 });
      }),
      { numRuns: 150 },
    );
  });
});
