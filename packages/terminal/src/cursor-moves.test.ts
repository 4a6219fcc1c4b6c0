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

  it('chooses the same bytes as building every candidate and taking the first shortest (the implementation before session 19)', () => {
    const coordinate = fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 2000 }));
    fc.assert(
      fc.property(fc.option(coordinate, { nil: undefined }), fc.option(coordinate, { nil: undefined }), coordinate, coordinate, fc.boolean(), (fromX, fromY, toX, toY, lineFeeds) => {
        expect(cheapestMove({ x: fromX, y: fromY }, toX, toY, lineFeeds)).toBe(referenceCheapestMove({ x: fromX, y: fromY }, toX, toY));
      }),
      { numRuns: 5000 },
    );
  });
});

/** cheapestMove as it was: every candidate built, the first shortest taken. */
function referenceCheapestMove(from: { x: number | undefined; y: number | undefined }, toX: number, toY: number): string {
  const csi = (n: number, final: string): string => (n === 1 ? `\x1b[${final}` : `\x1b[${n}${final}`);
  const shortest = (candidates: readonly string[]): string => candidates.reduce((best, candidate) => (candidate.length < best.length ? candidate : best));
  if (from.x === toX && from.y === toY) return '';
  const horizontal: string[] = [];
  if (from.x === toX) horizontal.push('');
  if (toX === 0) horizontal.push('\r');
  else horizontal.push(csi(toX + 1, 'G'), '\r' + csi(toX, 'C'));
  if (from.x !== undefined && toX > from.x) horizontal.push(csi(toX - from.x, 'C'));
  if (from.x !== undefined && toX < from.x) {
    horizontal.push(csi(from.x - toX, 'D'));
    if (from.x - toX <= 4) horizontal.push('\b'.repeat(from.x - toX));
  }
  const vertical: string[] = [csi(toY + 1, 'd')];
  if (from.y === toY) vertical.push('');
  if (from.y !== undefined && toY > from.y) vertical.push(csi(toY - from.y, 'B'));
  if (from.y !== undefined && toY < from.y) {
    vertical.push(csi(from.y - toY, 'A'));
    if (from.y - toY <= 2) vertical.push('\x1bM'.repeat(from.y - toY));
  }
  return shortest([absoluteMove(toX, toY), shortest(horizontal) + shortest(vertical)]);
}
