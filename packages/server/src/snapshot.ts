/**
 * Reading an @xterm/headless Terminal into the immutable Framebuffer model.
 *
 * Three kinds of state feed a snapshot:
 * - the cell grid, cursor position and most modes, read through xterm's public (proposed) API;
 * - cursor visibility, DECSCUSR shape/blink and the mouse encoding, which xterm keeps only internally: every such
 *   access lives in xterm-internals.ts so an xterm upgrade breaks one module and its test, loudly;
 * - state xterm does not keep at all (title, bell count, OSC 52 clipboard, kitty keyboard flags, modifyOtherKeys,
 *   DECSCNM reverse video), recorded by a `TerminalTracker` (terminal-tracker.ts) that hooks the terminal's parser and events. Install it
 *   with `trackTerminal(term)` before writing to the terminal; `snapshotTerminal` installs it lazily otherwise,
 *   and then only sees what happens from that moment on.
 */
import type { Terminal, IBufferCell, IBufferLine } from '@xterm/headless';
import {
  plainLogLine,
  trimmedLogLine,
  Attr,
  BLANK_CELL,
  COLOR_DEFAULT,
  COLOR_MODE_MASK,
  COLOR_RGB,
  COLOR_VALUE_MASK,
  blankRow,
  capScreenLinks,
  linksEqual,
  cursorsEqual,
  modesEqual,
  rowsEqual,
  type Cell,
  type Color,
  type Cursor,
  type Framebuffer,
  type Hyperlink,
  type MouseTracking,
  type PlainLogLine,
  type Row,
  type TerminalModes,
  withUnderlineStyle,
  type UnderlineStyle,
} from '@tsmosh/terminal';
import { trackTerminal } from './terminal-tracker.js';
import { readXtermInternals, xtermLinks, xtermUnderline, type XtermLinks } from './xterm-internals.js';
import { dirtyRowsOf, type DirtyRowsLine } from './dirty-rows.js';

/** A zero-width mark (nonspacing or enclosing, or ZWJ) first: a cell text with no base character. Spacing marks (Mc) are one column wide to xterm and stand alone. */
const STARTS_WITH_MARK = /^[\p{Mn}\p{Me}\u200d]/u;

// Shared cells: most of a screen is blank or plain ASCII in default colours, so these avoid one object per cell.
const plainAsciiCells: Cell[] = [];
for (let code = 0x20; code < 0x7f; code++) {
  plainAsciiCells[code] = Object.freeze({ text: String.fromCharCode(code), width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 });
}

function colorOf(mode: number, value: number): Color {
  // xterm's colour-mode numbers are the Framebuffer's COLOR_* constants; default colour reports value −1.
  return mode === 0 ? COLOR_DEFAULT : mode | (value & COLOR_VALUE_MASK);
}

function attrsOf(cell: IBufferCell): number {
  // xterm returns bit masks (not booleans) from these getters, hence the `!== 0`.
  let attrs = 0;
  if (cell.isBold() !== 0) attrs |= Attr.Bold;
  if (cell.isDim() !== 0) attrs |= Attr.Dim;
  if (cell.isItalic() !== 0) attrs |= Attr.Italic;
  if (cell.isUnderline() !== 0) attrs |= Attr.Underline;
  if (cell.isBlink() !== 0) attrs |= Attr.Blink;
  if (cell.isInverse() !== 0) attrs |= Attr.Inverse;
  if (cell.isInvisible() !== 0) attrs |= Attr.Invisible;
  if (cell.isStrikethrough() !== 0) attrs |= Attr.Strikethrough;
  if (cell.isOverline() !== 0) attrs |= Attr.Overline;
  return attrs;
}

function cellMatches(cell: Cell, text: string, width: number, fg: Color, bg: Color, attrs: number, link: Hyperlink | undefined, underlineColor?: Color): boolean {
  return cell.text === text && cell.width === width && cell.fg === fg && cell.bg === bg && cell.attrs === attrs && cell.underlineColor === underlineColor && linksEqual(cell.link, link);
}

