import { describe, expect, it } from 'vitest';
import { blankFramebuffer, blankRow, framebuffersEqual, BLANK_CELL } from './framebuffer.js';

describe('framebuffer', () => {
  it('shares blank rows and compares whole states', () => {
    const a = blankFramebuffer(80, 24);
    const b = blankFramebuffer(80, 24);
    expect(a.lines[0]).toBe(blankRow(80));
    expect(framebuffersEqual(a, b)).toBe(true);
    const c = { ...b, title: 'x' };
    expect(framebuffersEqual(a, c)).toBe(false);
    const d = { ...b, lines: b.lines.map((row, y) => (y === 3 ? { ...row, cells: row.cells.map((cell, x) => (x === 5 ? { ...BLANK_CELL, text: 'a' } : cell)) } : row)) };
    expect(framebuffersEqual(a, d)).toBe(false);
  });
  it('rejects impossible sizes', () => {
    expect(() => blankFramebuffer(0, 24)).toThrow(RangeError);
  });
});
