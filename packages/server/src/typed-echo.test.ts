import { describe, expect, it } from 'vitest';
import { BLANK_CELL, blankFramebuffer, type Framebuffer } from '@tsmosh/terminal';
import { cellTextOf, cursorAwayFromKey, cursorCellOf, showsEcho, typedKeyOf } from './typed-echo.js';

/** An 20×3 screen whose row `y` reads `text` (a wide character followed by its empty second half), cursor at (x, y). */
function screen(y: number, cells: readonly string[], x: number): Framebuffer {
  const blank = blankFramebuffer(20, 3);
  const row = { cells: blank.lines[y]!.cells.map((cell, i) => (i < cells.length ? { ...BLANK_CELL, text: cells[i]! } : cell)), wrapped: false };
  return { ...blank, lines: blank.lines.map((line, i) => (i === y ? row : line)), cursor: { ...blank.cursor, x, y } };
}
const shows = (key: ReturnType<typeof typedKeyOf>, after: Framebuffer): boolean =>
  showsEcho(key!, after.cursor, (x, y) => cellTextOf(after, x, y));
const typed = (text: string, x: number, y: number) => typedKeyOf(new TextEncoder().encode(text), { x, y });

describe('typed-echo: recognising a typed character\'s echo', () => {
  it('sees the typed character just before the moved cursor, wherever the cursor was when the key was written', () => {
    expect(shows(typed('t', 2, 2), screen(2, ['$', ' ', 't'], 3))).toBe(true);
    // Written while a half-drawn screen had the cursor in another pane: still recognised by the character.
    expect(shows(typed('t', 0, 0), screen(2, ['$', ' ', 't'], 3))).toBe(true);
    // A wide character: the cell before the cursor is its second half.
    expect(shows(typed('宽', 2, 2), screen(2, ['$', ' ', '宽', ''], 4))).toBe(true);
  });

  it('does not take the cursor gone elsewhere, another character, or an unmoved cursor for the echo', () => {
    expect(shows(typed('t', 2, 2), screen(0, ['1', '2', '3'], 3))).toBe(false); // tmux drawing its other pane
    expect(shows(typed('t', 2, 2), screen(2, ['$', ' ', 'y'], 3))).toBe(false);
    expect(shows(typed('t', 3, 2), screen(2, ['$', ' ', 't'], 3))).toBe(false); // already there when typed
  });

  it('watches printable characters only: backspace leaves nothing to recognise', () => {
    expect(typed('\x7f', 2, 2)).toBeUndefined();
    expect(typed('é', 2, 2)).toEqual({ text: 'é', x: 2, y: 2 });
    expect(typed(' ', 2, 2)).toEqual({ text: ' ', x: 2, y: 2 });
  });

  it('reads a screen\'s cursor cell as the mark, and nothing outside the screen', () => {
    const s = screen(1, ['a', 'b'], 1);
    expect(cursorCellOf(s)).toEqual({ x: 1, y: 1, text: 'b' });
    expect(cellTextOf(s, -1, 1)).toBe('');
    expect(cellTextOf(s, 0, 5)).toBe('');
  });

  it('calls the cursor away from a typed key on another row without its echo, not along the row, a wrap or a command line', () => {
    const away = (key: ReturnType<typeof typedKeyOf>, after: Framebuffer): boolean =>
      cursorAwayFromKey({ x: 2, y: 2, text: '' }, key, cursorCellOf(after), (x, y) => cellTextOf(after, x, y));
    expect(away(typed('t', 2, 2), screen(0, ['1', '2', '3'], 3))).toBe(true); // tmux drawing its other pane
    expect(away(typed('j', 2, 2), screen(1, ['a', 'b'], 1))).toBe(true); // vim's j: the session's quiet rule decides
    expect(away(undefined, screen(1, ['a', 'b'], 1))).toBe(true); // backspace: nothing to recognise
    expect(away(typed('t', 2, 2), screen(2, ['$', ' ', 't'], 3))).toBe(false); // the echo
    expect(away(typed('h', 2, 2), screen(2, ['$', ' ', 't'], 1))).toBe(false); // moved along the row
    expect(away(typed(':', 2, 2), screen(1, [':'], 1))).toBe(false); // vim's command line, another row, echoed
  });
});