function makeCell(text: string, width: number, fg: Color, bg: Color, attrs: number, link: Hyperlink | undefined, underlineColor: Color | undefined): Cell {
  if (underlineColor !== undefined) {
    return link === undefined ? { text, width: width as 0 | 1 | 2, fg, bg, attrs, underlineColor } : { text, width: width as 0 | 1 | 2, fg, bg, attrs, underlineColor, link };
  }
  if (link !== undefined) return { text, width: width as 0 | 1 | 2, fg, bg, attrs, link };
  if (fg === COLOR_DEFAULT && bg === COLOR_DEFAULT && attrs === 0 && width === 1) {
    if (text === '') return BLANK_CELL;
    if (text.length === 1) {
      const shared = plainAsciiCells[text.charCodeAt(0)];
      if (shared !== undefined) return shared;
    }
  }
  return { text, width: width as 0 | 1 | 2, fg, bg, attrs };
}

/** readRow's new cells at the first column `x` that differs from `candidate`'s: its cells before x, room for `cols`. */
function copyOnWrite(candidate: Row, x: number, cols: number): Cell[] {
  // A loop, not slice(): rows are frozen arrays, which V8's slice() copies slowly (as cell-sanitizer.ts found).
  const cells = new Array<Cell>(cols);
  for (let i = 0; i < x; i++) cells[i] = candidate.cells[i]!;
  return cells;
}

/**
 * Reads one buffer line. When `candidate` holds the same cells, returns it (no allocation for unchanged rows);
 * otherwise builds a new frozen Row. With `links` (xtermLinks of the line's terminal), cells keep their OSC 8 link
 * and only the program's own underline; without, links are not read (and xterm's link underline is not removed).
 */
