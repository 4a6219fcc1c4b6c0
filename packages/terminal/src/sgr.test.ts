import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbAttrs, arbColor, arbUnderlineColor } from './arbitrary-framebuffer.test-helpers.js';
import { Attr, COLOR_PALETTE_16, COLOR_PALETTE_256, COLOR_RGB, UnderlineStyle, withUnderlineStyle } from './framebuffer.js';
import { DEFAULT_PEN, sanitizeColor, sanitizePen, sgrTransition, type Pen } from './sgr.js';
import { createTestTerminal } from './xterm-readback.test-helpers.js';

/** Pens with every underline style, and an underline colour on underlined ones. */
const arbPen: fc.Arbitrary<Pen> = fc
  .record({ fg: arbColor, bg: arbColor, attrs: arbAttrs, underlineColor: fc.option(arbUnderlineColor, { nil: undefined }) })
  .map(({ underlineColor, ...pen }) => (underlineColor !== undefined && pen.attrs & Attr.Underline ? { ...pen, underlineColor } : pen));

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
          expect({ fg: cell.fg, bg: cell.bg, attrs: cell.attrs, underlineColor: cell.underlineColor }).toEqual(to);
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

  it('writes underline styles as 4:N (plain 4 for single) and the underline colour as 58/59, only when they change', () => {
    const curly: Pen = { ...DEFAULT_PEN, attrs: withUnderlineStyle(0, UnderlineStyle.Curly) };
    const red: Pen = { ...curly, underlineColor: COLOR_RGB | 0xff0000 };
    expect(sgrTransition(DEFAULT_PEN, curly)).toBe('\x1b[4:3m');
    expect(sgrTransition(DEFAULT_PEN, { ...DEFAULT_PEN, attrs: Attr.Underline })).toBe('\x1b[4m');
    expect(sgrTransition(curly, red)).toBe('\x1b[58:2::255:0:0m');
    expect(sgrTransition(red, curly)).toBe('\x1b[59m');
    expect(sgrTransition(red, { ...red, attrs: withUnderlineStyle(0, UnderlineStyle.Double) })).toBe('\x1b[4:2m');
    expect(sgrTransition(curly, { ...curly, underlineColor: COLOR_PALETTE_256 | 196 })).toBe('\x1b[58:5:196m');
    expect(sgrTransition(undefined, red)).toBe('\x1b[0;4:3;58:2::255:0:0m');
    expect(sgrTransition(red, red)).toBe('');
    // Off with SGR 24, which clears the style; the colour goes with 59 (or the reset form, whichever is shorter).
    expect(sgrTransition(curly, DEFAULT_PEN)).toMatch(/^\x1b\[(24)?m$/);
  });

  it('sanitizes a pen to what the wire allows: a style or an underline colour only on an underlined pen', () => {
    expect(sanitizePen({ ...DEFAULT_PEN, attrs: withUnderlineStyle(0, UnderlineStyle.Curly) & ~Attr.Underline })).toEqual(DEFAULT_PEN);
    expect(sanitizePen({ ...DEFAULT_PEN, underlineColor: COLOR_RGB | 1 })).toEqual(DEFAULT_PEN);
    expect(sanitizePen({ ...DEFAULT_PEN, attrs: Attr.Underline | (7 << 9) })).toEqual({ ...DEFAULT_PEN, attrs: Attr.Underline });
    expect(sanitizePen({ ...DEFAULT_PEN, attrs: Attr.Underline, underlineColor: COLOR_PALETTE_16 | 1 })).toEqual({ ...DEFAULT_PEN, attrs: Attr.Underline });
    const red: Pen = { ...DEFAULT_PEN, attrs: Attr.Underline, underlineColor: COLOR_RGB | 0xff0000 };
    expect(sanitizePen(red)).toBe(red);
  });

  it('turns impossible colours into the default', () => {
    expect(sanitizeColor(COLOR_PALETTE_16 | 16)).toBe(0);
    expect(sanitizeColor(COLOR_PALETTE_256 | 256)).toBe(0);
    expect(sanitizeColor(-1)).toBe(0);
    expect(sanitizeColor(0.5)).toBe(0);
  });
});
