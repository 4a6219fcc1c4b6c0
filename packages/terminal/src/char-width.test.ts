import xterm from '@xterm/headless';
import { Unicode11Addon } from '@xterm/addon-unicode11';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { charWidth } from './char-width.js';

describe('charWidth', () => {
  const terminal = new xterm.Terminal({ allowProposedApi: true });
  terminal.loadAddon(new Unicode11Addon());
  terminal.unicode.activeVersion = '11';
  // The server's mirror measures with this table; a drift would misplace every predicted character after it.
  const xtermWidth = (codePoint: number): number =>
    (terminal as unknown as { _core: { unicodeService: { wcwidth(cp: number): number } } })._core.unicodeService.wcwidth(codePoint);

  it('agrees with xterm unicode11 on every code point from U+00A0 (generated table is current)', () => {
    const mismatches: string[] = [];
    for (let codePoint = 0xa0; codePoint <= 0x10ffff && mismatches.length < 5; codePoint++) {
      if (charWidth(codePoint) !== xtermWidth(codePoint)) mismatches.push(codePoint.toString(16));
    }
    expect(mismatches, 'run node scripts/generate-char-width.cjs').toEqual([]);
  });

  it('knows the characters people type', () => {
    expect(charWidth('a'.codePointAt(0)!)).toBe(1);
    expect(charWidth('ü'.codePointAt(0)!)).toBe(1);
    expect(charWidth('宽'.codePointAt(0)!)).toBe(2);
    expect(charWidth('😀'.codePointAt(0)!)).toBe(2);
    expect(charWidth(0x301)).toBe(0);
    expect(charWidth(0x1b)).toBe(0);
  });

  it('agrees with xterm on random printable code points', () => {
    fc.assert(fc.property(fc.integer({ min: 0xa0, max: 0x10ffff }), (cp) => charWidth(cp) === xtermWidth(cp)));
  });
});
