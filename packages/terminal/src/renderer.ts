/**
 * The renderer: the escape bytes that turn a real, xterm-compatible terminal showing one Framebuffer into one
 * showing another.
 *
 * It keeps a model of the local terminal (cells, soft-wrap flags, cursor, pen) and edits that model with the same
 * operations it emits, so every decision is made against what the terminal really holds, not what we hope it
 * holds. Each frame is drawn once without scrolling and once per plausible scroll, and the shortest wins; a frame that
 * replaced only a few rows of the one drawn last is drawn by those rows alone (CHANGED_ROWS_MAX).
 *
 * Input may come from the network: every row is first made safe by cell-sanitizer.ts (bad widths, control
 * characters, orphaned wide-character halves, impossible colours are normalised, never thrown on, and never let
 * escape sequences through).
 */
import {
  COLOR_DEFAULT,
  cellRowsEqual,
  cellsEqual,
  type Cell,
  type Color,
  type Cursor,
  type Framebuffer,
  type Row,
  type TerminalModes,
} from './framebuffer.js';
import { NO_PROGRESS, isDeliverablePayload, latestNotificationGeneration, type Progress } from './notifications.js';
import { BOTTOM_ROW, IND, absoluteMove, cheapestMove } from './cursor-moves.js';
import { DEFAULT_PEN, pensEqual, sgrTransition, type Pen } from './sgr.js';
import { erasedCell, sanitizeRow } from './cell-sanitizer.js';
import { linkSequence, linksEqual, type Hyperlink } from './hyperlinks.js';
import { frameRow, patchedFrame } from './patched-frame.js';
import { ALL_PRIVATE_MODES, clipboardSequence, cursorShapeCode, modeChanges, progressSequence, sanitizeModes, sanitizeTitle } from './terminal-controls.js';

/** How many scroll shifts to try per frame (each costs one trial render): the two best-voted cover real programs. */
const SCROLL_CANDIDATES = 2;
/**
 * Bytes a full-screen scroll by index (IND, a line feed that keeps the column) may cost beyond SU and still be
 * chosen. (The renderer only scrolls down now, see scrollCandidates, so this applies to reverse index.)
 */
const LINE_FEED_SCROLL_BIAS_BYTES = 4;
/**
 * Updates shorter than this (bytes) do not hide the cursor: a terminal takes one small write in one read and
 * paints it whole, so the 12 bytes of ?25l/?25h would buy nothing. Longer ones may be split across paints.
 */
const HIDE_CURSOR_MIN_BYTES = 48;
/**
 * A frame that replaced at most this many rows of the one drawn last (by Row object, after any rows scrolled off) is
 * drawn by those rows alone: an Enter's answer changes one or two rows, and the whole-screen build, scroll search and
 * diff cost ~0.1 ms of the client's receive path between keys. Beyond it a scroll may pay (a region moving, a pager's
 * new line), which only the whole-screen diff looks for; either way the terminal ends the same.
 */
export const CHANGED_ROWS_MAX = 4;

// ---------------------------------------------------------------------------------------------------------------
// Cells: classification (making them safe to print is cell-sanitizer.ts's)

/** A cell whose contents in the terminal are not known; equal to nothing, so it is always redrawn. */
const UNKNOWN_CELL: Cell = Object.freeze({ text: '\u{10FFFF}', width: 1, fg: -1, bg: -1, attrs: -1 });

function isErased(cell: Cell): boolean {
  return cell.text === '' && cell.width === 1 && cell.fg === COLOR_DEFAULT && cell.attrs === 0 && cell.link === undefined;
}

/** Bytes to go from printing with link `from` to printing with `to`. */
function linkTransition(from: Hyperlink | undefined, to: Hyperlink | undefined): string {
  return linksEqual(from, to) ? '' : linkSequence(to);
}

function erasePen(bg: Color): Pen {
  return { fg: COLOR_DEFAULT, bg, attrs: 0 };
}

/**
 * True when the local terminal will surely advance exactly one column for this text: a single code point from
 * scripts no width table disagrees about. After anything else the renderer stops trusting relative column moves,
 * so a terminal with a different emoji or CJK width table is repaired at the next absolute move.
 */
function hasCertainWidth(cell: Cell): boolean {
  if (cell.width !== 1) return false;
  const text = cell.text;
  if (text.length !== 1) return false;
  const code = text.charCodeAt(0);
  return (code >= 0x20 && code < 0x7f) || (code >= 0xa0 && code < 0x300) || (code >= 0x2500 && code < 0x25a0);
}


const rowHashes = new WeakMap<readonly Cell[], number>();
/**
 * A number equal for rows whose cells are equal (and rarely for others: check with cellRowsEqual), used to find rows
 * that moved. A number, not a string of the cells: a frame of all-new rows keyed every row's text into a string of
 * some 20 bytes a cell (250 KB for 200×60) and hashed those strings again in a Map, a millisecond or more per frame.
 */
function rowHash(cells: readonly Cell[]): number {
  let hash = rowHashes.get(cells);
  if (hash === undefined) {
    // FNV-1a over each cell's text units and numbers, 32 bits. Indexed loops and no closures: this runs for every
    // row of a frame that moved, and the iterator and closure objects it made were most of a flood frame's garbage
    // while V8 ran it unoptimised (docs/benchmarks-journal.md, session 19).
    let h = 0x811c9dc5;
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      h = mixText(h, c.text);
      h = Math.imul(h ^ c.width, FNV_PRIME);
      h = Math.imul(h ^ c.fg, FNV_PRIME);
      h = Math.imul(h ^ c.bg, FNV_PRIME);
      h = Math.imul(h ^ c.attrs, FNV_PRIME);
      if (c.link !== undefined) h = mixText(mixText(h, c.link.id), c.link.uri);
    }
    hash = h >>> 0;
    rowHashes.set(cells, hash);
  }
  return hash;
}

const FNV_PRIME = 0x01000193;

/** `h` with each UTF-16 unit of `text` mixed in, then a separator no code unit equals. */
function mixText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return Math.imul(h ^ 0x110000, FNV_PRIME);
}

/** Whether two rows hold equal cells, by their hashes first. */
function sameCells(a: readonly Cell[], b: readonly Cell[]): boolean {
  return a === b || (rowHash(a) === rowHash(b) && cellRowsEqual(a, b));
}

const blankLines = new Map<string, readonly Cell[]>();
function erasedLine(cols: number, bg: Color): readonly Cell[] {
  const key = `${cols}:${bg}`;
  let line = blankLines.get(key);
  if (line === undefined) {
    line = Object.freeze(new Array<Cell>(cols).fill(erasedCell(bg)));
    if (blankLines.size < 256) blankLines.set(key, line);
  }
  return line;
}

/** If every cell of `cells` is erased with one background, that background; otherwise undefined. */
function uniformErasedBackground(cells: readonly Cell[]): Color | undefined {
  const first = cells[0]!;
  if (!isErased(first)) return undefined;
  for (const c of cells) if (!isErased(c) || c.bg !== first.bg) return undefined;
  return first.bg;
}

// ---------------------------------------------------------------------------------------------------------------
// The model of the local terminal, and the operations that edit it and emit bytes together

interface Target {
  readonly cols: number;
  readonly rows: number;
  readonly lines: readonly (readonly Cell[])[];
  /** wantContinues[y]: row y must be a soft-wrap continuation of row y-1 (the terminal's wrap flag on line y). */
  readonly wantContinues: readonly boolean[];
  /** The first row from which every row is erased with one background and unwrapped, or `rows` if none. */
  readonly blankFrom: number;
  readonly blankFromBg: Color;
}

