/**
 * The cheapest byte sequence that moves a terminal's cursor from where it is to where it must be.
 *
 * Assumes what the renderer guarantees while it moves the cursor: the scroll region is the whole screen (so LF and
 * RI never scroll on the way to a row inside the screen), origin mode and LNM are off (enter() resets them).
 */

/** Where the renderer believes the cursor is. `undefined` = not known (e.g. pending wrap after the last column). */
export interface CursorBelief {
  readonly x: number | undefined;
  readonly y: number | undefined;
}

function csi(n: number, final: string): string {
  // A parameter of 1 is the default for every sequence used here, so it can be left out.
  return n === 1 ? `\x1b[${final}` : `\x1b[${n}${final}`;
}

/** CUP to 0-based (x, y), with default (1) parameters omitted: ESC[H, ESC[5H, ESC[;5H. */
export function absoluteMove(x: number, y: number): string {
  const row = y === 0 ? '' : String(y + 1);
  const col = x === 0 ? '' : `;${x + 1}`;
  return `\x1b[${row}${col}H`;
}

function shortest(candidates: readonly string[]): string {
  let best = candidates[0]!;
  for (const candidate of candidates) if (candidate.length < best.length) best = candidate;
  return best;
}

function horizontalMoves(fromX: number | undefined, toX: number): string[] {
  const moves: string[] = [];
  if (fromX === toX) moves.push('');
  if (toX === 0) moves.push('\r');
  else {
    moves.push(csi(toX + 1, 'G')); // CHA
    moves.push('\r' + csi(toX, 'C'));
  }
  if (fromX !== undefined && toX > fromX) moves.push(csi(toX - fromX, 'C')); // CUF
  if (fromX !== undefined && toX < fromX) {
    const left = fromX - toX;
    moves.push(csi(left, 'D')); // CUB
    if (left <= 4) moves.push('\b'.repeat(left));
  }
  return moves;
}

/** Index: down one line keeping the column, scrolling at the bottom margin, like LF without output post-processing. */
export const IND = '\x1bD';

/**
 * CUP to a row beyond any screen: terminals clamp it to the last row. How the scrollback writer and the renderer reach
 * the bottom to push lines into the history: a window that shrank before its SIGWINCH reached us is shorter than any
 * row count we hold.
 */
export const BOTTOM_ROW = '\x1b[9999;1H';

function verticalMoves(fromY: number | undefined, toY: number, lineFeeds: boolean, toColumnZero: boolean): string[] {
  const moves: string[] = [csi(toY + 1, 'd')]; // VPA
  if (fromY === toY) moves.push('');
  if (fromY !== undefined && toY > fromY) {
    const down = toY - fromY;
    moves.push(csi(down, 'B')); // CUD
    // Never IND or LF, though cheaper: at the bottom row they scroll, and a line scrolled off reaches the local
    // terminal's history, where only the scrollback writer may put lines. The bottom row is not always where the
    // renderer believes: a window that shrank before its SIGWINCH reached the client is shorter than the frame.
    // CUD stops at the bottom instead.
    void lineFeeds;
    void toColumnZero;
  }
  if (fromY !== undefined && toY < fromY) {
    const up = fromY - toY;
    moves.push(csi(up, 'A')); // CUU
    if (up <= 2) moves.push('\x1bM'.repeat(up)); // RI: 2 bytes, cheaper than CUU only for one step; two tie
  }
  return moves;
}

/**
 * The shortest move from `from` to 0-based (toX, toY). The horizontal part goes first, so an absolute column move
 * (CR, CHA) clears a pending wrap before any vertical step. `lineFeeds: false` forbids IND (and LF), which xterm.js
 * treats as a hard line break: it clears the soft-wrap flag of every line it enters.
 */
export function cheapestMove(from: CursorBelief, toX: number, toY: number, lineFeeds = true): string {
  if (from.x === toX && from.y === toY) return '';
  const candidates = [absoluteMove(toX, toY)];
  const horizontal = shortest(horizontalMoves(from.x, toX));
  const vertical = shortest(verticalMoves(from.y, toY, lineFeeds, toX === 0));
  candidates.push(horizontal + vertical);
  return shortest(candidates);
}
