/**
 * Cells as a terminal can show them. Screens come from the network, so before the renderer draws a row it is made
 * safe and regular here: text that is one printable character (by the same Unicode 11 width table as the server's
 * emulator) plus zero-width ones, wide characters as a width-2 cell and its width-0 half, colours and attributes
 * the local terminal understands, links whose URI and id are safe inside an OSC 8 (no controls, within the limits of
 * hyperlinks.ts). Nothing here throws on malformed input, and nothing lets an escape sequence through.
 */
import { BLANK_CELL, COLOR_DEFAULT, isCanonicalAttrs, type Cell, type Color, type Row } from './framebuffer.js';
import { linkProblem, type Hyperlink } from './hyperlinks.js';
import { charWidth } from './char-width.js';
import { DEFAULT_PEN, pensEqual, sanitizeColor, sanitizePen, type Pen } from './sgr.js';

/**
 * Longest text one cell may carry, in UTF-16 code units: 30 non-starters plus a base (Unicode's Stream-Safe Text
 * Format, UAX #15), with room for surrogate pairs. The one rule for both ends: the server's mirror keeps no more
 * (server cell-budget.ts), and a row from the network is cut to it here.
 */
export const MAX_CELL_TEXT_UNITS = 64;

/**
 * One erased cell per background. The default one is the framebuffer's BLANK_CELL, the cell a decoded screen's blanks
 * are: a row that ends in blanks is then kept as it came instead of copied with other blank objects in each frame.
 */
const erasedCells = new Map<Color, Cell>([[COLOR_DEFAULT, BLANK_CELL]]);
/** What ECH/EL/ED/scrolling leave behind: no text, default foreground, no attributes, the pen's background. */
export function erasedCell(bg: Color): Cell {
  let cell = erasedCells.get(bg);
  if (cell === undefined) {
    cell = Object.freeze({ text: '', width: 1, fg: COLOR_DEFAULT, bg, attrs: 0 });
    if (erasedCells.size < 1024) erasedCells.set(bg, cell);
  }
  return cell;
}

/** Never printed: controls (C0, DEL, C1; they would be commands to the local terminal) and lone surrogates. */
const UNPRINTABLE = /^[\p{Cc}\p{Cs}]$/u;

/**
 * What one cell can hold, as the server's emulator stores it: one printable character that takes columns (by the
 * same Unicode 11 width table) followed only by zero-width ones (combining marks, joiners, variation selectors).
 * Anything else goes: controls, a second column-taking character (it would take a column behind the renderer's
 * back), zero-width characters in front (they would join the neighbour), excess length. Returns the text and the
 * columns the terminal will give it (0 when nothing printable is left).
 */
function sanitizeText(text: unknown): { text: string; columns: 0 | 1 | 2 } {
  if (typeof text !== 'string') return { text: '', columns: 0 };
  if (text.length === 1) {
    const code = text.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) return { text, columns: 1 };
  }
  let out = '';
  let columns: 0 | 1 | 2 = 0;
  for (const ch of text) {
    if (UNPRINTABLE.test(ch)) continue;
    const width = charWidth(ch.codePointAt(0)!);
    if (out === '') {
      if (width === 0) continue;
      columns = width;
    } else if (width !== 0) {
      break;
    }
    if (out.length + ch.length > MAX_CELL_TEXT_UNITS) break;
    out += ch;
  }
  // A joiner ending a cell's text joins whatever the terminal prints next, even after a cursor move: the next cell's
  // character (the emulator kept 👨 ZWJ, 👩 ZWJ, 👧 as three cells of two columns), which a terminal that joins emoji
  // draws as one glyph over two columns, leaving the row's later cells where the renderer does not expect them.
  if (out.length > 1 && out.charCodeAt(out.length - 1) === ZERO_WIDTH_JOINER) out = out.replace(TRAILING_JOINERS, '');
  return { text: out, columns };
}

const ZERO_WIDTH_JOINER = 0x200d;
const TRAILING_JOINERS = /\u200d+$/u;

const safeLinks = new WeakSet<object>();

/**
 * The link as the local terminal can be given it inside an OSC 8, or undefined (the cell shows plain text) when
 * it is not a Hyperlink or linkProblem refuses it: a control character would end the OSC and become a command.
 */
function sanitizeLink(link: unknown): Hyperlink | undefined {
  if (typeof link !== 'object' || link === null) return undefined;
  if (safeLinks.has(link)) return link as Hyperlink;
  const { uri, id } = link as { uri?: unknown; id?: unknown };
  if (typeof uri !== 'string' || typeof id !== 'string' || linkProblem(uri, id) !== undefined) return undefined;
  safeLinks.add(link);
  return link as Hyperlink;
}

function normalisedCell(raw: Cell | undefined, width: 0 | 1 | 2, text: string): Cell {
  const pen = sanitizePen(raw ?? DEFAULT_PEN);
  const link = sanitizeLink(raw?.link);
  if (width === 1 && text === '') {
    // An empty cell is made by erasing, which cannot give it a foreground, attributes or a link: show those as a space.
    if (pen.fg === COLOR_DEFAULT && pen.attrs === 0 && link === undefined) return erasedCell(pen.bg);
    text = ' ';
  }
  if (raw !== undefined && raw.text === text && raw.width === width && pensEqual(raw, pen) && raw.link === link) {
    return raw;
  }
  return cellWith(text, width, pen, link);
}

