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

/** Index: down one line keeping the column, scrolling at the bottom margin, like LF without output post-processing. */
export const IND = '\x1bD';

/**
 * CUP to a row beyond any screen: terminals clamp it to the last row. How the scrollback writer and the renderer reach
 * the bottom to push lines into the history: a window that shrank before its SIGWINCH reached us is shorter than any
 * row count we hold.
 */
export const BOTTOM_ROW = '\x1b[9999;1H';

/**
 * The shortest move from `from` to 0-based (toX, toY). The horizontal part goes first, so an absolute column move
 * (CR, CHA) clears a pending wrap before any vertical step. `lineFeeds: false` forbids IND (and LF), which xterm.js
 * treats as a hard line break: it clears the soft-wrap flag of every line it enters.
 */
export function cheapestMove(from: CursorBelief, toX: number, toY: number, lineFeeds = true): string {
  if (from.x === toX && from.y === toY) return '';
  // Each candidate is weighed by its length and only the winner is built: this runs for every row a frame draws, and
  // the strings and arrays of all the candidates were a fifth of a flood frame's garbage (docs/benchmarks.md,
  // session 19). On equal lengths the earlier candidate wins, in the order the comments give.
  void lineFeeds; // Never IND or LF, though cheaper: see verticalMove.
  const horizontal = horizontalMove(from.x, toX);
  const vertical = verticalMove(from.y, toY);
  const absoluteLength = 3 + (toY === 0 ? 0 : digits(toY + 1)) + (toX === 0 ? 0 : 1 + digits(toX + 1));
  if (absoluteLength <= horizontal.length + vertical.length) return absoluteMove(toX, toY);
  return moveText(horizontal) + moveText(vertical);
}

/** A move along one axis, not yet written out: `count` of the step `kind` (the CSI's parameter, or repeats). */
interface AxisMove {
  kind: '' | '\r' | 'G' | '\rC' | 'C' | 'D' | '\b' | 'd' | 'B' | 'A' | 'RI';
  count: number;
  length: number;
}

/** Characters of String(n). */
function digits(n: number): number {
  return Number.isInteger(n) && n >= 0 && n < 1000 ? (n < 10 ? 1 : n < 100 ? 2 : 3) : String(n).length;
}

/** Bytes of csi(n, final). */
function csiLength(n: number): number {
  // A parameter of 1 is left out (csi).
  return n === 1 ? 3 : 3 + digits(n);
}

function consider(best: AxisMove, kind: AxisMove['kind'], count: number, length: number): void {
  if (length < best.length) {
    best.kind = kind;
    best.count = count;
    best.length = length;
  }
}

/** The cheapest column move: none, CR or (CHA, CR + CUF), then CUF, or CUB and backspaces, in that order of preference. */
function horizontalMove(fromX: number | undefined, toX: number): AxisMove {
  const best: AxisMove = { kind: '', count: 0, length: Infinity };
  if (fromX === toX) consider(best, '', 0, 0);
  if (toX === 0) consider(best, '\r', 0, 1);
  else {
    consider(best, 'G', toX + 1, csiLength(toX + 1)); // CHA
    consider(best, '\rC', toX, 1 + csiLength(toX));
  }
  if (fromX !== undefined && toX > fromX) consider(best, 'C', toX - fromX, csiLength(toX - fromX)); // CUF
  if (fromX !== undefined && toX < fromX) {
    const left = fromX - toX;
    consider(best, 'D', left, csiLength(left)); // CUB
    if (left <= 4) consider(best, '\b', left, left);
  }
  return best;
}

/** The cheapest row move: VPA, none, then CUD, or CUU and RI, in that order of preference. */
function verticalMove(fromY: number | undefined, toY: number): AxisMove {
  const best: AxisMove = { kind: 'd', count: toY + 1, length: csiLength(toY + 1) }; // VPA
  if (fromY === toY) consider(best, '', 0, 0);
  if (fromY !== undefined && toY > fromY) {
    // Never IND or LF, though cheaper: at the bottom row they scroll, and a line scrolled off reaches the local
    // terminal's history, where only the scrollback writer may put lines. The bottom row is not always where the
    // renderer believes: a window that shrank before its SIGWINCH reached the client is shorter than the frame.
    // CUD stops at the bottom instead.
    consider(best, 'B', toY - fromY, csiLength(toY - fromY)); // CUD
  }
  if (fromY !== undefined && toY < fromY) {
    const up = fromY - toY;
    consider(best, 'A', up, csiLength(up)); // CUU
    if (up <= 2) consider(best, 'RI', up, 2 * up); // RI: 2 bytes, cheaper than CUU only for one step; two tie
  }
  return best;
}

function moveText(move: AxisMove): string {
  switch (move.kind) {
    case '':
      return '';
    case '\r':
      return '\r';
    case '\rC':
      return '\r' + csi(move.count, 'C');
    case '\b':
      return '\b'.repeat(move.count);
    case 'RI':
      return '\x1bM'.repeat(move.count);
    default:
      return csi(move.count, move.kind);
  }
}