export function readRow(
  line: IBufferLine | undefined,
  cols: number,
  wrapped: boolean,
  scratch: IBufferCell,
  lookahead: IBufferCell,
  candidate: Row | undefined,
  links?: XtermLinks,
): Row {
  if (line === undefined) return wrapped ? Object.freeze({ cells: blankRow(cols).cells, wrapped }) : blankRow(cols);
  const same = candidate !== undefined && candidate.wrapped === wrapped && candidate.cells.length === cols;
  let cells: Cell[] | undefined = same ? undefined : new Array<Cell>(cols);
  let previousWidth = 1;
  // xterm's cell words (three a cell: content, fg, bg), read directly where they say everything about the cell.
  const data = rawCellData(line);
  const readable = data === undefined ? 0 : Math.min(line.length, Math.floor(data.length / 3));
  for (let x = 0; x < cols; x++) {
    let text = '';
    let width = 1;
    let fg = COLOR_DEFAULT;
    let bg = COLOR_DEFAULT;
    let attrs = 0;
    let link: Hyperlink | undefined;
    let underlineColor: Color | undefined;
    const at = x * 3;
    if (x < readable && data![at + 1] === 0 && data![at + 2] === 0 && data![at]! >>> CODE_POINT_BITS === SINGLE_NARROW_CHARACTER) {
      // Default colours, no attribute, one code point one column wide, nothing kept outside the words: when that is
      // printable ASCII or nothing (erased), the cell is the shared one the decode below would make. Most of a shell's
      // row is such cells, and a row the output changed is read whole (readRow's test holds it to the API's reads).
      const code = data![at]! & CODE_POINT_MASK;
      const shared = code === 0 ? BLANK_CELL : plainAsciiCells[code];
      if (shared !== undefined) {
        previousWidth = 1;
        if (cells === undefined) {
          const old = candidate!.cells[x]!;
          if (old === shared || cellMatches(old, shared.text, 1, COLOR_DEFAULT, COLOR_DEFAULT, 0, undefined)) continue;
          cells = copyOnWrite(candidate!, x, cols);
        }
        cells[x] = shared;
        continue;
      }
    }
    let present = false;
    if (x < readable && (data![at]! & CONTENT_IS_COMBINED) === 0 && (data![at + 2]! & BG_HAS_EXTENDED) === 0) {
      // Neither a grapheme kept outside the words nor extended attributes (underline style or colour, a link): the
      // words are the whole cell, decoded as xterm's own getters do (readRow's words equal its API reads:
      // snapshot.test.ts). Reading each cell through the API cost about 14 µs a row, most of a snapshot.
      const content = data![at]!;
      const fgWord = data![at + 1]!;
      const bgWord = data![at + 2]!;
      const code = content & CODE_POINT_MASK;
      text = code === 0 ? '' : String.fromCodePoint(code);
      width = content >> WIDTH_SHIFT;
      fg = colorOfWord(fgWord);
      bg = colorOfWord(bgWord);
      attrs = attrsOfWords(fgWord, bgWord);
      present = true;
    } else {
      const cell = line.getCell(x, scratch);
      if (cell !== undefined) {
        text = cell.getChars();
        width = cell.getWidth();
        fg = colorOf(cell.getFgColorMode(), cell.getFgColor());
        bg = colorOf(cell.getBgColorMode(), cell.getBgColor());
        attrs = attrsOf(cell);
        const urlId = links?.urlIdOf(cell) ?? 0;
        if (urlId !== 0) {
          // xterm reports every linked cell as underlined (how it draws links); the cell's underline is the program's.
          attrs = links!.programUnderlined(cell) ? attrs | Attr.Underline : attrs & ~Attr.Underline;
          link = links!.linkOf(urlId);
        }
        if (attrs & Attr.Underline) {
          // The underline's style (SGR 4:N) and colour (SGR 58) live in the extended attributes.
          const underline = xtermUnderline(cell);
          attrs = withUnderlineStyle(attrs, underline.style as UnderlineStyle);
          underlineColor = underline.color;
        }
        present = true;
      }
    }
    if (present) {
      // The model's promise: a width-2 cell is always followed by its width-0 second half, and a width-0 cell only
      // follows a width-2 one. xterm's buffer can break it: a wide character cut by a narrowing resize keeps width 2
      // in the last column, and a combining mark with nothing to combine with (column 0) becomes a lone width-0
      // cell that still takes a column. Neither can be redrawn on another terminal, so: the cut wide character is
      // shown as a blank in its pen (a terminal cannot draw half of it), the lone mark on a one-column space.
      if (width === 2 && (x === cols - 1 || line.getCell(x + 1, lookahead)?.getWidth() !== 0)) {
        text = '';
        width = 1;
      } else if (width === 0 && previousWidth !== 2) {
        width = 1;
      }
      // Marks with no base character (a lone mark, or marks added to an erased cell) are drawn over a blank, as
      // terminals show them; a space carrying the marks is what a renderer can write, so report exactly that.
      // (Every such mark is at U+0300 or above: plain text skips the pattern.)
      if (width !== 0 && text.charCodeAt(0) >= 0x300 && STARTS_WITH_MARK.test(text)) text = ' ' + text;
      // Canonical empty cells: an erase (EL, ED, ECH, scrolling) leaves cells that carry only a background, so only
      // those are ''. xterm also pads with empty cells in the current pen (a wide character that does not fit in
      // the last column), which no erase can reproduce on the user's terminal; they look exactly like spaces in
      // that pen, so they are reported as spaces and the renderer can draw every snapshot exactly.
      // A link is drawn by printing too, so an empty linked cell is a linked space.
      if (text === '' && width === 1 && (fg !== COLOR_DEFAULT || attrs !== 0 || link !== undefined)) text = ' ';
    }
    previousWidth = width;
    if (cells === undefined) {
      const old = candidate!.cells[x]!;
      if (cellMatches(old, text, width, fg, bg, attrs, link, underlineColor)) continue;
      cells = copyOnWrite(candidate!, x, cols);
    }
    cells[x] = makeCell(text, width, fg, bg, attrs, link, underlineColor);
  }
  if (cells === undefined) return candidate!;
  return Object.freeze({ cells: Object.freeze(cells), wrapped });
}

/**
 * A line for the scrollback log: readRow up to the last cell that is not an erased default blank (what
 * trimmedLogLine would keep), without reading the rest. A scrolled-off line is read once and most are short (a
 * shell's output, a numbered list), so skipping the blank tail with cheap checks is most of the capture's cost in a
 * flood. Equal to trimmedLogLine(readRow(...)) for every line (snapshot.test.ts).
 */
