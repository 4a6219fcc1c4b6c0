/**
 * Scrolling a scroll region (SU, `CSI n S`) by moving its lines instead of allocating new ones.
 *
 * tmux scrolls a pane with a scroll region and SU. @xterm/headless 6.0.0 does each scrolled line as two splices of
 * its line list and a new blank line (a BufferLine and its cell array, built cell by cell), and drops the line that
 * left the region: in a two-pane tmux flood that was 130–165 ms of the daemon's ~1 s of CPU per `seq 1 3000000`,
 * much of it garbage collection (docs/benchmarks.md, "The daemon's CPU per flood"). Here the region's lines are
 * rotated in place and the lines that leave its top come back at its bottom, blanked by copying a cached blank line
 * xterm itself made with the same erase colour and width. The buffer ends up holding the same cells, wrap flags and
 * order as xterm's own path leaves (scroll-recycle.test.ts compares the two on random traffic).
 *
 * Private state (verified against @xterm/headless 6.0.0): `_core._inputHandler.scrollUp`, `._activeBuffer`
 * (`lines.get/set`, `ybase`, `scrollTop/Bottom`, `getBlankLine`, `markers`), `._eraseAttrData()` and
 * `._dirtyRowTracker.markRangeDirty`, and BufferLine's `copyFrom`. When any of it is missing (another xterm version)
 * nothing is patched and xterm's own SU runs: slower, never wrong. A buffer with markers (tsmosh registers none)
 * also takes xterm's path, whose splices move them.
 */
import type { Terminal } from '@xterm/headless';

interface AttrShape {
  fg: number;
  bg: number;
}

interface LineShape {
  length: number;
  isWrapped: boolean;
  copyFrom(line: LineShape): void;
}

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
}

interface ParamsShape {
  params: Int32Array;
  length: number;
}

interface InputHandlerShape {
  scrollUp?: unknown;
  _activeBuffer?: Partial<BufferShape>;
  _eraseAttrData?: unknown;
  _dirtyRowTracker?: { markRangeDirty?: unknown };
}

/** Why the recycling was not installed, or undefined when it was. */
export type ScrollRecycleRefusal = string | undefined;

function shapeProblem(handler: InputHandlerShape | undefined): ScrollRecycleRefusal {
  if (handler === undefined) return '_core._inputHandler is missing';
  if (typeof handler.scrollUp !== 'function') return '_inputHandler.scrollUp is missing';
  if (typeof handler._eraseAttrData !== 'function') return '_inputHandler._eraseAttrData is missing';
  if (typeof handler._dirtyRowTracker?.markRangeDirty !== 'function') return '_inputHandler._dirtyRowTracker.markRangeDirty is missing';
  const buffer = handler._activeBuffer;
  if (buffer === undefined) return '_inputHandler._activeBuffer is missing';
  const lines = buffer.lines;
  if (lines === undefined || typeof lines.get !== 'function' || typeof lines.set !== 'function') return 'the buffer lines lack get/set';
  if (typeof buffer.getBlankLine !== 'function') return 'the buffer lacks getBlankLine';
  if (!Array.isArray(buffer.markers)) return 'the buffer lacks its markers array';
  if (typeof buffer.ybase !== 'number' || typeof buffer.scrollTop !== 'number' || typeof buffer.scrollBottom !== 'number') {
    return 'the buffer lacks ybase/scrollTop/scrollBottom';
  }
  const line = lines.get(buffer.ybase);
  if (line === undefined || typeof line.copyFrom !== 'function' || typeof line.isWrapped !== 'boolean') return 'a buffer line lacks copyFrom/isWrapped';
  return undefined;
}

/**
 * Makes `term`'s SU recycle the lines that leave the region. Returns why it did not (xterm's private shape differs
 * from the one verified; SU then stays xterm's own), or undefined once installed. Install it before anything else
 * wraps `scrollUp` (count-budget.ts), so that those wrappers run first.
 */
export function recycleScrolledLines(term: Terminal): ScrollRecycleRefusal {
  const handler = (term as unknown as { _core?: { _inputHandler?: InputHandlerShape } })._core?._inputHandler;
  const problem = shapeProblem(handler);
  if (problem !== undefined) return problem;
  const h = handler as Required<InputHandlerShape> & { _activeBuffer: BufferShape };
  const original = (h.scrollUp as (params: ParamsShape) => boolean).bind(h);
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

  h.scrollUp = (params: ParamsShape): boolean => {
    // Read per call: xterm swaps the active buffer on ?1049 and replaces both on RIS and on a resize's reflow.
    const buffer = h._activeBuffer;
    if (buffer.markers.length > 0) return original(params);
    const attr = eraseAttr();
    const cols = term.cols;
    if (blank === undefined || blankBuffer !== buffer || blankFg !== attr.fg || blankBg !== attr.bg || blankCols !== cols) {
      blank = buffer.getBlankLine(attr);
      blankBuffer = buffer;
      blankFg = attr.fg;
      blankBg = attr.bg;
      blankCols = cols;
    }
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
  return undefined;
}
