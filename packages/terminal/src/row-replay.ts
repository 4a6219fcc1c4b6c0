/**
 * Rows printed as plain terminal output: text with its renditions (SGR), nothing else. Used where saved rows are
 * written into a terminal as if a program had printed them: the scrollback writer pushing history lines into the
 * local terminal, and a restarted session showing the screen its predecessor left (server session-restart.ts).
 */
import { COLOR_DEFAULT, type Cell, type Row } from './framebuffer.js';
import { sanitizeRow } from './cell-sanitizer.js';
import { DEFAULT_PEN, sgrTransition, type Pen } from './sgr.js';
import { linkSequence, linksEqual, type Hyperlink } from './hyperlinks.js';

/** Columns up to the last cell that is not an erased default blank. */
export function usedWidth(cells: readonly Cell[]): number {
  let used = cells.length;
  while (used > 0) {
    const cell = cells[used - 1]!;
    if (cell.text !== '' || cell.bg !== COLOR_DEFAULT || cell.attrs !== 0 || cell.width !== 1) break;
    used--;
  }
  return used;
}

/**
 * The cells of `row` (made safe for a terminal `cols` wide) up to its last used one, starting with the pen `pen`;
 * returns the bytes, the pen they end with, and how many columns they fill.
 */
export function printRowCells(row: Row, cols: number, pen: Pen): { text: string; pen: Pen; used: number } {
  const cells = sanitizeRow(row, cols);
  const used = usedWidth(cells);
  let text = '';
  let link: Hyperlink | undefined;
  for (let x = 0; x < used; x++) {
    const cell = cells[x]!;
    if (cell.width === 0) continue;
    const cellPen: Pen = cell.underlineColor === undefined ? { fg: cell.fg, bg: cell.bg, attrs: cell.attrs } : { fg: cell.fg, bg: cell.bg, attrs: cell.attrs, underlineColor: cell.underlineColor };
    text += sgrTransition(pen, cellPen);
    pen = cellPen;
    if (!linksEqual(link, cell.link)) text += linkSequence((link = cell.link));
    text += cell.text === '' ? ' ' : cell.text;
  }
  // Each row closes its link: what follows (a line break, the next frame) must not join it.
  if (link !== undefined) text += linkSequence(undefined);
  return { text, pen, used };
}

/**
 * printRowCells for a plain row, from its text alone: cells of printable ASCII (0x20–0x7e) in the default pen, no link
 * (ScrollbackLog.plainText). Such cells need no sanitizing and all count as used, so the bytes are the pen's change to
 * the default and the text up to the width; the same result as printRowCells (row-replay.test.ts).
 */
export function printPlainText(text: string, cols: number, pen: Pen): { text: string; pen: Pen; used: number } {
  const shown = text.length > cols ? text.slice(0, cols) : text;
  if (shown.length === 0) return { text: '', pen, used: 0 };
  return { text: sgrTransition(pen, DEFAULT_PEN) + shown, pen: DEFAULT_PEN, used: shown.length };
}

/**
 * `rows` printed from column 0 of the cursor's row downwards, one line each (CR LF after it), except that a row
 * filling the width and marked as continuing into the next runs on by autowrap, so the terminal keeps them one
 * line (when the next row holds anything). Ends with the default pen, the cursor at column 0 below the last row.
 */
export function replayRows(rows: readonly Row[], cols: number): string {
  let out = '';
  let pen: Pen = DEFAULT_PEN;
  for (let y = 0; y < rows.length; y++) {
    const printed = printRowCells(rows[y]!, cols, pen);
    out += printed.text;
    pen = printed.pen;
    // Autowrap joins this row to the next only if the next prints something: a wrap happens when text runs on.
    const next = rows[y + 1];
    const continues = rows[y]!.wrapped && printed.used === cols && next !== undefined && usedWidth(sanitizeRow(next, cols)) > 0;
    if (!continues) {
      out += sgrTransition(pen, DEFAULT_PEN) + '\r\n';
      pen = DEFAULT_PEN;
    }
  }
  return out + sgrTransition(pen, DEFAULT_PEN);
}