export function readLogRow(
  line: IBufferLine | undefined,
  cols: number,
  wrapped: boolean,
  scratch: IBufferCell,
  lookahead: IBufferCell,
  links?: XtermLinks,
): Row {
  if (line === undefined) return readRow(line, cols, wrapped, scratch, lookahead, undefined, links);
  let used = Math.min(cols, line.length);
  const data = rawCellData(line);
  if (data !== undefined) {
    // xterm keeps three words per cell (content, fg, bg); an erased cell in the default pen is no code point with
    // width 1, and fg and bg both 0 (default colours, no attributes, no extended attributes). Stopping early is
    // always safe (the final trim removes what is left), so anything else ends the scan, wide halves included.
    while (used > 0) {
      const at = (used - 1) * 3;
      if (data[at] !== ERASED_CELL_CONTENT || data[at + 1] !== 0 || data[at + 2] !== 0) break;
      used--;
    }
  } else {
    while (used > 0) {
      const cell = line.getCell(used - 1, scratch);
      // Anything but an erased cell in the default pen ends the tail; so does the second half of a wide character.
      if (cell === undefined || cell.getWidth() !== 1 || cell.getChars() !== '' || !cell.isBgDefault() || !cell.isFgDefault() || !cell.isAttributeDefault()) break;
      used--;
    }
  }
  // A wide character in the last used column is judged against the real width (it may have been cut there).
  const read = readRow(line, used === cols ? cols : used + 1, wrapped, scratch, lookahead, undefined, links);
  return trimmedLogLine(used === cols ? read : Object.freeze({ cells: Object.freeze(read.cells.slice(0, used)), wrapped }));
}

/** xterm's content word of an erased cell: no code point, width 1 (bits 22–23). */
const ERASED_CELL_CONTENT = 1 << 22;
/** xterm's content word: the code point (bits 0–20), a flag for text kept outside the words (21), the width (22–23). */
const CODE_POINT_MASK = 0x1fffff;
const CONTENT_IS_COMBINED = 1 << 21;
const WIDTH_SHIFT = 22;
/** xterm's fg and bg words: colour value (bits 0–23), colour mode (24–25: the Framebuffer's COLOR_* numbers), flags. */
const PALETTE_INDEX_MASK = 0xff;
const FG_INVERSE = 1 << 26;
const FG_BOLD = 1 << 27;
const FG_UNDERLINE = 1 << 28;
const FG_BLINK = 1 << 29;
const FG_INVISIBLE = 1 << 30;
const FG_STRIKETHROUGH = 2 ** 31;
const BG_ITALIC = 1 << 26;
const BG_DIM = 1 << 27;
/** The bg word's flag for a cell whose underline style, underline colour or link is kept outside the words. */
const BG_HAS_EXTENDED = 1 << 28;
const BG_OVERLINE = 1 << 30;

/** A colour from an fg or bg word, as colorOf(getFgColorMode(), getFgColor()) reads it. */
function colorOfWord(word: number): Color {
  const mode = word & COLOR_MODE_MASK;
  if (mode === 0) return COLOR_DEFAULT;
  return mode | (word & (mode === COLOR_RGB ? COLOR_VALUE_MASK : PALETTE_INDEX_MASK));
}

/** The attribute bits of a cell without extended attributes, as attrsOf reads them through xterm's getters. */
function attrsOfWords(fg: number, bg: number): number {
  let attrs = 0;
  if ((fg & FG_BOLD) !== 0) attrs |= Attr.Bold;
  if ((bg & BG_DIM) !== 0) attrs |= Attr.Dim;
  if ((bg & BG_ITALIC) !== 0) attrs |= Attr.Italic;
  if ((fg & FG_UNDERLINE) !== 0) attrs |= Attr.Underline;
  if ((fg & FG_BLINK) !== 0) attrs |= Attr.Blink;
  if ((fg & FG_INVERSE) !== 0) attrs |= Attr.Inverse;
  if ((fg & FG_INVISIBLE) !== 0) attrs |= Attr.Invisible;
  if ((fg & FG_STRIKETHROUGH) !== 0) attrs |= Attr.Strikethrough;
  if ((bg & BG_OVERLINE) !== 0) attrs |= Attr.Overline;
  return attrs;
}
/** xterm's content word above its code point bits: bit 21 marks a combined (multi-code-point) cell, 22–23 the width. */
const CODE_POINT_BITS = 21;
/** The content word's bits above the code point for one single-code-point character of width 1. */
const SINGLE_NARROW_CHARACTER = 1 << (22 - CODE_POINT_BITS);

/**
 * The log form of a scrolled-off line straight from xterm's cell words (`data`, three words a cell: content, fg, bg),
 * when the line is plain (plainCellsUsed); undefined otherwise, and the line is read cell by cell (readLogRow). The
 * same bytes as encoding readLogRow's Row (snapshot.test.ts), without a Row or a cell object.
 */
