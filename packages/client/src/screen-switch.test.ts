import { describe, expect, it } from 'vitest';
import { Renderer, blankFramebuffer, type Framebuffer } from '@tsmosh/terminal';
import { normalScreenBelowAlternate } from './screen-switch.js';

const withText = (fb: Framebuffer, text: string): Framebuffer => ({
  ...fb,
  lines: fb.lines.map((line, y) => (y === 0 ? { ...line, cells: line.cells.map((cell, x) => ({ ...cell, text: text[x] ?? cell.text })) } : line)),
});

describe('the normal screen below the alternate one', () => {
  const window = { cols: 10, rows: 3 };
  const shell = withText(blankFramebuffer(10, 3), '$ vim');

  it('is left as it is when nothing drew over it: the last normal frame, or what the terminal showed before', () => {
    expect(normalScreenBelowAlternate(new Renderer(), false, shell, window)).toEqual({ bytes: '', shows: shell });
    expect(normalScreenBelowAlternate(new Renderer(), false, undefined, window)).toEqual({ bytes: '', shows: undefined });
  });

  it('is repainted as the last normal frame after the history writer drew over it, or blank when that no longer fits', () => {
    const again = normalScreenBelowAlternate(new Renderer(), true, shell, window);
    expect(again.shows).toBe(shell);
    expect(again.bytes).toContain('$ vim');
    const resized = normalScreenBelowAlternate(new Renderer(), true, shell, { cols: 12, rows: 3 });
    expect([resized.shows?.cols, resized.shows?.rows]).toEqual([12, 3]);
    expect(resized.bytes).not.toContain('vim');
    expect(resized.shows?.lines.every((line) => line.cells.every((cell) => cell.text === ' ' || cell.text === ''))).toBe(true);
  });
});
