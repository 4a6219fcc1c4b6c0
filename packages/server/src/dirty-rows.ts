/**
 * Which screen rows xterm may have changed since a snapshot, so the next snapshot reads only those (snapshot.ts).
 *
 * An Enter's answer is a few writes, each its own frame, each frame a snapshot of the whole 80×24 screen: comparing
 * every row's cell words with the previous snapshot's was most of the snapshot (about 90–170 µs of 120–290 µs a
 * frame between keys, docs/benchmarks-journal.md, session 20), though a write touches one to three rows.
 *
 * xterm's InputHandler marks the rows it writes in its `_dirtyRowTracker` (for its renderer), but clears it at
 * every parse call and does not shift it when the screen scrolls (its renderer repaints everything on a scroll).
 * Here its three mark methods are wrapped to also widen a range kept until the next snapshot, and the buffer's
 * scroll event shifts that range: a scroll of the whole screen moves every row up one (the marked rows with them,
 * and the new bottom row is marked); a scroll of a region marks the region. Anything else (the other buffer made
 * active, a resize, a reset, a parse that threw part-way) makes the next snapshot read every row.
 *
 * Why a row outside the range reads as before: every xterm operation that changes a cell, a line's wrap flag or
 * which line sits at a row marks the rows (xterm's renderer relies on it), or scrolls. A print that wraps marks its
 * first and last row and the range covers those between. snapshot.ts checks more besides: the row must hold the same
 * line object the earlier snapshot read there (after the shift), the row's wrap flag (its next line's) must read the
 * same, and the row must have been read from its cell words alone (no link, no grapheme kept elsewhere). A property
 * test (snapshot.test.ts) holds the rows read this way to a full read over random output.
 *
 * Private state (verified against @xterm/headless 6.0.0): `_core._inputHandler._dirtyRowTracker` (markDirty,
 * markRangeDirty, markAllDirty) and `_core._inputHandler.markRangeDirty` (what the core calls on each scroll), `_core._bufferService` (`buffer`, `onScroll`, `rows`) and the buffer's `lines.get`,
 * `ybase`, `scrollTop`, `scrollBottom`. When any is missing nothing is installed and every snapshot reads all rows.
 */
import type { Terminal } from '@xterm/headless';

/** The part of an xterm buffer line read here: its identity and wrap flag. */
export interface DirtyRowsLine {
  readonly isWrapped: boolean;
}

interface BufferShape {
  lines: { get(index: number): DirtyRowsLine | undefined };
  ybase: number;
  scrollTop: number;
  scrollBottom: number;
}

interface BufferServiceShape {
  buffer: BufferShape;
  rows: number;
  onScroll(listener: () => void): unknown;
}

interface RowTrackerShape {
  markDirty(y: number): void;
  markRangeDirty(y1: number, y2: number): void;
  markAllDirty(): void;
}

interface InputHandlerShape {
  _dirtyRowTracker: RowTrackerShape;
  /** Called by xterm's core on each scroll (CoreTerminal's onScroll listener): its renderer repaints the region. */
  markRangeDirty(y1: number, y2: number): void;
}

/** What may differ from a snapshot: rows `start`..`end` (none when start > end), and how far the rest moved up. */
export interface ChangedRows {
  readonly start: number;
  readonly end: number;
  /** Whole-screen scrolls since: the row now at y was at y + shift. */
  readonly shift: number;
  /** xterm's line object at screen row y now (undefined past the buffer). */
  lineAt(y: number): DirtyRowsLine | undefined;
}

/** A terminal's changed rows since its last snapshot (trackDirtyRows). */
export interface DirtyRowsTracker {
  /** The next snapshot reads every row. */
  invalidate(): void;
  /** `snapshot` now describes the screen: count changes from it. */
  reset(snapshot: object): void;
  /** The rows that may differ from `snapshot`, or undefined when every row must be read. */
  changedSince(snapshot: object): ChangedRows | undefined;
}

class DirtyRows implements ChangedRows, DirtyRowsTracker {
  start = 0;
  end = -1;
  shift = 0;
  /** The snapshot the range is counted from (undefined: none yet, or the range no longer describes the change). */
  private baseline: object | undefined;
  private baselineBuffer: BufferShape | undefined;

  constructor(private readonly service: BufferServiceShape) {}

  /** Rows y1..y2 (either order, screen rows from 0) were or will be changed. */
  mark(y1: number, y2: number): void {
    if (y1 > y2) [y1, y2] = [y2, y1];
    if (this.start > this.end) {
      this.start = y1;
      this.end = y2;
      return;
    }
    if (y1 < this.start) this.start = y1;
    if (y2 > this.end) this.end = y2;
  }