export function plainLogLineFromCells(data: Uint32Array, length: number, cols: number, wrapped: boolean): PlainLogLine | undefined {
  const used = plainCellsUsed(data, length, cols);
  // The content word's low 7 bits are the character (checked): every third word from 0.
  return used < 0 ? undefined : plainLogLine(used, wrapped, data, 0, 3);
}

/**
 * How many cells of a line (xterm's cell words, as plainLogLineFromCells takes them) its plain log form holds, or -1
 * when it is not plain: up to its erased default tail, every cell one printable ASCII character of width 1 in the
 * default pen (fg and bg words zero: default colours, no attributes, no extended attributes, so no link). The log
 * form is then plainLogLine(used, wrapped, data, 0, 3): a flood is nearly all such lines, read once each.
 */
export function plainCellsUsed(data: Uint32Array, length: number, cols: number): number {
  let used = Math.min(cols, length, Math.floor(data.length / 3));
  while (used > 0) {
    const at = (used - 1) * 3;
    if (data[at] !== ERASED_CELL_CONTENT || data[at + 1] !== 0 || data[at + 2] !== 0) break;
    used--;
  }
  for (let x = 0; x < used; x++) {
    const at = x * 3;
    const content = data[at]!;
    const code = content & 0x1fffff;
    if (content >>> CODE_POINT_BITS !== SINGLE_NARROW_CHARACTER || code < 0x20 || code > 0x7e || data[at + 1] !== 0 || data[at + 2] !== 0) return -1;
  }
  return used;
}

/**
 * xterm's own line object behind a public line (internal `_line`): what dirty-rows.ts sees at a row, and (`_data`)
 * its cell words. The one place this module reaches past xterm's API for a line.
 */
function internalLine(line: IBufferLine): (DirtyRowsLine & { readonly _data?: unknown }) | undefined {
  return (line as unknown as { _line?: DirtyRowsLine & { _data?: unknown } })._line;
}

/** The cell words of an xterm buffer line (internal `_line._data`), when this xterm version has them. */
function rawCellData(line: IBufferLine): Uint32Array | undefined {
  const data = internalLine(line)?._data;
  return data instanceof Uint32Array ? data : undefined;
}

/**
 * Finds an earlier Row with the same contents anywhere on the previous screen, so a scrolled screen shares its
 * moved rows with the previous snapshot (the differ and renderer compare rows by identity first). The place the last
 * moved row came from predicts the next (a scroll moves them all by one amount); otherwise the previous rows are
 * compared in order, each comparison ending at its first differing cell. (Keying every previous row by its text was
 * half of a snapshot's time after one changed cell.)
 */
class PreviousRows {
  /** How far up the last row found had moved (its previous index less its new one). */
  private shift = 0;
  constructor(private readonly rows: readonly Row[]) {}
  /** The previous row the last move predicts for row `y` (its index; may be off the screen). */
  predicted(y: number): number {
    return y + this.shift;
  }
  /** Row `y` was found at previous index `from`. */
  moved(from: number, y: number): void {
    this.shift = from - y;
  }
  find(row: Row, y: number): Row | undefined {
    const predicted = this.rows[y + this.shift];
    if (predicted !== undefined && rowsEqual(predicted, row)) return predicted;
    for (let from = 0; from < this.rows.length; from++) {
      const r = this.rows[from]!;
      if (r === predicted || !rowsEqual(r, row)) continue;
      this.shift = from - y;
      return r;
    }
    return undefined;
  }
}

/**
 * The xterm cell words each row of a snapshot was read from (the first `cols` cells, three words each), for the rows
 * whose words say everything about their cells (plainWordsOf); undefined for the others. The next snapshot compares a
 * line's words with these before reading it: equal words read as the same Row, so an unchanged row costs a compare
 * of 3 × cols numbers instead of decoding every cell (a string, two colours and the attributes each) and comparing
 * it with the previous cell. After an Enter most of the screen is unchanged or moved up a row: reading all 24 rows
 * was most of the snapshot, and the snapshot a third of the daemon's time from the program's last write to the
 * datagram (docs/benchmarks-journal.md, session 14).
 */
interface ReadFrom {
  readonly term: Terminal;
  readonly words: readonly (Uint32Array | undefined)[];
  /** xterm's line object each row was read from, when its changed rows are tracked (dirty-rows.ts). */
  readonly from: readonly (DirtyRowsLine | undefined)[] | undefined;
}

const readFrom = new WeakMap<Framebuffer, ReadFrom>();

