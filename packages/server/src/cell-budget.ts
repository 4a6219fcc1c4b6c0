/**
 * A bound on what one cell of the mirror may hold.
 *
 * xterm keeps every combining mark a program prints after a base character in that cell's string, without limit:
 * `e` followed by two million U+0301 took 1 s of the shared daemon's CPU, 119 MB of its heap, and would have put a
 * two-million-character cell on every client's wire. A `cat` of a binary file prints such runs by accident. Unicode's
 * own Stream-Safe Text Format (UAX #15) caps a run of non-starters at 30; real text (Zalgo aside, emoji ZWJ
 * sequences included) stays far below that. So a cell keeps at most MAX_CELL_TEXT_UNITS UTF-16 code units (the
 * terminal package's rule, which clients apply too) and drops further marks, counted.
 *
 * The cap sits on xterm's BufferLine.addCodepointToCell, the one place a cell's string grows, reached through a
 * live line's prototype (private API, checked; the shape is @xterm/headless 6.0's). The prototype is shared by all
 * terminals in the process, so the patch is made once and the count is the daemon's.
 */
import type { Terminal } from '@xterm/headless';
import { MAX_CELL_TEXT_UNITS } from '@tsmosh/terminal';

interface BufferLineShape {
  addCodepointToCell(index: number, codePoint: number, width: number): void;
  _combined?: Record<number, string>;
}

const PATCHED = Symbol.for('tsmosh.cellBudget');
let droppedMarks = 0;

/** Combining marks dropped across the daemon because their cell was full. */
export function droppedCombiningMarks(): number {
  return droppedMarks;
}

/** Installs the cap on the BufferLine class `term` uses (once per process). */
export function limitCellContents(term: Terminal): void {
  const line = (term as unknown as { _core?: { buffer?: { lines?: { get(index: number): unknown } } } })._core?.buffer?.lines?.get(0);
  const proto = line === undefined ? undefined : (Object.getPrototypeOf(line) as BufferLineShape & { [PATCHED]?: true });
  if (proto === undefined || typeof proto.addCodepointToCell !== 'function') {
    throw new Error(
      '@xterm/headless internals changed: BufferLine.addCodepointToCell is missing; update packages/server/src/cell-budget.ts for the installed version.',
    );
  }
  if (proto[PATCHED]) return;
  const add = proto.addCodepointToCell;
  proto.addCodepointToCell = function (this: BufferLineShape, index: number, codePoint: number, width: number): void {
    const held = this._combined?.[index];
    if (held !== undefined && held.length >= MAX_CELL_TEXT_UNITS) {
      droppedMarks++;
      return;
    }
    add.call(this, index, codePoint, width);
  };
  proto[PATCHED] = true;
}
