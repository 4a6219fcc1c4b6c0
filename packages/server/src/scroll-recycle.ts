/**
 * Scrolling a scroll region (SU, `CSI n S`) by moving its lines instead of allocating new ones, and erasing part of a
 * line (EL, and ED's rows) by copying cells from a blank line instead of writing them one by one.
 *
 * tmux scrolls a pane with a scroll region and SU. @xterm/headless 6.0.0 does each scrolled line as two splices of
 * its line list and a new blank line (a BufferLine and its cell array, built cell by cell), and drops the line that
 * left the region: in a two-pane tmux flood that was 130–165 ms of the daemon's ~1 s of CPU per `seq 1 3000000`,
 * much of it garbage collection (docs/benchmarks-journal.md, "The daemon's CPU per flood"). Here the region's lines are
 * rotated in place and the lines that leave its top come back at its bottom, blanked by copying a cached blank line
 * xterm itself made with the same erase colour and width. The buffer ends up holding the same cells, wrap flags and
 * order as xterm's own path leaves (scroll-recycle.test.ts compares the two on random traffic).
 *
 * tmux then writes each line of the pane followed by EL (`CSI K`), which xterm does by writing the erase cell into
 * every cell to the end of the line, 3 words each through a generic setter: ~70 cells a line, the largest single
 * function left in a warm flood's profile. The same words are in the cached blank line, so they are copied from it
 * with one typed-array copy; the wide-character edges are still mended through xterm's own cell setter.
 *
 * Private state (verified against @xterm/headless 6.0.0): `_core._inputHandler.scrollUp` and `._eraseInBufferLine`,
 * `._activeBuffer` (`lines.get/set`, `ybase`, `scrollTop/Bottom`, `getBlankLine`, `getNullCell`, `markers`),
 * `._eraseAttrData()` and `._dirtyRowTracker.markRangeDirty`, and BufferLine's `copyFrom`, `getWidth`,
 * `setCellFromCodepoint` and its cell words `_data` (3 words a cell). When any of it is missing (another xterm
 * version) nothing is patched and xterm's own SU and EL run: slower, never wrong. A buffer with markers (tsmosh
 * registers none) also takes xterm's SU, whose splices move them; an erase that keeps protected cells (DECSEL/DECSED)
 * takes xterm's EL.
 */
import type { Terminal } from '@xterm/headless';

interface AttrShape {
  fg: number;
  bg: number;
}

interface LineShape {
  length: number;
  isWrapped: boolean;
  _data: Uint32Array;
  copyFrom(line: LineShape): void;
  getWidth(index: number): number;
  setCellFromCodepoint(index: number, codePoint: number, width: number, attrs: AttrShape): void;
}

/** xterm's CELL_SIZE: the words of one cell in a line's `_data` (content, foreground, background). */
const CELL_WORDS = 3;

interface LinesShape {
  get(index: number): LineShape | undefined;
  set(index: number, line: LineShape): void;
  length: number;
}

interface BufferShape {
  lines: LinesShape;
  ybase: number;
  scrollTop: number;
  scrollBottom: number;
  markers: unknown[];
  getBlankLine(attr: AttrShape, isWrapped?: boolean): LineShape;
  getNullCell(attr: AttrShape): AttrShape;
}

interface ParamsShape {
  params: Int32Array;
  length: number;
}

interface InputHandlerShape {
  scrollUp?: unknown;
  _eraseInBufferLine?: unknown;
  _activeBuffer?: Partial<BufferShape>;
  _eraseAttrData?: unknown;
  _dirtyRowTracker?: { markRangeDirty?: unknown };
}

/** Why the recycling was not installed, or undefined when it was. */
export type ScrollRecycleRefusal = string | undefined;

function shapeProblem(handler: InputHandlerShape | undefined): ScrollRecycleRefusal {
  if (handler === undefined) return '_core._inputHandler is missing';
  if (typeof handler.scrollUp !== 'function') return '_inputHandler.scrollUp is missing';
  if (typeof handler._eraseInBufferLine !== 'function') return '_inputHandler._eraseInBufferLine is missing';
  if (typeof handler._eraseAttrData !== 'function') return '_inputHandler._eraseAttrData is missing';
  if (typeof handler._dirtyRowTracker?.markRangeDirty !== 'function') return '_inputHandler._dirtyRowTracker.markRangeDirty is missing';
  const buffer = handler._activeBuffer;
  if (buffer === undefined) return '_inputHandler._activeBuffer is missing';
  const lines = buffer.lines;
  if (lines === undefined || typeof lines.get !== 'function' || typeof lines.set !== 'function') return 'the buffer lines lack get/set';
  if (typeof buffer.getBlankLine !== 'function' || typeof buffer.getNullCell !== 'function') return 'the buffer lacks getBlankLine/getNullCell';
  if (!Array.isArray(buffer.markers)) return 'the buffer lacks its markers array';
  if (typeof buffer.ybase !== 'number' || typeof buffer.scrollTop !== 'number' || typeof buffer.scrollBottom !== 'number') {
    return 'the buffer lacks ybase/scrollTop/scrollBottom';
  }
  const line = lines.get(buffer.ybase);
  if (
    line === undefined ||
    typeof line.copyFrom !== 'function' ||
    typeof line.getWidth !== 'function' ||
    typeof line.setCellFromCodepoint !== 'function' ||
    typeof line.isWrapped !== 'boolean' ||
    !(line._data instanceof Uint32Array) ||
    line._data.length < line.length * CELL_WORDS
  ) {
    return 'a buffer line lacks copyFrom/getWidth/setCellFromCodepoint/isWrapped or its cell words _data';
  }
  return undefined;
}