/**
 * A copy of the first `cols` cells' words of `line` when they are all it takes to read the row: the line is at least
 * `cols` wide and no cell keeps text (a grapheme of several code points) or extended attributes (an underline style
 * or colour, a link) outside its words. Undefined otherwise: such rows are read every time.
 */
function plainWordsOf(line: IBufferLine, cols: number): Uint32Array | undefined {
  const data = rawCellData(line);
  const words = cols * 3;
  if (data === undefined || line.length < cols || data.length < words) return undefined;
  for (let at = 0; at < words; at += 3) {
    if ((data[at]! & CONTENT_IS_COMBINED) !== 0 || (data[at + 2]! & BG_HAS_EXTENDED) !== 0) return undefined;
  }
  return data.slice(0, words);
}

/** Whether `line`'s first cells hold exactly `words` (a plainWordsOf copy, whose length says how many). */
function lineHoldsWords(line: IBufferLine, words: Uint32Array): boolean {
  const data = rawCellData(line);
  if (data === undefined || data.length < words.length || line.length * 3 < words.length) return false;
  for (let i = 0; i < words.length; i++) if (data[i] !== words[i]) return false;
  return true;
}

/**
 * Snapshots the active buffer's screen (the bottom `rows` lines, where the program draws) of `term` into a
 * Framebuffer. Rows, cursor and modes objects equal to `previous` ones are reused, and when nothing at all changed
 * `previous` itself is returned, so callers can detect "no change" with `===`.
 */
