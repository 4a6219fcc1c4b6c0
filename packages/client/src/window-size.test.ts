import { describe, expect, it } from 'vitest';
import { MAX_SCREEN_COLS, MAX_SCREEN_ROWS } from '@tsmosh/terminal';
import { sessionSizeArguments, ttyWindowSize } from './window-size.js';

const terminal = (cols: number, rows: number, isTTY = true) =>
  ({ isTTY, columns: 1, rows: 1, getWindowSize: () => [cols, rows] }) as unknown as NodeJS.WriteStream;

describe('the window size a session starts at', () => {
  it("asks the tty, not Node's columns and rows (which follow SIGWINCH later), and has none without a terminal", () => {
    expect(ttyWindowSize(terminal(100, 30))).toEqual({ cols: 100, rows: 30 });
    expect(ttyWindowSize(terminal(100, 30, false))).toBeUndefined();
    // A pty nobody sized yet reports 0x0: no size rather than a screen of nothing.
    expect(ttyWindowSize(terminal(0, 0))).toBeUndefined();
  });

  it('passes --size COLSxROWS for tsmosh-server new, clamped to what the wire carries, and nothing without a window', () => {
    expect(sessionSizeArguments({ cols: 100, rows: 30 })).toEqual(['--size', '100x30']);
    expect(sessionSizeArguments({ cols: MAX_SCREEN_COLS + 1, rows: MAX_SCREEN_ROWS + 1 })).toEqual(['--size', `${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS}`]);
    expect(sessionSizeArguments(undefined)).toEqual([]);
  });
});
