/**
 * The warm-up of a key's draw (key-draw-warmup.ts) must run the path a predicted key takes, guesses shown and drawn
 * by their rows, or it warms nothing: its bytes, written on a terminal emulator, show the keys typed at its prompt.
 */
import { describe, expect, it } from 'vitest';
import { rowText } from './framebuffer.js';
import { warmKeyDraw } from './key-draw-warmup.js';
import { createTestTerminal } from './xterm-readback.test-helpers.js';

describe('warmKeyDraw', () => {
  it("draws each key's guess by its row, underlined as on a long round trip", async () => {
    const out = warmKeyDraw(80, 24);
    const terminal = createTestTerminal(80, 24);
    try {
      await terminal.write('$ ');
      await terminal.write(out);
      const screen = terminal.read();
      expect(rowText(screen.lines[0]!).trimEnd()).toBe('$ ab');
      expect(screen.lines[0]!.cells[2]!.attrs).not.toBe(0); // the guess's underline: the flagged path
      expect(screen.cursor).toMatchObject({ x: 4, y: 0 });
    } finally {
      terminal.dispose();
    }
  });

  it('draws on a screen too small for its prompt and keys', () => {
    for (const [cols, rows] of [
      [1, 1],
      [3, 1],
      [200, 60],
    ] as const) {
      expect(warmKeyDraw(cols, rows)).toContain('b');
    }
  });
});