export function snapshotTerminal(term: Terminal, previous?: Framebuffer): Framebuffer {
  const tracker = trackTerminal(term);
  const internals = readXtermInternals(term);
  const links = xtermLinks(term);
  const buffer = term.buffer.active;
  const { cols, rows } = term;
  const top = buffer.baseY;
  const scratch = buffer.getNullCell();
  const lookahead = buffer.getNullCell();
  const sameSize = previous !== undefined && previous.cols === cols && previous.rows === rows;
  const previousRows = sameSize ? new PreviousRows(previous.lines) : undefined;

  const lines = new Array<Row>(rows);
  const words = new Array<Uint32Array | undefined>(rows);
  const previousRead = sameSize ? readFrom.get(previous) : undefined;
  const previousWords = previousRead?.term === term ? previousRead.words : undefined;
  // The rows xterm may have changed since `previous` (dirty-rows.ts); undefined: any row may have.
  const dirty = dirtyRowsOf(term);
  const changed = previousWords !== undefined ? dirty?.changedSince(previous!) : undefined;
  const previousFrom = changed !== undefined ? previousRead!.from : undefined;
  const from = dirty !== undefined ? new Array<DirtyRowsLine | undefined>(rows) : undefined;
  let allRowsShared = sameSize;
  // Every row read holds words (no link in it), so capScreenLinks has nothing to cap.
  let linkFree = true;
  // xterm's line below the last row read, fetched once (undefined past the buffer, null before it is fetched).
  let nextLine: IBufferLine | undefined | null = null;
  for (let y = 0; y < rows; y++) {
    if (previousFrom !== undefined && (y < changed!.start || y > changed!.end)) {
      // A row xterm has not touched since `previous` (moved up by its whole-screen scrolls): the same line object as
      // was read there, read from its words alone, with the same wrap flag, reads as the same Row.
      const at = y + changed!.shift;
      const line = changed!.lineAt(y);
      const kept = previousWords![at];
      if (at < rows && kept !== undefined && line !== undefined && previousFrom[at] === line && previous!.lines[at]!.wrapped === (changed!.lineAt(y + 1)?.isWrapped === true)) {
        const row = previous!.lines[at]!;
        lines[y] = row;
        words[y] = kept;
        from![y] = line;
        if (at !== y) previousRows!.moved(at, y);
        if (row !== previous!.lines[y]) allRowsShared = false;
        nextLine = null;
        continue;
      }
    }
    const line = nextLine !== null ? nextLine : buffer.getLine(top + y);
    nextLine = buffer.getLine(top + y + 1);
    // xterm marks the *continuation* line as wrapped; the model marks the row that continues.
    const wrapped = nextLine?.isWrapped === true;
    const candidate = sameSize ? previous.lines[y] : undefined;
    let row: Row | undefined;
    if (previousWords !== undefined && line !== undefined) {
      // The words the row at the same place was read from, then those of where the last moved row came from.
      const predicted = previousRows!.predicted(y);
      let at = -1;
      if (lineHoldsRow(line, wrapped, y, previous!.lines, previousWords)) at = y;
      else if (predicted !== y && lineHoldsRow(line, wrapped, predicted, previous!.lines, previousWords)) at = predicted;
      if (at >= 0) {
        row = previous!.lines[at]!;
        words[y] = previousWords[at];
        if (at !== y) previousRows!.moved(at, y);
      }
    }
    if (row === undefined) {
      row = readRow(line, cols, wrapped, scratch, lookahead, candidate, links);
      if (row !== candidate && previousRows !== undefined) row = previousRows.find(row, y) ?? row;
      words[y] = line === undefined ? undefined : plainWordsOf(line, cols);
    }
    if (from !== undefined) from[y] = line === undefined ? undefined : internalLine(line);
    if (words[y] === undefined) linkFree = false;
    if (row !== candidate) allRowsShared = false;
    lines[y] = row;
  }
  // A screen holds a bounded number of links (hyperlinks.ts); past it, later links show as plain text.
  const cappedLines = linkFree ? lines : capScreenLinks(lines);
  if (cappedLines !== lines) allRowsShared = false;

  const options = term.options;
  const cursor: Cursor = {
    // A pending wrap leaves xterm's cursor at x === cols; the model clamps to the last column.
    x: Math.min(buffer.cursorX, cols - 1),
    y: Math.min(buffer.cursorY, rows - 1),
    visible: !internals.cursorHidden,
    style: internals.cursorStyle ?? options.cursorStyle ?? 'block',
    blink: internals.cursorBlink ?? options.cursorBlink ?? false,
  };
  const m = term.modes;
  const modes: TerminalModes = {
    applicationCursorKeys: m.applicationCursorKeysMode,
    applicationKeypad: m.applicationKeypadMode,
    bracketedPaste: m.bracketedPasteMode,
    mouseTracking: m.mouseTrackingMode as MouseTracking,
    mouseEncoding: internals.mouseEncoding,
    focusReporting: m.sendFocusMode,
    kittyKeyboardFlags: tracker.kittyKeyboardFlags,
    modifyOtherKeys: tracker.modifyOtherKeys,
    reverseVideo: tracker.reverseVideo,
  };
  const alternateScreen = buffer.type === 'alternate';

  // Unchanged parts stay the previous screen's objects (nothing new to keep), and an unchanged screen is the previous one.
  const cursorSame = previous !== undefined && cursorsEqual(previous.cursor, cursor);
  const modesSame = previous !== undefined && modesEqual(previous.modes, modes);
  if (
    previous !== undefined &&
    allRowsShared &&
    cursorSame &&
    modesSame &&
    previous.title === tracker.title &&
    previous.bellCount === tracker.bellCount &&
    previous.clipboard === tracker.clipboard &&
    previous.notifications === tracker.notifications &&
    previous.progress === tracker.progress &&
    previous.alternateScreen === alternateScreen
  ) {
    // Its rows read the same as these words (equal words, or cells that decode alike): both describe them.
    readFrom.set(previous, { term, words, from });
    dirty?.reset(previous);
    return previous;
  }
  const snapshot: Framebuffer = Object.freeze({
    cols,
    rows,
    lines: Object.freeze(cappedLines),
    cursor: previous !== undefined && cursorSame ? previous.cursor : Object.freeze(cursor),
    modes: previous !== undefined && modesSame ? previous.modes : Object.freeze(modes),
    title: tracker.title,
    bellCount: tracker.bellCount,
    clipboard: tracker.clipboard,
    notifications: tracker.notifications,
    progress: tracker.progress,
    alternateScreen,
  });
  // A row capScreenLinks changed has links, so no words were kept for it.
  readFrom.set(snapshot, { term, words, from });
  dirty?.reset(snapshot);
  return snapshot;
}

/**
 * Whether `line` (with `wrapped`) holds the words previous row `from` was read from: then it reads as that Row.
 * Rows without kept words, and indexes off the previous screen, never match.
 */
function lineHoldsRow(line: IBufferLine, wrapped: boolean, from: number, previousLines: readonly Row[], previousWords: readonly (Uint32Array | undefined)[]): boolean {
  const kept = previousWords[from];
  return kept !== undefined && previousLines[from]!.wrapped === wrapped && lineHoldsWords(line, kept);
}
