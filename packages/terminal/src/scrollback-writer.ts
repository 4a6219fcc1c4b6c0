/**
 * ScrollbackWriter: hands the lines of the session's scrollback log to the local terminal's own history, each
 * exactly once and in order, before the screen is painted.
 *
 * A terminal puts a line into its history only when a scroll pushes it off the top of the screen. So the writer
 * draws up to a screenful of log lines into the top rows and then scrolls them off with line feeds at the bottom
 * row, repeating until every new line is in the history. What the screen showed is overwritten: the caller
 * repaints the whole screen afterwards (Renderer.render with no previous frame), and the renderer never scrolls the
 * whole screen up itself (renderer.ts), so no other line reaches the history and none twice.
 *
 * The writer remembers how far the local history goes (`written`, a log position). A log whose window starts
 * beyond that (the client fell further behind than the server keeps, or attached to a long session) gets one
 * marker line saying how many lines are not shown.
 */
import { COLOR_DEFAULT, type Cell, type Row } from './framebuffer.js';
import { sanitizeRow } from './renderer.js';
import type { ScrollbackLog } from './scrollback-log.js';
import { IND } from './cursor-moves.js';
import { DEFAULT_PEN, sgrTransition, type Pen } from './sgr.js';

export class ScrollbackWriter {
  /** The log position up to which the local history holds the lines (0: none yet). */
  private writtenUpTo = 0;

  get written(): number {
    return this.writtenUpTo;
  }

  /** Whether `log` holds lines the local history lacks. */
  hasNewLines(log: ScrollbackLog): boolean {
    return log.end > this.writtenUpTo;
  }

  /**
   * Bytes that push the lines of `log` the history lacks into it, on a `cols`×`rows` terminal; '' when there are
   * none. Afterwards the screen content and cursor position are unknown and the pen is the default.
   */
  write(log: ScrollbackLog, cols: number, rows: number): string {
    if (!this.hasNewLines(log)) return '';
    const lines: Row[] = [];
    if (log.start > this.writtenUpTo) lines.push(markerLine(log.start - this.writtenUpTo));
    lines.push(...log.linesFrom(this.writtenUpTo));
    this.writtenUpTo = log.end;
    // The whole screen scrolls (no margins), the pen is clean, the cursor hidden while it jumps about.
    let out = '\x1b[?25l\x1b[r\x1b[m';
    const chunk = Math.max(1, rows);
    for (let first = 0; first < lines.length; first += chunk) {
      const batch = lines.slice(first, first + chunk);
      out += drawBatch(batch, cols);
      // Line feeds at the bottom row push the top `batch.length` rows, the lines just drawn, into the history.
      out += `\x1b[${rows};1H` + IND.repeat(batch.length);
    }
    return out;
  }
}

/** Draws `batch` into the top rows; a soft-wrapped line runs on into the next, so the history joins them too. */
function drawBatch(batch: readonly Row[], cols: number): string {
  let out = '';
  // Erase first: a wrapped line continues by autowrap, and erasing after it could take the cell it ended on.
  for (let y = 0; y < batch.length; y++) out += `\x1b[${y + 1}H\x1b[2K`;
  let pen: Pen = DEFAULT_PEN;
  let continues = false;
  for (let y = 0; y < batch.length; y++) {
    const row = batch[y]!;
    const cells = sanitizeRow(row, cols);
    const used = usedWidth(cells);
    if (!continues) out += `\x1b[${y + 1}H`;
    for (let x = 0; x < used; x++) {
      const cell = cells[x]!;
      if (cell.width === 0) continue;
      const cellPen: Pen = { fg: cell.fg, bg: cell.bg, attrs: cell.attrs };
      out += sgrTransition(pen, cellPen);
      pen = cellPen;
      out += cell.text === '' ? ' ' : cell.text;
    }
    // Only a line that filled the width continues by autowrap; anything shorter starts the next at its own row.
    continues = row.wrapped && used === cols && y + 1 < batch.length;
  }
  return out + sgrTransition(pen, DEFAULT_PEN);
}

/** Columns up to the last cell that is not an erased default blank. */
function usedWidth(cells: readonly Cell[]): number {
  let used = cells.length;
  while (used > 0) {
    const cell = cells[used - 1]!;
    if (cell.text !== '' || cell.bg !== COLOR_DEFAULT || cell.attrs !== 0 || cell.width !== 1) break;
    used--;
  }
  return used;
}

function markerLine(dropped: number): Row {
  const text = `[tsmosh: ${dropped} earlier line${dropped === 1 ? '' : 's'} of history not kept]`;
  return Object.freeze({
    cells: Object.freeze([...text].map((ch) => Object.freeze({ text: ch, width: 1 as const, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 2 }))),
    wrapped: false,
  });
}