class TerminalModel {
  out = '';
  /** A cursor move (not a write) was emitted: the cursor would visibly jump if shown. */
  moved = false;
  /** Length of `out` before the final cursor placement, and that placement (see drawPlan). */
  bodyLength = 0;
  finalMove = '';
  /** Line arrays this model created and may edit in place; everything else is shared and copied on write. */
  private readonly owned = new Set<readonly Cell[]>();
  /** The owned line written last: a row's cells are printed one by one, and the set lookup per cell was a hot spot. */
  private lastOwned: Cell[] | undefined;

  constructor(
    readonly cols: number,
    readonly rows: number,
    public lines: (readonly Cell[])[],
    /**
     * continues[y]: line y is a soft-wrap continuation of line y-1 (xterm's `isWrapped`); undefined when not known.
     * Line 0 has one too (a continuation of a line scrolled off the top): invisible, until a scroll moves it down.
     */
    public continues: (boolean | undefined)[],
    public x: number | undefined,
    public y: number | undefined,
    /** After writing the last column: the next printable character wraps. `x` is undefined meanwhile. */
    public pendingWrap: boolean,
    public pen: Pen | undefined,
    /**
     * The OSC 8 link the terminal applies to what it prints. Every frame ends with none open (drawPlan), so a
     * frame starts with none.
     */
    public link: Hyperlink | undefined = undefined,
  ) {}

  clone(): TerminalModel {
    const copy = new TerminalModel(this.cols, this.rows, this.lines.slice(), this.continues.slice(), this.x, this.y, this.pendingWrap, this.pen, this.link);
    copy.out = this.out;
    copy.moved = this.moved;
    return copy;
  }

  /** Open `link` (or close the open one) for what is printed next; a link stays open across cursor moves. */
  setLink(link: Hyperlink | undefined): void {
    this.out += linkTransition(this.link, link);
    this.link = link;
  }

  private writable(y: number): Cell[] {
    const line = this.lines[y]!;
    if (line === this.lastOwned) return this.lastOwned;
    // Lines shared with a Framebuffer, a cache or another plan: copy before the first write.
    if (!this.owned.has(line)) {
      // Spread, not slice(): a framebuffer's rows are frozen arrays, which V8's slice() copies some 20 times slower
      // (4 µs a row of 80 against 0.2; a sixth of a flood frame's render).
      const copy = [...line];
      this.owned.add(copy);
      this.lines[y] = copy;
      this.lastOwned = copy;
      return copy;
    }
    this.lastOwned = line as Cell[];
    return this.lastOwned;
  }

  moveTo(x: number, y: number): void {
    // LF clears the wrap flag of each line it enters (xterm.js): use it only where no flag would be lost.
    let lineFeeds = true;
    if (this.y !== undefined) for (let row = this.y + 1; row <= y; row++) if (this.continues[row] !== false) lineFeeds = false;
    const move = cheapestMove({ x: this.pendingWrap ? undefined : this.x, y: this.y }, x, y, lineFeeds);
    if (move !== '') {
      this.out += move;
      this.moved = true;
    }
    this.x = x;
    this.y = y;
    this.pendingWrap = false;
  }

  setPen(pen: Pen): void {
    this.out += sgrTransition(this.pen, pen);
    this.pen = pen;
  }

  /** Overwrite [from, to) of line y in the model, invalidating wide-character halves cut at either edge. */
  private store(y: number, from: number, cells: readonly Cell[]): void {
    const line = this.writable(y);
    const to = from + cells.length;
    if (from > 0 && line[from]!.width === 0) line[from - 1] = UNKNOWN_CELL;
    if (to < this.cols && line[to - 1]!.width === 2 && line[to]!.width === 0) line[to] = UNKNOWN_CELL;
    for (let i = 0; i < cells.length; i++) line[from + i] = cells[i]!;
  }

  /** Print one cell (and its width-0 half) at the cursor, which must be there or pending a wrap into line y. */
  print(cell: Cell, half: Cell | undefined): void {
    if (this.pendingWrap) {
      // The terminal wraps before printing: the new line becomes a continuation of the old one.
      if (cell.link !== undefined) this.wrapUnlinked(cell);
      this.y = this.y! + 1;
      this.x = 0;
      this.pendingWrap = false;
      this.continues[this.y] = true;
    }
    const x = this.x!;
    const y = this.y!;
    this.setLink(cell.link);
    this.out += cell.text;
    this.store(y, x, half === undefined ? [cell] : [cell, half]);
    const next = x + cell.width;
    if (next >= this.cols) {
      this.pendingWrap = true;
      this.x = undefined;
    } else {
      this.x = hasCertainWidth(cell) ? next : undefined;
    }
  }

  /**
   * Print cells [from, to) of line y's target `cells` at the cursor, already at `from` with the pen and link they
   * share: what print() would do for each (the same bytes and the same model, store()'s edge checks made cell by
   * cell), appended as one piece. Each cell must have a certain width (hasCertainWidth) and `to` stop short of the
   * last column, so the cursor only advances: no wrap, no wide character. A full 80-column row added to `out` a cell
   * at a time made 80 string pieces, and a [cell] array each for store(), most of a flood frame's garbage after
   * session 19's first cuts (docs/benchmarks-journal.md, renderrun).
   */
  printRun(cells: readonly Cell[], from: number, to: number): void {
    const line = this.writable(this.y!);
    const texts = runTexts;
    texts.length = to - from;
    for (let i = from; i < to; i++) {
      const cell = cells[i]!;
      if (line[i]!.width === 0) line[i - 1] = UNKNOWN_CELL;
      if (line[i]!.width === 2 && line[i + 1]!.width === 0) line[i + 1] = UNKNOWN_CELL;
      line[i] = cell;
      texts[i - from] = cell.text;
    }
    // join builds one flat string; `+=` per character made a new string object for each.
    this.out += texts.join('');
    const last = cells[to - 1]!;
    this.pen = last;
    this.link = last.link;
    this.x = to;
  }

  /**
   * Print a wide character at the last column: the terminal empties that column (xterm.js fills it with the whole
   * pen, not just its background), wraps, and prints the character at the start of the next line, which becomes a
   * continuation.
   */
  printWideAtLastColumn(cell: Cell, half: Cell): void {
    const y = this.y!;
    const pen = this.pen!;
    // A linked one wraps unlinked first (wrapUnlinked), so no link is open when the padding column is filled.
    if (cell.link !== undefined) this.wrapUnlinked(cell);
    this.setLink(cell.link);
    this.out += cell.text;
    const padding: Cell = { text: '', width: 1, fg: pen.fg, bg: pen.bg, attrs: pen.attrs };
    this.store(y, this.cols - 1, [pen.underlineColor === undefined ? padding : { ...padding, underlineColor: pen.underlineColor }]);
    this.continues[y + 1] = true;
    this.store(y + 1, 0, [cell, half]);
    this.y = y + 1;
    // Wide text: the column is not certain (see hasCertainWidth); a two-column screen is full again.
    this.x = undefined;
    this.pendingWrap = this.cols <= 2;
  }

  /**
   * xterm.js files a link under the line the cursor is on when a linked character is printed, before the wrap that
   * character causes: the cell lands on the next line and loses its link once the line above it is scrolled away (a
   * scroll region's SD or DL). So a linked character that wraps is first printed unlinked, to wrap, and the cursor
   * returned to the start of its new line (CR keeps the wrap), where the caller prints it again with its link.
   */
  private wrapUnlinked(cell: Cell): void {
    this.setLink(undefined);
    this.out += `${cell.text}\r`;
  }

  /** ECH: erase n cells from the cursor, which stays. */
  eraseChars(n: number): void {
    // Erased cells must not join a link in any terminal: close it first (a no-op when none is open).
    this.setLink(undefined);
    this.out += n === 1 ? '\x1b[X' : `\x1b[${n}X`;
    this.store(this.y!, this.x!, new Array<Cell>(n).fill(erasedCell(this.pen!.bg)));
  }