/** A cell of `pen` and `link`, with the optional fields only when present (ordinary cells keep their shape). */
function cellWith(text: string, width: 0 | 1 | 2, pen: Pen, link: Hyperlink | undefined): Cell {
  const { fg, bg, attrs, underlineColor } = pen;
  if (underlineColor !== undefined) return link === undefined ? { text, width, fg, bg, attrs, underlineColor } : { text, width, fg, bg, attrs, underlineColor, link };
  return link === undefined ? { text, width, fg, bg, attrs } : { text, width, fg, bg, attrs, link };
}

interface SanitizedRow {
  readonly cols: number;
  readonly cells: readonly Cell[];
}
const sanitizedRows = new WeakMap<Row, SanitizedRow>();

/**
 * The row as the terminal can show it, exactly `cols` cells: every wide character is a width-2 cell followed by
 * its width-0 half (same rendition), orphaned halves and wide characters that do not fit become blanks, and text
 * is safe to print. Cached per Row object: snapshots share unchanged rows, so this runs once per row change.
 */
export function sanitizeRow(row: Row, cols: number): readonly Cell[] {
  const cached = sanitizedRows.get(row);
  if (cached !== undefined && cached.cols === cols) return cached.cells;
  const cells = sanitizeCells(Array.isArray(row.cells) ? row.cells : [], cols);
  sanitizedRows.set(row, { cols, cells });
  return cells;
}

/**
 * sanitizeRow's work, uncached: `source` itself when every cell is kept. `plainFastPath` false sends every cell the
 * general way (the tests check the fast path against it).
 */
export function sanitizeCells(source: readonly Cell[], cols: number, plainFastPath = true): readonly Cell[] {
  // Allocated at the first cell that differs from the source's: most rows (every row of an emulator's screen) come
  // through unchanged, and an array per row was a third of what a flood's frames allocated (docs/benchmarks.md,
  // session 19).
  let cells: Cell[] | undefined = source.length === cols ? undefined : new Array<Cell>(cols);
  const put = (x: number, cell: Cell, raw: Cell | undefined): void => {
    if (cells === undefined) {
      if (cell === raw) return;
      // A loop, not slice(): rows are frozen arrays, which V8's slice() copies slowly.
      cells = new Array<Cell>(cols);
      for (let i = 0; i < x; i++) cells[i] = source[i]!;
    }
    cells[x] = cell;
  };
  for (let x = 0; x < cols; x++) {
    const raw = source[x] as Cell | undefined;
    // The common cells, kept as they are without the general path's checks and objects: one printable ASCII
    // character in a valid pen and no link, or the erased cell of its background.
    if (plainFastPath && typeof raw === 'object' && raw !== null && (isPlainAsciiCell(raw) || isValidErasedCell(raw))) {
      put(x, raw, raw);
      continue;
    }
    const { text, columns } = sanitizeText(raw?.text);
    if (raw?.width === 2 && columns === 2 && x + 1 < cols && (source[x + 1] as Cell | undefined)?.width === 0) {
      const cell = normalisedCell(raw, 2, text);
      const half = cellWith('', 0, cell, cell.link);
      const rawHalf = source[x + 1]!;
      put(x, cell, raw);
      put(
        x + 1,
        rawHalf.text === '' && pensEqual(rawHalf, half) && rawHalf.link === half.link ? rawHalf : half,
        rawHalf,
      );
      x++;
      continue;
    }
    // Width 1, or a malformed cell (wide without its half, orphaned half, unknown width): one column, holding
    // its text only if the terminal will give that text exactly one column (a narrow character marked wide
    // keeps its character; its half, if any, becomes a blank of its own).
    put(x, normalisedCell(raw, 1, columns === 1 && (raw?.width === 1 || raw?.width === 2) ? text : ''), raw);
  }
  return cells ?? source;
}

/** An erased cell normalisedCell would return as it is: erasedCell's own, of a valid background. */
function isValidErasedCell(cell: Cell): boolean {
  return cell.text === '' && erasedCells.get(cell.bg) === cell && sanitizeColor(cell.bg) === cell.bg;
}

/** A cell normalisedCell would return as it is: width 1, one printable ASCII character, a valid pen, no link or underline colour. */
function isPlainAsciiCell(cell: Cell): boolean {
  const text = cell.text;
  if (cell.width !== 1 || cell.link !== undefined || cell.underlineColor !== undefined || typeof text !== 'string' || text.length !== 1) return false;
  const code = text.charCodeAt(0);
  if (code < 0x20 || code >= 0x7f) return false;
  const { fg, bg, attrs } = cell;
  return (fg === COLOR_DEFAULT || sanitizeColor(fg) === fg) && (bg === COLOR_DEFAULT || sanitizeColor(bg) === bg) && isCanonicalAttrs(attrs);
}
