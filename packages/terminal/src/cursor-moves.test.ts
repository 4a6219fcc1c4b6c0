import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { absoluteMove, cheapestMove } from './cursor-moves.js';
import { createTestTerminal } from './xterm-readback.test-helpers.js';

describe('cheapestMove', () => {
  it('lands exactly on the target in a real terminal, and is never longer than CUP', async () => {
    const t = createTestTerminal(30, 12);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 0, max: 29 }),
          fc.integer({ min: 0, max: 11 }),
          fc.integer({ min: 0, max: 29 }),
          fc.integer({ min: 0, max: 11 }),
          fc.boolean(),
          async (fromX, fromY, toX, toY, lineFeeds) => {
            await t.write(absoluteMove(fromX, fromY));
            const move = cheapestMove({ x: fromX, y: fromY }, toX, toY, lineFeeds);
            await t.write(move);
            const buffer = t.term.buffer.active;
            expect([buffer.cursorX, buffer.cursorY]).toEqual([toX, toY]);
            expect(move.length).toBeLessThanOrEqual(absoluteMove(toX, toY).length);
            if (!lineFeeds) expect(move).not.toContain('\n');
          },
        ),
        { numRuns: 500 },
      );
    } finally {
      t.dispose();
    }
  });

  it('moves from an unknown column (pending wrap) with absolute column moves only', async () => {
    const t = createTestTerminal(10, 4);
    try {
      for (let toX = 0; toX < 10; toX++) {
        for (let toY = 0; toY < 4; toY++) {
          await t.write('\x1b[2;1H0123456789'); // pending wrap at the end of row 1
          await t.write(cheapestMove({ x: undefined, y: 1 }, toX, toY));
          expect([t.term.buffer.active.cursorX, t.term.buffer.active.cursorY]).toEqual([toX, toY]);
        }
      }
    } finally {
      t.dispose();
    }
  });

  it('picks the short forms', () => {
    expect(cheapestMove({ x: 5, y: 3 }, 5, 3)).toBe('');
    // Down by CUP or CUD, never a line feed (which would scroll at a bottom row that moved up unannounced).
    expect(cheapestMove({ x: 5, y: 3 }, 0, 4)).toBe('\x1b[5H');
    expect(cheapestMove({ x: 5, y: 3 }, 4, 3)).toBe('\b');
    expect(cheapestMove({ x: 5, y: 3 }, 15, 3)).toHaveLength(5); // CUF 10 or CHA 16
    expect(cheapestMove({ x: 5, y: 3 }, 5, 2)).toBe('\x1bM');
    expect(cheapestMove({ x: undefined, y: undefined }, 0, 0)).toBe('\x1b[H');
    expect(absoluteMove(4, 0)).toBe('\x1b[;5H');
    expect(absoluteMove(0, 9)).toBe('\x1b[10H');
  });
});
