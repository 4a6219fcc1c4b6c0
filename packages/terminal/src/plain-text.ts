/**
 * PlainTextWriter: the session's output as text, for a client whose standard output is a file or a pipe (`tsmosh
 * host -- make > build.log`). The program runs in a remote pty and the client only ever holds screens, so the bytes
 * it wrote are gone; what is left is what a person would read: each line once, in order, with no escape sequences.
 *
 * The lines come from the scrollback log (scrollback-log.ts), which is synchronized data: every line that left the
 * top of the remote normal screen, absolutely numbered, delivered to the client exactly once and in order whatever
 * frames the link lost or a flood skipped. The writer keeps a log position, as the terminal's history writer does
 * (ScrollbackWriter), and takes the lines past it with the same historyLinesFrom: each is written when it leaves the
 * screen, and when the session ends the final screen's rows follow (finish), down to its last non-blank row or the
 * cursor's, whichever is lower.
 *
 * A line is its cells' text: an empty cell is a blank, a wide character is written once (its right half holds
 * nothing), trailing blanks are trimmed, and rows the screen soft-wrapped (the program wrote past the last column)
 * are joined back into one line. Colours and other renditions are dropped: a file or pipe wants text, and a
 * program that colours its output for a terminal (tsmosh always gives it one) would otherwise put escape sequences
 * into the script's data. The alternate screen (vim, less, tmux) logs nothing, so a full-screen program leaves only
 * what it wrote on the normal screen; a session that ends on the alternate screen writes none of its final screen.
 *
 * Lines the log no longer held when they were due (the writer fell further behind than the daemon keeps: a flood the
 * history could not keep up with) are counted, not written: the caller reports them where a notice belongs (stderr),
 * never in the text.
 */
import type { Framebuffer, Row } from './framebuffer.js';
import { sanitizeCells } from './cell-sanitizer.js';
import type { ScrollbackLog } from './scrollback-log.js';
import { historyLinesFrom, type HistoryLine } from './scrollback-writer.js';

/** What one call of the writer gives: text to write, and how many lines were lost before it (0 normally). */
export interface PlainText {
  readonly text: string;
  readonly dropped: number;
}

export class PlainTextWriter {
  /** The log position up to which lines have been taken (written, or held in `carried`). */
  private taken = 0;
  /** The text of soft-wrapped rows whose line goes on in a row not taken yet. */
  private carried = '';
  /** Whether `carried` holds the start of a line (it may be '' for a wrapped row of blanks). */
  private carrying = false;
  private finished = false;

  /** The log position up to which its lines are in the text (or carried: a soft-wrapped line not complete yet). */
  get position(): number {
    return this.taken;
  }

  /** The text of the log's lines that left the screen since the last call. */
  history(log: ScrollbackLog): PlainText {
    if (this.finished) return NOTHING;
    const next = historyLinesFrom(log, this.taken);
    if (next.lines.length === 0 && next.dropped === 0) return NOTHING;
    this.taken = next.upTo;
    // Lines lost: a line carried over cannot be joined to what followed it, so it ends where it was.
    let text = next.dropped > 0 ? this.endCarried() : '';
    for (const line of next.lines) text += this.add(lineText(line), line.wrapped);
    return { text, dropped: next.dropped };
  }

  /**
   * The session ended with `screen` and `log`: the history not written yet, then the screen's rows down to its last
   * non-blank row or the cursor's (nothing of an alternate screen). Writes nothing afterwards.
   */
  finish(log: ScrollbackLog, screen: Framebuffer | undefined): PlainText {
    if (this.finished) return NOTHING;
    const last = this.history(log);
    this.finished = true;
    let text = last.text;
    let dropped = last.dropped;
    // The log stops short of the screen (the daemon offered its history a window at a time and the rest never
    // came): the lines between are lost.
    if (log.screenTop > this.taken) {
      dropped += log.screenTop - this.taken;
      text += this.endCarried();
    }
    if (screen !== undefined && !screen.alternateScreen) {
      const rows = screenRowsToWrite(screen);
      for (let y = 0; y < rows; y++) {
        const row = screen.lines[y]!;
        // The last row written ends its line whatever its flag says: nothing of the screen follows it.
        text += this.add(rowCellsText(row, row.wrapped && y + 1 < rows), row.wrapped && y + 1 < rows);
      }
    }
    return { text: text + this.endCarried(), dropped };
  }

  private add(text: string, wrapped: boolean): string {
    if (wrapped) {
      this.carried += text;
      this.carrying = true;
      return '';
    }
    // The blanks a wrapped row kept end the line when nothing but blanks followed them.
    const line = this.carrying ? (this.carried + text).replace(TRAILING_BLANKS, '') : text;
    this.carried = '';
    this.carrying = false;
    return line + '\n';
  }

  private endCarried(): string {
    if (!this.carrying) return '';
    const line = this.carried.replace(TRAILING_BLANKS, '');
    this.carried = '';
    this.carrying = false;
    return line + '\n';
  }
}

const NOTHING: PlainText = Object.freeze({ text: '', dropped: 0 });
/** Blanks at the end of a line: trimmed (the screen cannot tell written spaces from empty cells there). */
const TRAILING_BLANKS = / +$/;

/** A history line's text: a plain line's as it came, a Row's from its cells; blanks trimmed unless it wraps. */
function lineText(line: HistoryLine): string {
  if ('cells' in line) return rowCellsText(line, line.wrapped);
  return line.wrapped ? line.text : line.text.replace(TRAILING_BLANKS, '');
}

/**
 * A row's text: each cell's text (made safe to print: sanitizeCells), a blank for an empty cell, nothing for the
 * right half of a wide character. A row that wraps into the next keeps its blanks (they are inside the line) but not
 * its trailing empty cells (a wide character that did not fit in the last column left one, and went on below).
 */
export function rowCellsText(row: Row, wrapped: boolean): string {
  const cells = sanitizeCells(row.cells, row.cells.length);
  let end = cells.length;
  if (wrapped) while (end > 0 && cells[end - 1]!.text === '' && cells[end - 1]!.width === 1) end--;
  let text = '';
  for (let x = 0; x < end; x++) {
    const cell = cells[x]!;
    if (cell.width === 0) continue;
    text += cell.text === '' ? ' ' : cell.text;
  }
  return wrapped ? text : text.replace(TRAILING_BLANKS, '');
}

/**
 * How many of the screen's top rows hold the output: down to the last row with any text, or to the cursor's row when
 * the cursor stands after text on it, or the row above the cursor when it waits at the start of its row (the output
 * ended with a line break: `printf 'a\n\n'` has two lines, the second empty).
 */
export function screenRowsToWrite(screen: Framebuffer): number {
  let rows = 0;
  for (let y = screen.lines.length - 1; y >= 0; y--) {
    if (rowCellsText(screen.lines[y]!, false) !== '') {
      rows = y + 1;
      break;
    }
  }
  const cursorRows = Math.min(screen.lines.length, screen.cursor.x > 0 ? screen.cursor.y + 1 : screen.cursor.y);
  return Math.max(rows, cursorRows);
}