  /** EL 0: erase to the end of the line. At column 0 the terminal also forgets that the line continued another. */
  eraseLine(): void {
    this.setLink(undefined);
    this.out += '\x1b[K';
    const x = this.x!;
    const y = this.y!;
    this.store(y, x, new Array<Cell>(this.cols - x).fill(erasedCell(this.pen!.bg)));
    if (x === 0) this.continues[y] = false;
  }

  /**
   * ED 0: erase to the end of the screen. Lines below lose their wrap flags. From the home position that is a
   * whole-screen erase, which tmux (scroll-on-clear, on by default) pushes into its history: there the first row
   * is erased on its own (EL) and the rest from the row below (CUD, ED 0, CUU), and the cursor ends home as before.
   */
  eraseBelow(): void {
    const x = this.x!;
    const y = this.y!;
    this.setLink(undefined);
    if (x !== 0 || y !== 0) this.out += '\x1b[J';
    else this.out += this.rows > 1 ? '\x1b[K\x1b[B\x1b[J\x1b[A' : '\x1b[K';
    this.store(y, x, new Array<Cell>(this.cols - x).fill(erasedCell(this.pen!.bg)));
    if (x === 0) this.continues[y] = false;
    const blank = erasedLine(this.cols, this.pen!.bg);
    for (let row = y + 1; row < this.rows; row++) {
      this.lines[row] = blank;
      this.continues[row] = false;
    }
  }