/**
 * Makes `term`'s SU recycle the lines that leave the region and its EL copy blank cells. Returns why it did not
 * (xterm's private shape differs from the one verified; SU and EL then stay xterm's own), or undefined once
 * installed. Install it before anything else wraps `scrollUp` (count-budget.ts), so that those wrappers run first.
 */
export function recycleScrolledLines(term: Terminal): ScrollRecycleRefusal {
  const handler = (term as unknown as { _core?: { _inputHandler?: InputHandlerShape } })._core?._inputHandler;
  const problem = shapeProblem(handler);
  if (problem !== undefined) return problem;
  const h = handler as Required<InputHandlerShape> & { _activeBuffer: BufferShape };
  const original = (h.scrollUp as (params: ParamsShape) => boolean).bind(h);
  const originalErase = (h._eraseInBufferLine as EraseInBufferLine).bind(h);
  const eraseAttr = (h._eraseAttrData as () => AttrShape).bind(h);
  const dirty = h._dirtyRowTracker as { markRangeDirty(start: number, end: number): void };
  // The blank line xterm makes for the last erase colour and width, copied into each recycled line.
  let blank: LineShape | undefined;
  let blankBuffer: BufferShape | undefined;
  let blankFg = 0;
  let blankBg = 0;
  let blankCols = -1;
  // The lines leaving the region in one SU, reused across calls (at most the screen's height).
  const leaving: LineShape[] = [];

  /** The blank line for the active buffer's erase colour and the width now: xterm's own, made on a change. */
  const blankFor = (buffer: BufferShape, attr: AttrShape): LineShape => {
    const cols = term.cols;
    if (blank === undefined || blankBuffer !== buffer || blankFg !== attr.fg || blankBg !== attr.bg || blankCols !== cols) {
      blank = buffer.getBlankLine(attr);
      blankBuffer = buffer;
      blankFg = attr.fg;
      blankBg = attr.bg;
      blankCols = cols;
    }
    return blank;
  };

  h.scrollUp = (params: ParamsShape): boolean => {
    // Read per call: xterm swaps the active buffer on ?1049 and replaces both on RIS and on a resize's reflow.
    const buffer = h._activeBuffer;
    if (buffer.markers.length > 0) return original(params);
    const blank = blankFor(buffer, eraseAttr());
    const lines = buffer.lines;
    const top = buffer.ybase + buffer.scrollTop;
    const bottom = buffer.ybase + buffer.scrollBottom;
    const height = bottom - top + 1;
    // xterm scrolls one line per count, so a count of the region's height or more leaves every line blank.
    const count = Math.min(params.params[0] || 1, height);
    for (let i = 0; i < count; i++) {
      const line = lines.get(top + i);
      if (line === undefined) return original(params);
      leaving[i] = line;
    }
    for (let row = top; row + count <= bottom; row++) lines.set(row, lines.get(row + count)!);
    for (let i = 0; i < count; i++) {
      const line = leaving[i]!;
      line.copyFrom(blank);
      lines.set(bottom - count + 1 + i, line);
    }
    dirty.markRangeDirty(buffer.scrollTop, buffer.scrollBottom);
    return true;
  };

  // xterm's BufferLine.replaceCells with the erase cell, its words copied from the blank line instead of set one by one.
  h._eraseInBufferLine = (y: number, start: number, end: number, clearWrap = false, respectProtect = false): void => {
    const buffer = h._activeBuffer;
    const line = buffer.lines.get(buffer.ybase + y);
    if (respectProtect || line === undefined) return originalErase(y, start, end, clearWrap, respectProtect);
    const attr = eraseAttr();
    const blank = blankFor(buffer, attr);
    const stop = Math.min(end, line.length);
    if (line.length !== blank.length || line._data.length < line.length * CELL_WORDS) {
      return originalErase(y, start, end, clearWrap, respectProtect);
    }
    // A wide character cut in half by the erase leaves an ordinary blank cell in its other half, as xterm does.
    if (start > 0 && line.getWidth(start - 1) === 2) line.setCellFromCodepoint(start - 1, 0, 1, buffer.getNullCell(attr));
    if (end < line.length && line.getWidth(end - 1) === 2) line.setCellFromCodepoint(end, 0, 1, buffer.getNullCell(attr));
    if (start < stop) line._data.set(blank._data.subarray(start * CELL_WORDS, stop * CELL_WORDS), start * CELL_WORDS);
    if (clearWrap) line.isWrapped = false;
  };
  return undefined;
}

type EraseInBufferLine = (y: number, start: number, end: number, clearWrap?: boolean, respectProtect?: boolean) => void;
