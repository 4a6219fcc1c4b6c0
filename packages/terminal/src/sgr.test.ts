import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbAttrs, arbColor } from './arbitrary-framebuffer.test-helpers.js';
import { Attr, COLOR_PALETTE_16, COLOR_PALETTE_256 } from './framebuffer.js';
import { DEFAULT_PEN, sanitizeColor, sgrTransition, type Pen } from './sgr.js';
import { createTestTerminal } from './xterm-readback.test-helpers.js';

const arbPen: fc.Arbitrary<Pen> = fc.record({ fg: arbColor, bg: arbColor, attrs: arbAttrs });

describe('sgrTransition', () => {
  it('turns any pen into any other in a real terminal, never longer than a reset', async () => {
    const t = createTestTerminal(4, 2);
    try {
      await fc.assert(
        fc.asyncProperty(arbPen, arbPen, async (from, to) => {
          await t.write('\x1b[H' + sgrTransition(undefined, from));
          const change = sgrTransition(from, to);
          await t.write(change + 'x\b');
          const cell = t.read().lines[0]!.cells[0]!;
          expect({ fg: cell.fg, bg: cell.bg, attrs: cell.attrs }).toEqual(to);
          expect(change.length).toBeLessThanOrEqual(sgrTransition(undefined, to).length);
        }),
        { numRuns: 500 },
      );
    } finally {
      t.dispose();
    }
  });

  it('writes nothing when nothing changes, and the shortest known forms', () => {
    const bold: Pen = { ...DEFAULT_PEN, attrs: Attr.Bold };
    expect(sgrTransition(bold, bold)).toBe('');
    expect(sgrTransition(undefined, DEFAULT_PEN)).toBe('\x1b[m');
    expect(sgrTransition(DEFAULT_PEN, bold)).toBe('\x1b[1m');
    expect(sgrTransition({ ...DEFAULT_PEN, attrs: Attr.Bold | Attr.Dim }, { ...DEFAULT_PEN, attrs: Attr.Dim })).toMatch(/^\x1b\[(22;2|0;2)m$/);
    expect(sgrTransition(DEFAULT_PEN, { ...DEFAULT_PEN, fg: COLOR_PALETTE_16 | 12 })).toBe('\x1b[94m');
    expect(sgrTransition(DEFAULT_PEN, { ...DEFAULT_PEN, bg: COLOR_PALETTE_16 | 8 })).toBe('\x1b[100m');
    expect(sgrTransition(DEFAULT_PEN, { ...DEFAULT_PEN, fg: COLOR_PALETTE_256 | 3 })).toBe('\x1b[38;5;3m');
  });

  it('turns impossible colours into the default', () => {
    expect(sanitizeColor(COLOR_PALETTE_16 | 16)).toBe(0);
    expect(sanitizeColor(COLOR_PALETTE_256 | 256)).toBe(0);
    expect(sanitizeColor(-1)).toBe(0);
    expect(sanitizeColor(0.5)).toBe(0);
  });
});