  /** Shift lines [top, bottom] up by n (n > 0) or down by -n, as SU/SD/LF/RI do, bringing in erased lines. */
  shiftLines(top: number, bottom: number, n: number): void {
    this.setLink(undefined);
    const blank = erasedLine(this.cols, this.pen!.bg);
    const lines = this.lines.slice(top, bottom + 1);
    const continues = this.continues.slice(top, bottom + 1);
    const height = bottom - top + 1;
    for (let i = 0; i < height; i++) {
      const source = i + n;
      const inside = source >= 0 && source < height;
      this.lines[top + i] = inside ? lines[source]! : blank;
      this.continues[top + i] = inside ? continues[source] : false;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing rows

/** Draw what differs between the model's line y and the target, cheapest way first. */
function drawRow(model: TerminalModel, target: Target, y: number, printRuns: boolean, staleRows: StaleRows): void {
  const cols = target.cols;
  const want = target.lines[y]!;

  // Bulk erase: everything from here down is blank with one background, and some of it (two rows or more) is not yet.
  if (y >= target.blankFrom && !target.wantContinues[y] && staleRows.from(y) >= 2) {
    model.moveTo(0, y);
    model.setPen(erasePen(target.blankFromBg));
    model.eraseBelow();
    staleRows.forget();
    return;
  }

  // The terminal holds a wrap flag the target does not: only erasing the line from column 0 clears it.
  if (y > 0 && model.continues[y] !== false && !target.wantContinues[y]) {
    model.moveTo(0, y);
    const tailBg = want[cols - 1]!;
    model.setPen(erasePen(isErased(tailBg) ? tailBg.bg : COLOR_DEFAULT));
    model.eraseLine();
  }

  const needsContinuation = y + 1 < target.rows && target.wantContinues[y + 1]! && model.continues[y + 1] !== true;
  drawCells(model, target, y, needsContinuation, printRuns);
  if (needsContinuation) {
    continueIntoNextLine(model, target, y);
    // The wrap may have left a placeholder at the end of this line: put the real cell there.
    drawCells(model, target, y, false, printRuns);
  }
}

/**
 * The bulk erase's question for row y of a plan: how many rows from y to the bottom the terminal holds otherwise than
 * the target (counted up to 2). Asked anew at every row, a scan down the screen made each frame's cost grow with the
 * square of its rows: a 1500x900 window took minutes to draw its blank rows and the client stopped answering. The
 * rows below y+1 are counted once, from the bottom: drawing row y changes only rows y and y+1 (a continuation), so
 * the count below y+1 made when the first blank row was reached still holds; an erase below changes them all, and
 * the count is made again.
 */
class StaleRows {
  /** below[i]: stale rows from i to the bottom, up to 2, as counted (undefined: not counted since the last erase). */
  private below: Uint8Array | undefined;
  constructor(
    private readonly model: TerminalModel,
    private readonly target: Target,
  ) {}

  from(y: number): number {
    if (this.below === undefined) {
      const below = new Uint8Array(this.target.rows + 1);
      for (let row = this.target.rows - 1; row > y; row--) below[row] = Math.min(2, (this.isStale(row) ? 1 : 0) + below[row + 1]!);
      this.below = below;
    }
    return Math.min(2, (this.isStale(y) ? 1 : 0) + this.below[y + 1]!);
  }

  forget(): void {
    this.below = undefined;
  }

  private isStale(row: number): boolean {
    return !cellRowsEqual(this.model.lines[row]!, this.target.lines[row]!) || (row > 0 && this.model.continues[row] !== false);
  }
}

/** Column where the row's trailing run of erased cells (all one background) begins; `cols` if none. */
function erasedTailStart(cells: readonly Cell[]): number {
  let x = cells.length;
  const last = cells[x - 1]!;
  if (!isErased(last)) return x;
  while (x > 0 && isErased(cells[x - 1]!) && cells[x - 1]!.bg === last.bg) x--;
  return x;
}

/** printRun's texts, reused: one array for every run. */
const runTexts: string[] = [];

/** drawCells' changed-column flags, reused (grown to the widest row seen). */
let changedColumns = new Uint8Array(256);

/**
 * Draws what differs between the model's line y and the target's. `printRuns`: a run of changed cells in one pen is
 * printed as one piece (printRun); false prints each cell alone, the path the run must match byte for byte
 * (RendererOptions.printRuns; renderer.property.test.ts compares the two).
 */
function drawCells(model: TerminalModel, target: Target, y: number, forceLastUnit: boolean, printRuns: boolean): void {
  const cols = target.cols;
  const want = target.lines[y]!;
  const have = model.lines[y]!;
  if (have === want || (!forceLastUnit && cellRowsEqual(have, want))) return;

  // Changed columns (1), widened so no span starts or ends inside a wide character on the screen or in the target.
  // One array for every call (nothing below draws another row): a new one per drawn row was a flood's garbage.
  if (changedColumns.length < cols) changedColumns = new Uint8Array(cols);
  const changed = changedColumns;
  changed.fill(0, 0, cols);
  let any = false;
  for (let x = 0; x < cols; x++) {
    if (!cellsEqual(have[x]!, want[x]!)) {
      changed[x] = 1;
      any = true;
    }
  }
  if (forceLastUnit && !isErased(want[cols - 1]!)) {
    // The wrap needs the last character printed even when it is already there.
    changed[cols - 1] = 1;
    any = true;
  }
  if (!any) return;
  for (let x = 0; x < cols; x++) {
    if (changed[x] === 0) continue;
    let start = x;
    while (start > 0 && (have[start]!.width === 0 || want[start]!.width === 0)) start--;
    let end = x + 1;
    while (end < cols && (have[end]!.width === 0 || want[end]!.width === 0)) end++;
    for (let i = start; i < end; i++) changed[i] = 1;
  }

  const tailStart = erasedTailStart(want);
  // Erasing from column 0 would clear a wrap flag the target wants kept.
  const mayEraseLine = (x: number) => !(x === 0 && target.wantContinues[y]);
  let x = 0;
  while (x < cols) {
    if (!changed[x]) {
      x++;
      continue;
    }
    const cell = want[x]!;
    if (isErased(cell)) {
      if (x >= tailStart && mayEraseLine(x)) {
        model.moveTo(x, y);
        model.setPen(erasePen(cell.bg));
        const bulk = y + 1 >= target.blankFrom && !target.wantContinues[y + 1] && target.blankFromBg === cell.bg;
        if (bulk && y + 1 < target.rows) model.eraseBelow();
        else model.eraseLine();
        return;
      }
      let end = x + 1;
      while (end < cols && changed[end] && isErased(want[end]!) && want[end]!.bg === cell.bg) end++;
      model.moveTo(x, y);
      model.setPen(erasePen(cell.bg));
      model.eraseChars(end - x);
      x = end;
      continue;
    }
    reach(model, target, x, y, cell);
    model.setPen(cell);
    model.print(cell, cell.width === 2 ? want[x + 1] : undefined);
    x += cell.width;
    // The changed cells after it in the same pen and link, each one column for certain, short of the last column
    // (which arms the wrap: print's): print() would take them one by one with no move and no pen change between.
    if (printRuns && model.x === x && x < cols - 1) {
      const pen = model.pen!;
      const link = model.link;
      let end = x;
      while (end < cols - 1 && changed[end] === 1) {
        const next = want[end]!;
        if (!hasCertainWidth(next) || !pensEqual(next, pen) || !linksEqual(next.link, link)) break;
        end++;
      }
      if (end > x) {
        model.printRun(want, x, end);
        x = end;
      }
    }
  }
}

/**
 * Bring the cursor to (x, y) before printing `next`: by a cursor move, by reprinting the unchanged cells in
 * between when that is shorter, or by nothing when a pending wrap lands exactly there and a wrap is wanted.
 */
function reach(model: TerminalModel, target: Target, x: number, y: number, next: Cell): void {
  if (model.pendingWrap) {
    if (x === 0 && model.y === y - 1 && target.wantContinues[y]) return;
    model.moveTo(x, y);
    return;
  }
  if (model.x === x && model.y === y) return;
  const fromX = model.x;
  if (fromX !== undefined && model.y === y && fromX < x) {
    const gap = reprintCost(model, target.lines[y]!, fromX, x);
    if (gap !== undefined) {
      const viaMove = cheapestMove({ x: fromX, y }, x, y).length + sgrTransition(model.pen, next).length + linkTransition(model.link, next.link).length;
      const viaGap = gap.text.length + sgrTransition(gap.pen, next).length + linkTransition(gap.link, next.link).length;
      if (viaGap <= viaMove) {
        const want = target.lines[y]!;
        for (let i = fromX; i < x; ) {
          const cell = want[i]!;
          model.setPen(cell);
          model.print(cell, cell.width === 2 ? want[i + 1] : undefined);
          i += cell.width;
        }
        if (model.x === x) return;
        model.moveTo(x, y);
        return;
      }
    }
  }
  model.moveTo(x, y);
}

/** Bytes to reprint cells [from, to) of an unchanged stretch, or undefined if it holds cells printing cannot make. */
function reprintCost(
  model: TerminalModel,
  cells: readonly Cell[],
  from: number,
  to: number,
): { text: string; pen: Pen | undefined; link: Hyperlink | undefined } | undefined {
  if (to - from > 8) return undefined; // a longer gap is never cheaper than a 4–5 byte move
  let text = '';
  let pen = model.pen;
  let link = model.link;
  for (let i = from; i < to; ) {
    const cell = cells[i]!;
    if (cell.width === 0 || isErased(cell)) return undefined;
    text += sgrTransition(pen, cell) + linkTransition(link, cell.link) + cell.text;
    pen = cell;
    link = cell.link;
    i += cell.width;
  }
  return { text, pen, link };
}

/**
 * Make line y+1 a soft-wrap continuation of line y the only way a terminal allows: print the last column of line
 * y and then the first character of line y+1, so the terminal wraps by itself (and copy/select joins the lines).
 */
function continueIntoNextLine(model: TerminalModel, target: Target, y: number): void {
  const cols = target.cols;
  const line = target.lines[y]!;
  const nextLine = target.lines[y + 1]!;
  const first = nextLine[0]!;
  if (!model.pendingWrap || model.y !== y) {
    const lastUnit = line[cols - 1]!.width === 0 ? cols - 2 : cols - 1;
    const last = line[lastUnit]!;
    if (isErased(last) && first.width === 2) {
      // A wide character that did not fit: printed at the last column, the terminal leaves that column erased.
      model.moveTo(cols - 1, y);
      model.setPen(first);
      model.printWideAtLastColumn(first, nextLine[1]!);
      return;
    }
    model.moveTo(lastUnit, y);
    if (isErased(last)) {
      // Something must be printed to arm the wrap; drawCells puts the erased cell back afterwards.
      model.setPen(erasePen(last.bg));
      model.print({ text: ' ', width: 1, fg: COLOR_DEFAULT, bg: last.bg, attrs: 0 }, undefined);
    } else {
      model.setPen(last);
      model.print(last, last.width === 2 ? line[lastUnit + 1] : undefined);
    }
  }
  if (isErased(first)) {
    model.setPen(erasePen(first.bg));
    model.print({ text: ' ', width: 1, fg: COLOR_DEFAULT, bg: first.bg, attrs: 0 }, undefined);
  } else {
    model.setPen(first);
    model.print(first, first.width === 2 ? nextLine[1] : undefined);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Scrolling

interface Scroll {
  readonly top: number;
  readonly bottom: number;
  /** Lines moved up (positive, as SU/LF) or down (negative, as SD/RI). */
  readonly shift: number;
}

/** Shifts that would line up the most changed, non-blank target rows with rows already on the screen. */
function scrollCandidates(model: TerminalModel, target: Target): Scroll[] {
  const rows = target.rows;
  // Where each distinct screen row is (up to four places), grouped by hash, then by equal cells.
  const positions = new Map<number, Array<{ readonly cells: readonly Cell[]; readonly rows: number[] }>>();
  const placesOf = (cells: readonly Cell[]) => positions.get(rowHash(cells))?.find((group) => sameCells(group.cells, cells))?.rows;
  for (let y = 0; y < rows; y++) {
    const cells = model.lines[y]!;
    const places = placesOf(cells);
    if (places === undefined) {
      const hash = rowHash(cells);
      const groups = positions.get(hash);
      if (groups === undefined) positions.set(hash, [{ cells, rows: [y] }]);
      else groups.push({ cells, rows: [y] });
    } else if (places.length < 4) places.push(y);
  }
  const votes = new Map<number, number>();
  for (let y = 0; y < rows; y++) {
    const want = target.lines[y]!;
    if (cellRowsEqual(model.lines[y]!, want) || uniformErasedBackground(want) !== undefined) continue;
    for (const from of placesOf(want) ?? []) {
      if (from !== y) votes.set(from - y, (votes.get(from - y) ?? 0) + 1);
    }
  }
  const shifts = [...votes.entries()].sort((a, b) => b[1] - a[1] || Math.abs(a[0]) - Math.abs(b[0]));
  const scrolls: Scroll[] = [];
  for (const [shift] of shifts.slice(0, SCROLL_CANDIDATES)) {
    // The longest run of target rows that the shift lines up with screen rows.
    let bestStart = 0;
    let bestLength = 0;
    let runStart = -1;
    for (let y = 0; y <= rows; y++) {
      const from = y + shift;
      const matches = y < rows && from >= 0 && from < rows && sameCells(target.lines[y]!, model.lines[from]!);
      if (matches && runStart < 0) runStart = y;
      if (!matches && runStart >= 0) {
        if (y - runStart > bestLength) {
          bestStart = runStart;
          bestLength = y - runStart;
        }
        runStart = -1;
      }
    }
    if (bestLength === 0) continue;
    const lastRow = bestStart + bestLength - 1;
    const scroll: { top: number; bottom: number; shift: number } =
      shift > 0 ? { top: bestStart, bottom: lastRow + shift, shift } : { top: bestStart + shift, bottom: lastRow, shift };
    // Never scroll up: a line scrolled up and out reaches the local terminal's history (xterm for any region at row
    // 0, tmux 3.3 for any region at all), where only the scrollback writer may put lines (scrollback-writer.ts),
    // each exactly once. Moving rows up costs a redraw of them instead, bytes to the local terminal only.
    if (scroll.shift > 0) continue;
    scrolls.push(scroll);
  }
  return scrolls;
}

function csiCount(n: number, final: string): string {
  return n === 1 ? `\x1b[${final}` : `\x1b[${n}${final}`;
}

/**
 * Erases every row, leaving the cursor home: the same screen as ED 2, without a terminal saving it to history. Each
 * row is reached by CUP, which a terminal clamps, never by a line feed: a window that shrank before its SIGWINCH
 * reached us is shorter than `rows`, and a line feed at its bottom would push a row into its history.
 */
function eraseEveryRow(rows: number): string {
  let out = '';
  for (let y = 0; y < rows; y++) out += `\x1b[${y + 1}H\x1b[2K`;
  return out + '\x1b[H';
}

function emitScroll(model: TerminalModel, scroll: Scroll): void {
  const { top, bottom, shift } = scroll;
  const lines = Math.abs(shift);
  // Lines scrolled in take the pen's background; start them default so blank rows need no repair.
  model.setPen(model.pen === undefined ? DEFAULT_PEN : { ...model.pen, bg: COLOR_DEFAULT });
  const fullScreen = top === 0 && bottom === model.rows - 1;
  if (fullScreen) {
    const edge = shift > 0 ? model.rows - 1 : 0;
    // IND rather than LF to scroll at the bottom: a tty with ONLCR would make LF a CR LF and lose the column.
    const step = shift > 0 ? IND : '\x1bM';
    const keepX = model.pendingWrap || model.x === undefined ? 0 : model.x;
    const viaEdge = cheapestMove({ x: model.pendingWrap ? undefined : model.x, y: model.y }, keepX, edge) + step.repeat(lines);
    const viaCsi = csiCount(lines, shift > 0 ? 'S' : 'T');
    const bias = shift > 0 ? LINE_FEED_SCROLL_BIAS_BYTES : 0;
    if (viaEdge.length <= viaCsi.length + bias) {
      model.moveTo(keepX, edge);
      model.out += step.repeat(lines);
    } else {
      model.out += viaCsi;
    }
    model.moved = true;
    model.shiftLines(top, bottom, shift);
    return;
  }
  // DECSTBM homes the cursor, both when set and when reset.
  const region = bottom === model.rows - 1 ? `\x1b[${top + 1}r` : `\x1b[${top + 1};${bottom + 1}r`;
  model.out += region + csiCount(lines, shift > 0 ? 'S' : 'T') + '\x1b[r';
  model.moved = true;
  model.shiftLines(top, bottom, shift);
  model.x = 0;
  model.y = 0;
  model.pendingWrap = false;
}

/**
 * Push the top `lines` rows into the terminal's history: line feeds (IND) at the bottom row of the whole screen, the
 * one scroll every terminal saves (xterm.js drops what SU scrolls out). The bottom row is reached by a clamped CUP,
 * never a count of rows: a window that shrank before its SIGWINCH reached us would otherwise scroll the wrong rows.
 */
function scrollIntoHistory(model: TerminalModel, lines: number): void {
  model.setLink(undefined);
  // The scroll region is the whole screen (enter(), emitScroll reset it); rows scrolled in take the pen's
  // background: start them default, as the model's shift assumes.
  model.setPen(model.pen === undefined ? DEFAULT_PEN : { ...model.pen, bg: COLOR_DEFAULT });
  model.out += BOTTOM_ROW + IND.repeat(lines);
  model.moved = true;
  model.x = 0;
  model.y = model.rows - 1;
  model.pendingWrap = false;
  model.shiftLines(0, model.rows - 1, lines);
}

/**
 * The row Renderer.exit(frame) leaves the cursor on (frame.rows: below the bottom row, after a line feed): below the
 * lowest row with something on it, from the cursor's down. The cursor's own row when it is blank too (a program's
 * output ended with a line feed, a shell's last "exit"): the local prompt comes next, as after ssh, not after a
 * blank line. The rows above it stay as drawn, whatever is written after (a suspension's note, the shell's lines).
 */
function exitRow(frame: Framebuffer): number {
  const rows = frame.rows;
  const cursorRow = Math.min(Math.max(0, frame.cursor?.y ?? 0), rows - 1);
  for (let y = rows - 1; y >= cursorRow; y--) {
    const line = frame.lines[y];
    if (line !== undefined && uniformErasedBackground(sanitizeRow(line, frame.cols)) !== COLOR_DEFAULT) return y + 1;
  }
  return cursorRow;
}

// ---------------------------------------------------------------------------------------------------------------
// The Renderer

/**
 * Turns framebuffer pairs into escape bytes for one local terminal. It belongs to that terminal: besides the
 * framebuffers it is given, it remembers what it sent that a framebuffer does not describe (the pen it left, the
 * keyboard protocol it pushed, the title stack, the cursor shape, bells and clipboard writes already delivered),
 * so exit() can restore everything and a full repaint does not replay a bell or an old clipboard write.
 */
export interface RendererOptions {
  /** CHANGED_ROWS_MAX by default; -1 draws every frame by the whole-screen diff (tests compare the two). */
  readonly changedRowsMax?: number;
  /** True by default: a run of cells in one pen is printed as one piece; false prints cell by cell (tests compare). */
  readonly printRuns?: boolean;
}

export class Renderer {
  private readonly changedRowsMax: number;
  private readonly printRuns: boolean;
  private lastDrawn: Framebuffer | undefined;
  private lastPen: Pen | undefined;
  private lastTopContinues: boolean | undefined;
  private bellCount: number | undefined;
  private clipboardGeneration: number | undefined;
  private notificationGeneration: number | undefined;
  /** The progress report the terminal shows (undefined: none was ever sent). */
  private progress: Progress | undefined;
  private title: string | undefined;
  private titlePushed = false;
  private kittyFlags = 0;
  private kittyPushed = false;
  private modifyOtherKeys: 0 | 1 | 2 | undefined;
  private cursorShape: number | undefined;
  /** The terminal shows its alternate screen (enterAlternateScreen); what its normal screen holds meanwhile. */
  private alternate: { readonly normalBelow: Framebuffer | undefined } | undefined;

  constructor(options: RendererOptions = {}) {
    this.changedRowsMax = options.changedRowsMax ?? CHANGED_ROWS_MAX;
    this.printRuns = options.printRuns ?? true;
  }

  /**
   * Takes the events in `fb` (bells rung, the clipboard write, notifications) as already delivered, without drawing:
   * a client calls it with the first screen it receives from a session, so attaching to a running session does not
   * replay its past bells, copies and notifications, however many frames (a blank one, a status line) came before.
   */
  adoptHistory(fb: Framebuffer): void {
    this.bellCount = Math.max(this.bellCount ?? 0, Number.isFinite(fb.bellCount) ? fb.bellCount : 0);
    this.clipboardGeneration = Math.max(this.clipboardGeneration ?? 0, fb.clipboard?.generation ?? 0);
    this.notificationGeneration = Math.max(this.notificationGeneration ?? 0, latestNotificationGeneration(fb.notifications ?? []));
  }

  /** What a client writes once before the first frame: a clean pen, whole-screen scrolling, autowrap. */
  enter(): string {
    // SGR reset; DECSTBM reset (homes); origin mode off; autowrap on; insert mode and LNM off.
    // No clear here: the first frame is a repaint, which erases row by row (an ED 2 would reach tmux's history).
    return '\x1b[m\x1b[r\x1b[?6l\x1b[?7h\x1b[4l\x1b[20l';
  }

  /** Whether the terminal shows its alternate screen (enterAlternateScreen until leaveAlternateScreen or exit). */
  get onAlternateScreen(): boolean {
    return this.alternate !== undefined;
  }

  /**
   * Bytes that switch the terminal to its alternate screen (xterm's 1049: the cursor saved, the normal screen kept
   * as it is below a blank alternate one), as a local terminal does for a full-screen program: its window made
   * shorter then pushes no row of that program's screen into the user's history, and the mouse wheel works as it
   * does for vim or tmux run locally. `normalBelow`: what the normal screen shows, for exit(). The next render is a
   * repaint (previous undefined).
   */
  enterAlternateScreen(normalBelow: Framebuffer | undefined): string {
    if (this.alternate !== undefined) return '';
    this.alternate = { normalBelow };
    this.forgetDrawn();
    return '\x1b[?1049h';
  }

  /** Bytes that return to the normal screen as it was (and the cursor saved); the next render is a repaint. */
  leaveAlternateScreen(): string {
    if (this.alternate === undefined) return '';
    this.alternate = undefined;
    this.forgetDrawn();
    return '\x1b[?1049l';
  }

  /** After a screen switch the pen, the top row's wrap and the rows shown are the other screen's. */
  private forgetDrawn(): void {
    this.lastDrawn = undefined;
    this.lastPen = undefined;
    this.lastTopContinues = undefined;
  }

  /**
   * Whether render(previous, next, scrollOff) may scroll rows of `previous` off into the terminal's history: it must
   * be the frame this renderer drew last (so the top row's soft-wrap flag, which the history keeps, is known) and
   * `next` the same size.
   */
  canScrollOff(previous: Framebuffer, next: Framebuffer): boolean {
    return previous === this.lastDrawn && previous.cols === next.cols && previous.rows === next.rows && this.lastTopContinues !== undefined;
  }

  /**
   * Bytes that turn the terminal showing `previous` (undefined: unknown, repaint everything) into one showing
   * `next`. `scrollOff` > 0 (only when canScrollOff): first push the top `scrollOff` rows of `previous` into the
   * terminal's history by line feeds at the bottom row, as the program's own output did on the remote screen, then
   * draw `next` over what moved up (ScrollbackWriter.linesShownOnTop says when those rows are the lines the history
   * lacks). A repaint would cost the whole screen for each line that scrolls away.
   */
  render(previous: Framebuffer | undefined, next: Framebuffer, scrollOff = 0): string {
    if (scrollOff > 0 && (previous === undefined || !this.canScrollOff(previous, next) || scrollOff > next.rows)) {
      throw new RangeError(`Renderer.render: cannot scroll ${scrollOff} rows off a frame this renderer did not draw last at ${next.cols}x${next.rows}; check canScrollOff first`);
    }
    if (previous === next && scrollOff === 0) return '';
    const cols = next.cols;
    const rows = next.rows;
    const repaint = previous === undefined || previous.cols !== cols || previous.rows !== rows;
    const continuity = previous !== undefined && previous === this.lastDrawn;

    let out = '';
    out += this.renderBell(previous, next);
    out += this.renderTitle(next);
    out += this.renderClipboard(previous, next);
    out += this.renderNotifications(previous, next);
    out += this.renderProgress(next);
    const modes = sanitizeModes(next.modes);
    out += modeChanges(repaint ? undefined : sanitizeModes(previous!.modes), modes);
    out += this.renderKeyboardProtocols(modes);

    const sparse = continuity && !repaint ? this.changedRowsPlan(previous, next, scrollOff) : undefined;
    if (sparse !== undefined) {
      out += this.cursorVisibility(previous!.cursor.visible === true, next.cursor?.visible !== false, sparse, '');
      out += this.renderCursorShape(next);
      this.lastDrawn = next;
      this.lastPen = sparse.pen;
      this.lastTopContinues = sparse.continues[0];
      return out;
    }

    const target = buildTarget(next);
    let model: TerminalModel;
    let prefix = '';
    if (repaint) {
      // DECSTBM homes the cursor, except on a one-row screen where xterm ignores it: the position stays unknown.
      // Each row erased on its own: a terminal such as tmux pushes a whole-screen erase (ED 2) into its history.
      prefix = '\x1b[r\x1b[m' + eraseEveryRow(rows);
      const home = rows > 1 ? 0 : undefined;
      model = new TerminalModel(cols, rows, new Array(rows).fill(erasedLine(cols, COLOR_DEFAULT)), new Array<boolean>(rows).fill(false), home, home, false, DEFAULT_PEN);
    } else {
      const lines = previous!.lines;
      const continues = new Array<boolean | undefined>(rows).fill(false);
      for (let y = 1; y < rows; y++) continues[y] = lines[y - 1]?.wrapped === true;
      // Whether the top line continues one above the screen is no framebuffer's business, only this renderer's.
      continues[0] = continuity ? this.lastTopContinues : undefined;
      const cursor = clampCursor(previous!, cols, rows);
      model = new TerminalModel(
        cols,
        rows,
        Array.from({ length: rows }, (_, y) => sanitizeRow(lines[y] ?? { cells: [], wrapped: false }, cols)),
        continues,
        cursor.x,
        cursor.y,
        false,
        continuity ? this.lastPen : undefined,
      );
    }

    if (scrollOff > 0) scrollIntoHistory(model, scrollOff);
    const finalCursor = clampCursor(next, cols, rows);
    const plans: TerminalModel[] = [drawPlan(model.clone(), target, undefined, finalCursor, this.printRuns)];
    if (!repaint) for (const scroll of scrollCandidates(model, target)) plans.push(drawPlan(model.clone(), target, scroll, finalCursor, this.printRuns));
    let best = plans[0]!;
    for (const plan of plans) if (plan.out.length < best.out.length) best = plan;

    out += this.cursorVisibility(repaint ? undefined : previous!.cursor.visible === true, next.cursor?.visible !== false, best, prefix, repaint);
    out += this.renderCursorShape(next);

    this.lastDrawn = next;
    this.lastPen = best.pen;
    this.lastTopContinues = best.continues[0];
    return out;
  }

  /**
   * A plan's bytes with the cursor hidden while it travels (when it moves between writes, or jumps back after them;
   * typing at the cursor needs neither and stays cheap) and shown or hidden as the frame wants. `wasVisible`
   * undefined: not known (a repaint, which always hides it first). `prefix` goes after the hiding, before the plan.
   */
  private cursorVisibility(wasVisible: boolean | undefined, wantVisible: boolean, plan: TerminalModel, prefix: string, repaint = false): string {
    const travels = plan.moved || (plan.finalMove !== '' && plan.bodyLength > 0);
    const hide = wasVisible !== false && (repaint || (travels && plan.out.length >= HIDE_CURSOR_MIN_BYTES));
    let visibility = '';
    if (hide) visibility = wantVisible ? '\x1b[?25h' : '';
    else if (wasVisible !== wantVisible) visibility = wantVisible ? '\x1b[?25h' : '\x1b[?25l';
    return (hide ? '\x1b[?25l' : '') + prefix + plan.out + visibility;
  }

  /**
   * The plan for `next` over `previous` (the frame this renderer drew last, the same size) that touches only the
   * rows `next` replaced: after `scrollOff` rows went up into the history, each row that is not the same Row object
   * as the one now in its place, at most changedRowsMax of them. Undefined when there are more, or when a soft-wrap
   * flag the terminal holds differs from the one `next` wants (repairing it touches the neighbours: the whole-screen
   * diff's). The terminal ends as the whole-screen diff leaves it, in the same or a few more bytes (no scroll, no
   * erase of a whole blank tail).
   */
  private changedRowsPlan(previous: Framebuffer, next: Framebuffer, scrollOff: number): TerminalModel | undefined {
    const { cols, rows } = next;
    const before = previous.lines;
    const after = next.lines;
    const changed: number[] = [];
    for (let y = 0; y < rows; y++) {
      const source = y + scrollOff;
      if (source < rows && after[y] === before[source]) continue;
      if (changed.length >= this.changedRowsMax) return undefined;
      changed.push(y);
    }
    // continues[y]: the terminal's wrap flag on line y once the rows scrolled off are gone (line y came from line
    // y + scrollOff, whose flag says whether the line above it wrapped; lines scrolled in carry none).
    const continues = new Array<boolean | undefined>(rows);
    const wantContinues = new Array<boolean>(rows);
    continues[0] = scrollOff === 0 ? this.lastTopContinues : before[scrollOff - 1]?.wrapped === true;
    wantContinues[0] = false;
    for (let y = 1; y < rows; y++) {
      continues[y] = y + scrollOff < rows ? before[y + scrollOff - 1]?.wrapped === true : false;
      wantContinues[y] = after[y - 1]?.wrapped === true;
      if (continues[y] !== wantContinues[y]) return undefined;
    }
    const have: (readonly Cell[])[] = [];
    const want: (readonly Cell[])[] = [];
    const blank = erasedLine(cols, COLOR_DEFAULT);
    for (const y of changed) {
      const source = y + scrollOff;
      have[y] = source < rows ? sanitizeRow(before[source] ?? { cells: [], wrapped: false }, cols) : blank;
      want[y] = sanitizeRow(after[y] ?? { cells: [], wrapped: false }, cols);
    }
    const cursor = clampCursor(previous, cols, rows);
    let model: TerminalModel;
    if (scrollOff > 0) {
      // The line feeds that push the rows off are emitted on a model of the rows before them; the changed rows'
      // lines are put in place afterwards (shiftLines would move only rows the sparse model holds).
      model = new TerminalModel(cols, rows, [], new Array<boolean | undefined>(rows).fill(false), cursor.x, cursor.y, false, this.lastPen);
      scrollIntoHistory(model, scrollOff);
      model.lines = have;
      model.continues = continues;
    } else {
      model = new TerminalModel(cols, rows, have, continues, cursor.x, cursor.y, false, this.lastPen);
    }
    const target: Target = { cols, rows, lines: want, wantContinues, blankFrom: rows, blankFromBg: COLOR_DEFAULT };
    for (const y of changed) drawCells(model, target, y, false, this.printRuns);
    return finishPlan(model, clampCursor(next, cols, rows));
  }

  /**
   * Bytes that turn the terminal showing `previous` into one showing `previous` with `rows` (row index → row) and
   * `cursor` in place of its own, and that frame (patched-frame.ts, its lines built only when read). For a
   * keystroke's guesses drawn over the frame last drawn: the work follows the rows given, not the screen, and the
   * terminal ends as `render(previous, that frame)` would leave it. Nothing else may differ from `previous` (modes,
   * title, bell and the rest, and each row's soft-wrap flag, which the given rows keep): those are `render`'s.
   */
  renderRows(previous: Framebuffer, rows: ReadonlyMap<number, Row>, cursor: Cursor): { out: string; drawn: Framebuffer } {
    const drawn = patchedFrame(previous, rows, cursor);
    const cols = previous.cols;
    const height = previous.rows;
    for (const [y, row] of rows) {
      // A row that changes its wrap flag changes what its neighbours need: that takes the whole-screen render.
      if (row.wrapped !== (frameRow(previous, y)?.wrapped ?? false)) return { out: this.render(previous, drawn), drawn };
    }
    const continuity = previous === this.lastDrawn;
    // Sparse: only the given rows (and the wrap flags they read) are filled. Every row keeps its wrap flag, so the
    // flag-repairing steps of drawRow have nothing to do and drawCells is the whole of it; no bulk erase below.
    const have: (readonly Cell[])[] = [];
    const want: (readonly Cell[])[] = [];
    const continues: (boolean | undefined)[] = [];
    const wantContinues: boolean[] = [];
    continues[0] = continuity ? this.lastTopContinues : undefined;
    const order = [...rows.keys()].filter((y) => Number.isInteger(y) && y >= 0 && y < height).sort((a, b) => a - b);
    for (const y of order) {
      const before = frameRow(previous, y) ?? { cells: [], wrapped: false };
      have[y] = sanitizeRow(before, cols);
      want[y] = sanitizeRow(rows.get(y)!, cols);
      if (y > 0) continues[y] = wantContinues[y] = frameRow(previous, y - 1)?.wrapped === true;
    }
    const from = clampCursor(previous, cols, height);
    const model = new TerminalModel(cols, height, have, continues, from.x, from.y, false, continuity ? this.lastPen : undefined);
    const target: Target = { cols, rows: height, lines: want, wantContinues, blankFrom: height, blankFromBg: COLOR_DEFAULT };
    for (const y of order) drawCells(model, target, y, false, this.printRuns);
    const plan = finishPlan(model, clampCursor(drawn, cols, height));

    const out = this.cursorVisibility(previous.cursor.visible === true, cursor.visible !== false, plan, '') + this.renderCursorShape(drawn);

    this.lastDrawn = drawn;
    this.lastPen = plan.pen;
    this.lastTopContinues = plan.continues[0];
    return { out, drawn };
  }

  /**
   * The normal screen's rows exit(lastDrawn) leaves above the cursor, as drawn (exitRow), with the width they were
   * drawn at: what stays on the terminal above whatever is written after. Ask before exit().
   */
  rowsAboveExit(lastDrawn: Framebuffer | undefined): { readonly rows: readonly Row[]; readonly cols: number } {
    const frame = this.alternate !== undefined ? this.alternate.normalBelow : lastDrawn;
    if (frame === undefined || !(frame.rows >= 1)) return { rows: [], cols: 0 };
    return { rows: frame.lines.slice(0, exitRow(frame)), cols: frame.cols };
  }

  /**
   * Undo every mode the renderer may have set and leave the cursor on a fresh line below the drawn content (on the
   * alternate screen: back to the normal screen, below what it shows).
   */
  exit(lastDrawn: Framebuffer | undefined): string {
    // Frames close their links; closing once more costs 7 bytes and holds whatever wrote last.
    let out = '\x1b]8;;\x1b\\\x1b[r\x1b[m';
    if (this.alternate !== undefined) {
      lastDrawn = this.alternate.normalBelow;
      out += this.leaveAlternateScreen() + '\x1b[r\x1b[m';
    }
    out += `\x1b[?${ALL_PRIVATE_MODES.join(';')}l\x1b>`;
    out += '\x1b[>4m'; // modifyOtherKeys back to the terminal's configured default
    if (this.kittyPushed) out += '\x1b[<u';
    else if (this.kittyFlags !== 0) out += '\x1b[=0;1u';
    if (this.titlePushed) out += '\x1b[23;2t';
    // A progress bar left in the tab or taskbar would outlive the session it reported on.
    if (this.progress !== undefined && this.progress.state !== 0) out += progressSequence(NO_PROGRESS);
    out += '\x1b[0 q\x1b[?25h';
    if (lastDrawn === undefined || !(lastDrawn.rows >= 1)) {
      out += '\r\n';
    } else {
      const next = exitRow(lastDrawn);
      out += next < lastDrawn.rows ? absoluteMove(0, next) : `${absoluteMove(0, lastDrawn.rows - 1)}\n`;
    }
    this.lastDrawn = undefined;
    this.lastPen = undefined;
    this.kittyPushed = false;
    this.kittyFlags = 0;
    this.titlePushed = false;
    this.title = undefined;
    this.progress = undefined;
    this.modifyOtherKeys = undefined;
    this.cursorShape = undefined;
    return out;
  }

  private renderBell(previous: Framebuffer | undefined, next: Framebuffer): string {
    const count = Number.isFinite(next.bellCount) ? next.bellCount : 0;
    // What this renderer rang (or adopted) wins over the previous frame, as for notifications.
    const before = this.bellCount ?? (previous !== undefined && Number.isFinite(previous.bellCount) ? previous.bellCount : undefined);
    this.bellCount = Math.max(count, this.bellCount ?? 0);
    // One BEL however many rang since the last frame: a burst of bells is one alert, not a stutter.
    return before !== undefined && count > before ? '\x07' : '';
  }

  private renderTitle(next: Framebuffer): string {
    const title = sanitizeTitle(next.title);
    if (title === (this.title ?? '')) return '';
    let out = '';
    if (!this.titlePushed) {
      // Save the user's title on the terminal's title stack, so exit() can give it back.
      out += '\x1b[22;2t';
      this.titlePushed = true;
    }
    this.title = title;
    return `${out}\x1b]2;${title}\x07`;
  }

  private renderClipboard(previous: Framebuffer | undefined, next: Framebuffer): string {
    const write = next.clipboard ?? undefined;
    const generation = write?.generation ?? 0;
    // What this renderer delivered (or adopted) wins; a renderer that has drawn nothing yet trusts a previous frame it
    // is handed (no clipboard there: no copy made yet, generation 0); with neither, this is a first sight.
    const before = this.clipboardGeneration ?? (previous !== undefined ? (previous.clipboard?.generation ?? 0) : undefined);
    this.clipboardGeneration = Math.max(generation, this.clipboardGeneration ?? 0);
    // A first sight of a write (fresh client, repaint) is history, not a new copy: do not clobber the clipboard.
    if (write === undefined || before === undefined || generation <= before) return '';
    return clipboardSequence(write);
  }

  /**
   * Each notification once: those newer than the previous frame's (or, after a repaint, than the last this renderer
   * delivered). A fresh renderer (a new client attaching) delivers none of what it first sees: that is history.
   */
  private renderNotifications(previous: Framebuffer | undefined, next: Framebuffer): string {
    const notifications = next.notifications ?? [];
    const latest = latestNotificationGeneration(notifications);
    // What this renderer delivered (or adopted) wins over the previous frame: a frame drawn before the session's
    // first screen (blank, or a status line) says nothing about what the user has seen.
    const before = this.notificationGeneration ?? (previous !== undefined ? latestNotificationGeneration(previous.notifications ?? []) : undefined);
    this.notificationGeneration = Math.max(latest, this.notificationGeneration ?? 0);
    if (before === undefined) return '';
    let out = '';
    for (const notification of notifications) {
      if (notification.generation > before && isDeliverablePayload(notification.payload)) out += `\x1b]${notification.code};${notification.payload}\x1b\\`;
    }
    return out;
  }

  /** Progress is state: sent when it differs from what the terminal shows, a fresh renderer included. */
  private renderProgress(next: Framebuffer): string {
    const progress = next.progress ?? NO_PROGRESS;
    const shown = this.progress ?? NO_PROGRESS;
    if (progress.state === shown.state && progress.value === shown.value) return '';
    this.progress = progress;
    return progressSequence(progress);
  }

  private renderKeyboardProtocols(modes: TerminalModes): string {
    let out = '';
    const flags = modes.kittyKeyboardFlags;
    if (flags !== this.kittyFlags) {
      if (flags !== 0 && !this.kittyPushed) {
        // Push rather than set, so exit() pops back to whatever the user's terminal had.
        out += `\x1b[>${flags}u`;
        this.kittyPushed = true;
      } else if (flags !== 0) {
        out += `\x1b[=${flags};1u`;
      } else {
        out += '\x1b[<u';
        this.kittyPushed = false;
      }
      this.kittyFlags = flags;
    }
    const level = modes.modifyOtherKeys;
    if (level !== (this.modifyOtherKeys ?? 0)) {
      out += `\x1b[>4;${level}m`;
      this.modifyOtherKeys = level;
    }
    return out;
  }

  private renderCursorShape(next: Framebuffer): string {
    const cursor = next.cursor;
    const code = cursorShapeCode(cursor?.style ?? 'block', cursor?.blink !== false);
    if (code === (this.cursorShape ?? 0)) return '';
    this.cursorShape = code;
    return `\x1b[${code} q`;
  }
}

/**
 * The framebuffer a terminal shows after `render(…, fb)`: `fb` with every cell as the renderer can draw it (see
 * sanitizeRow: malformed wide pairs and unprintable text become blanks, an empty cell with a foreground or
 * attributes becomes a space) and the title as it is sent. Identical to `fb` for any screen an emulator produced.
 * For tests and for clients that compare what they drew with what they were sent.
 */
export function displayedFramebuffer(fb: Framebuffer): Framebuffer {
  const lines = fb.lines.map((row) => {
    const cells = sanitizeRow(row, fb.cols);
    return cells === row.cells ? row : { cells, wrapped: row.wrapped === true };
  });
  const title = sanitizeTitle(fb.title);
  return { ...fb, lines, title };
}

function clampCursor(fb: Framebuffer, cols: number, rows: number): { x: number; y: number } {
  const clamp = (v: unknown, size: number) => (Number.isInteger(v) ? Math.min(Math.max(0, v as number), size - 1) : 0);
  return { x: clamp(fb.cursor?.x, cols), y: clamp(fb.cursor?.y, rows) };
}

function buildTarget(next: Framebuffer): Target {
  const { cols, rows } = next;
  const lines = Array.from({ length: rows }, (_, y) => sanitizeRow(next.lines[y] ?? { cells: [], wrapped: false }, cols));
  const wantContinues = new Array<boolean>(rows).fill(false);
  for (let y = 1; y < rows; y++) wantContinues[y] = next.lines[y - 1]?.wrapped === true;
  let blankFrom = rows;
  let blankFromBg: Color = COLOR_DEFAULT;
  for (let y = rows - 1; y >= 0; y--) {
    const bg = uniformErasedBackground(lines[y]!);
    if (bg === undefined || (y + 1 < rows && wantContinues[y + 1]) || (blankFrom < rows && bg !== blankFromBg)) break;
    blankFrom = y;
    blankFromBg = bg;
  }
  return { cols, rows, lines, wantContinues, blankFrom, blankFromBg };
}

function drawPlan(model: TerminalModel, target: Target, scroll: Scroll | undefined, cursor: { x: number; y: number }, printRuns: boolean): TerminalModel {
  if (scroll !== undefined) emitScroll(model, scroll);
  const staleRows = new StaleRows(model, target);
  for (let y = 0; y < target.rows; y++) drawRow(model, target, y, printRuns, staleRows);
  return finishPlan(model, cursor);
}

/** End a plan: close any open link and place the cursor, noting where the body ended (see Renderer.render). */
function finishPlan(model: TerminalModel, cursor: { x: number; y: number }): TerminalModel {
  // Never leave a link open past a frame: whatever prints next (the user's shell after exit, the scrollback
  // writer, a notice) would become part of it.
  model.setLink(undefined);
  model.bodyLength = model.out.length;
  // A pending wrap means the column is not what it seems: always land the cursor explicitly.
  if (model.pendingWrap || model.x !== cursor.x || model.y !== cursor.y) {
    const moved = model.moved;
    model.moveTo(cursor.x, cursor.y);
    model.moved = moved;
  }
  model.finalMove = model.out.slice(model.bodyLength);
  return model;
}