  /** The active buffer scrolled by one line (xterm's BufferService.scroll, which also fires on a buffer switch). */
  scrolled(): void {
    if (this.baseline === undefined) return;
    const buffer = this.service.buffer;
    if (buffer !== this.baselineBuffer) {
      this.invalidate();
      return;
    }
    const bottom = this.service.rows - 1;
    if (buffer.scrollTop === 0 && buffer.scrollBottom === bottom) {
      // Every row moved up one and a new line came in at the bottom.
      this.shift++;
      this.start = this.start > this.end ? bottom : Math.max(0, this.start - 1);
      this.end = bottom;
    } else {
      // A region moved within itself (with scrollTop 0 its top line also left for the history); rows outside stay.
      this.mark(0, buffer.scrollBottom);
    }
  }

  /** The next snapshot reads every row. */
  invalidate(): void {
    this.baseline = undefined;
  }

  /** `snapshot` now describes the screen: count changes from it. */
  reset(snapshot: object): void {
    this.baseline = snapshot;
    this.baselineBuffer = this.service.buffer;
    this.start = 0;
    this.end = -1;
    this.shift = 0;
  }

  /** The rows that may differ from `snapshot`, or undefined when every row must be read. */
  changedSince(snapshot: object): ChangedRows | undefined {
    return snapshot === this.baseline && this.service.buffer === this.baselineBuffer ? this : undefined;
  }

  lineAt(y: number): DirtyRowsLine | undefined {
    const buffer = this.service.buffer;
    return buffer.lines.get(buffer.ybase + y);
  }
}

const trackers = new WeakMap<Terminal, DirtyRows>();

/** Why the tracking was not installed, or undefined when it was. */
function shapeProblem(core: { _inputHandler?: Partial<InputHandlerShape>; _bufferService?: Partial<BufferServiceShape> } | undefined): string | undefined {
  if (typeof core?._inputHandler?.markRangeDirty !== 'function') return '_core._inputHandler.markRangeDirty is missing';
  const tracker = core._inputHandler._dirtyRowTracker;
  if (tracker === undefined) return '_core._inputHandler._dirtyRowTracker is missing';
  if (typeof tracker.markDirty !== 'function' || typeof tracker.markRangeDirty !== 'function' || typeof tracker.markAllDirty !== 'function') {
    return 'the dirty row tracker lacks markDirty/markRangeDirty/markAllDirty';
  }
  const service = core?._bufferService;
  if (service === undefined || typeof service.onScroll !== 'function' || typeof service.rows !== 'number') return '_core._bufferService.onScroll/rows are missing';
  const buffer = service.buffer;
  if (buffer === undefined || typeof buffer.lines?.get !== 'function' || typeof buffer.ybase !== 'number' || typeof buffer.scrollTop !== 'number' || typeof buffer.scrollBottom !== 'number') {
    return 'the buffer lacks lines.get/ybase/scrollTop/scrollBottom';
  }
  return undefined;
}

/**
 * Starts tracking `term`'s changed rows (once per terminal; before any output, or the first snapshot after reads
 * every row anyway). Returns why not when xterm's private shape differs; snapshots then read every row.
 */
export function trackDirtyRows(term: Terminal): string | undefined {
  if (trackers.has(term)) return undefined;
  const core = (term as unknown as { _core?: { _inputHandler?: InputHandlerShape; _bufferService?: BufferServiceShape } })._core;
  const problem = shapeProblem(core);
  if (problem !== undefined) return problem;
  const service = core!._bufferService!;
  const inputHandler = core!._inputHandler!;
  const rowTracker = inputHandler._dirtyRowTracker!;
  const dirty = new DirtyRows(service);
  const markDirty = rowTracker.markDirty.bind(rowTracker);
  const markRangeDirty = rowTracker.markRangeDirty.bind(rowTracker);
  const markAllDirty = rowTracker.markAllDirty.bind(rowTracker);
  rowTracker.markDirty = (y: number): void => {
    markDirty(y);
    dirty.mark(y, y);
  };
  rowTracker.markRangeDirty = (y1: number, y2: number): void => {
    markRangeDirty(y1, y2);
    dirty.mark(y1, y2);
  };
  rowTracker.markAllDirty = (): void => {
    markAllDirty();
    dirty.mark(0, service.rows - 1);
  };
  // xterm's core marks the scroll region dirty on every scroll, through this method and for its renderer only; the
  // scroll itself is counted by scrolled() (the rows moved, not changed), so that mark skips the range kept here.
  inputHandler.markRangeDirty = (y1: number, y2: number): void => markRangeDirty(y1, y2);
  service.onScroll(() => dirty.scrolled());
  term.onResize(() => dirty.invalidate());
  trackers.set(term, dirty);
  return undefined;
}

/** `term`'s changed-row tracking, when trackDirtyRows installed it. */
export function dirtyRowsOf(term: Terminal): DirtyRowsTracker | undefined {
  return trackers.get(term);
}
