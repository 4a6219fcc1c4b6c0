/**
 * ScrollbackWriter: hands the lines of the session's scrollback log to the local terminal's own history, each
 * exactly once and in order, before the screen is painted.
 *
 * A terminal puts a line into its history only when a scroll pushes it off the top of the screen. So the writer
 * draws one line (or one run of soft-wrapped rows) into the top rows and scrolls it off with line feeds at the
 * bottom row, line after line. It never relies on knowing the terminal's height: the bottom is reached with a
 * cursor move the terminal clamps (a window being resized may not have told us its new size yet, and a batch
 * sized for the old height would push blank or half-drawn rows). What the screen showed is overwritten: the caller
 * repaints the whole screen afterwards (Renderer.render with no previous frame), and the renderer never scrolls the
 * whole screen up by itself (renderer.ts), so no other line reaches the history and none twice.
 *
 * The common case needs no drawing: a shell's Enter at the bottom row pushes its top line off the remote screen,
 * and the local screen still shows that line on its top row. paintWithHistory then has the renderer scroll those
 * rows off (Renderer.render's scrollOff) and draw only the rows that changed, as a local terminal would.
 *
 * The writer remembers how far the local history goes (`written`, a log position), and writes only lines above
 * the screen (the log's `screenTop`). A log whose window starts
 * beyond that (the client fell further behind than the server keeps, or attached to a long session) gets one
 * marker line saying how many lines are not shown.
 *
 * A window made shorter pushes the terminal's top screen rows into its history by itself. When the history had
 * caught up with the screen, those rows are the next lines of the log, and the writer skips them. When it had not
 * (the history follows the screen a window at a time after an outage or a flood: the log's screenTop lay beyond the
 * lines it held), they landed after a gap; the writer then writes the gap and those lines again in their place, so
 * nothing is lost and the history reads in order from the gap on, with the pushed rows once more just above it (no
 * terminal lets a program take lines back out of its history).
 *
 * A suspension pushes the screen into the history too: the shell that had the terminal meanwhile scrolled it with
 * its own lines (its "Stopped", the user's commands), and the client, taking the terminal back, pushes up what shows
 * above the cursor before repainting (frontend.ts). The rows of the painted frame that went up so are the lines the
 * remote screen scrolls off next, if it scrolls and does not erase or rewrite them: terminalPushed(rows) keeps them,
 * and the writer skips each next line of the log that equals the next of them (cells and soft wrap, as
 * linesShownOnTop compares), and stops skipping at the first that does not. Because only equal lines are skipped,
 * the history reads as the log in any case (the pushed copy stands for the line): a wrong guess can leave a
 * pushed row that never became a line (a duplicate-looking extra), never drop one.
 */
import { COLOR_DEFAULT, cellRowsEqual, type Cell, type Framebuffer, type Row } from './framebuffer.js';
import { sanitizeRow } from './cell-sanitizer.js';
import { printPlainText, printRowCells } from './row-replay.js';
import type { ScrollbackLog } from './scrollback-log.js';
import { BOTTOM_ROW, IND } from './cursor-moves.js';
import type { Renderer } from './renderer.js';
import { DEFAULT_PEN, sgrTransition, type Pen } from './sgr.js';

export class ScrollbackWriter {
  /** The log position up to which the local history holds the lines (0: none yet). */
  private writtenUpTo = 0;
  /** Where the screen the caller painted after the last write stands in the log (its screenTop then). */
  private shownScreenTop = 0;
  /** A resize happened while the history stopped short of the screen shown, and its shift has not come yet. */
  private resizedWhileBehind = false;
  /**
   * Rows the terminal pushed into its history right after the line before writtenUpTo (terminalPushed), not yet
   * matched against the log: the next lines equal to them, in order, are skipped. Empty when none.
   */
  private pushedRows: readonly { readonly cells: readonly Cell[]; readonly wrapped: boolean }[] = [];
  /** The width pushedRows were drawn at. */
  private pushedCols = 0;
  /** How many of pushedRows the log's lines from writtenUpTo on matched so far (held: see skipPushed). */
  private pushedMatched = 0;

  get written(): number {
    return this.writtenUpTo;
  }

  /** Whether `log` holds lines the local history lacks and the screen no longer shows (held ones aside: skipPushed). */
  hasNewLines(log: ScrollbackLog): boolean {
    return log.historyEnd > this.writtenUpTo + this.pushedMatched;
  }

  /**
   * The local terminal's window changed size just now: whatever it pushes into its history comes from the screen
   * last painted. Call before the resize's terminalMoved; several resizes before it count as one.
   */
  terminalResized(): void {
    if (this.writtenUpTo < this.shownScreenTop) this.resizedWhileBehind = true;
    // The rows it pushes or pulls come from the screen, in between or instead of the suspension's: no longer known
    // to follow the written lines.
    this.forgetPushed();
  }

  /**
   * The terminal's history received `rows` (top first), right after the lines written so far: rows of the frame
   * last painted that a suspension pushed up (see the header). Each next line of the log equal to the next of them is
   * then taken as written; the first that differs ends it. `cols`: the width they were drawn at.
   */
  terminalPushed(rows: readonly Row[], cols: number): void {
    this.pushedRows = rows.map((row) => ({ cells: sanitizeRow(row, cols), wrapped: row.wrapped === true }));
    this.pushedCols = cols;
    this.pushedMatched = 0;
  }

  /**
   * Takes the log's next lines as written when they equal the rows the terminal pushed itself (terminalPushed), in
   * order: all of them, or all but the last (the row the cursor was on, which a shell's user went on typing on).
   * While the log's lines so far all match but do not reach that far yet, they are held (the history shows their
   * pushed copies): the first that differs earlier decides for writing them all again, since a match that breaks
   * off in the middle says the screen was cleared or rewritten, and its matching rows only looked the same.
   */
  private skipPushed(log: ScrollbackLog): void {
    const pushed = this.pushedRows;
    if (pushed.length === 0) return;
    // A marker line (the log dropped lines the history lacks) comes before anything pushed: nothing matches then.
    let differs = log.start > this.writtenUpTo;
    while (!differs && this.pushedMatched < pushed.length && this.writtenUpTo + this.pushedMatched < log.historyEnd) {
      const row = pushed[this.pushedMatched]!;
      const line = log.line(this.writtenUpTo + this.pushedMatched);
      if (line.wrapped !== row.wrapped || !cellRowsEqual(sanitizeRow(line, this.pushedCols), row.cells)) differs = true;
      else this.pushedMatched++;
    }
    if (!differs && this.pushedMatched < pushed.length) return; // held: every line so far matches
    if (this.pushedMatched >= pushed.length - 1) this.writtenUpTo += this.pushedMatched;
    this.forgetPushed();
  }

  private forgetPushed(): void {
    this.pushedRows = [];
    this.pushedMatched = 0;
  }

  /**
   * The local terminal moved lines between its screen and its history itself, as a resize of its window does:
   * `lines` > 0 pushed that many up into its history (they are not written again, unless they landed after a gap:
   * see the header), < 0 pulled that many back out (they are written again once they leave the screen). The caller
   * takes the amount from the log's resizeShift.
   */
  terminalMoved(lines: number): void {
    this.forgetPushed();
    const skipped = this.resizedWhileBehind ? Math.min(0, lines) : lines;
    this.resizedWhileBehind = false;
    this.writtenUpTo = Math.max(0, this.writtenUpTo + skipped);
  }

  /**
   * How many lines the history lacks when they are exactly the top rows of `shown` (the frame the terminal shows):
   * the program's output scrolled them off the remote screen, and the terminal still shows them at the top. The
   * caller may then scroll those rows off the terminal's screen (Renderer.render's scrollOff) and call
   * scrolledOff(log) instead of write(): a line feed and the new rows instead of drawing the lines over the screen
   * and repainting all of it. 0 when there are none, when any differs from its row (by its cells as the terminal
   * shows them, or its soft wrap), when the log dropped lines the history lacks (the marker line), when it does not
   * hold every line up to the screen (the history lags it: those lines go by write()), or when there are more than
   * the screen's rows.
   */
  linesShownOnTop(log: ScrollbackLog, shown: Framebuffer): number {
    // Rows a suspension pushed are in the history already: the writer skips them, scrolling them off would not.
    if (this.pushedRows.length > 0 || !this.hasNewLines(log) || log.start > this.writtenUpTo || log.historyEnd !== log.screenTop) return 0;
    const count = log.historyEnd - this.writtenUpTo;
    if (count > shown.rows || shown.lines.length < count) return 0;
    for (let i = 0; i < count; i++) {
      const row = shown.lines[i]!;
      const line = log.line(this.writtenUpTo + i);
      if (line.wrapped !== (row.wrapped === true) || !cellRowsEqual(sanitizeRow(line, shown.cols), sanitizeRow(row, shown.cols))) return 0;
    }
    return count;
  }

  /** The lines linesShownOnTop counted were scrolled off the screen into the history: they count as written. */
  scrolledOff(log: ScrollbackLog): void {
    this.shownScreenTop = log.screenTop;
    this.writtenUpTo = Math.max(this.writtenUpTo, log.historyEnd);
  }

  /**
   * Bytes that push the lines of `log` the history lacks into it, on a terminal `cols` wide (and `rows` tall, when
   * known: lines then go up several at a time); '' when there are none. Afterwards the screen content and cursor position are unknown and the pen is the default.
   */
  write(log: ScrollbackLog, cols: number, rows?: number): string {
    const runRows = rows !== undefined && rows >= RUN_MAX ? RUN_MAX : 1;
    this.shownScreenTop = log.screenTop;
    this.skipPushed(log);
    if (!this.hasNewLines(log)) return '';
    const taken = historyLinesFrom(log, this.writtenUpTo);
    const lines: HistoryLine[] = taken.dropped > 0 ? [markerLine(taken.dropped), ...taken.lines] : taken.lines;
    this.writtenUpTo = taken.upTo;
    // The whole screen scrolls (no margins), the pen is clean, the cursor hidden while it jumps about.
    let out = '\x1b[?25l\x1b[r\x1b[m';
    let first = 0;
    while (first < lines.length) {
      // A soft-wrapped line's rows go up together so the history joins them (a line of more than RUN_MAX rows is
      // split). On a window known to be RUN_MAX rows or taller, whole lines go up together in runs of up to RUN_MAX
      // rows: one move to the bottom row per run.
      let end = first;
      while (end < lines.length) {
        let lineEnd = end + 1;
        while (lineEnd < lines.length && lines[lineEnd - 1]!.wrapped) lineEnd++;
        if (lineEnd - first > runRows) {
          if (end === first) end = Math.min(lineEnd, first + RUN_MAX);
          break;
        }
        end = lineEnd;
      }
      out += drawRun(lines.slice(first, end), cols);
      // Line feeds at the bottom row (a row number the terminal clamps) push the rows just drawn into the history.
      out += BOTTOM_ROW + IND.repeat(end - first);
      first = end;
    }
    return out;
  }
}

/**
 * One paint of a client: the lines of `log` the terminal's history lacks, then the screen `next` over `previous`
 * (what the terminal shows; undefined when unknown). When those lines are the top rows `previous` shows
 * (linesShownOnTop) and `mayScrollOff()` agrees, they are scrolled off the screen into the history and only what
 * changed is drawn; otherwise the writer draws them over the screen and `next` is painted whole. Either way the
 * history gets each line once and the screen ends as `next` (scrollback-writer.test.ts holds the two to the same
 * terminal).
 */
export function paintWithHistory(
  writer: ScrollbackWriter,
  renderer: Renderer,
  log: ScrollbackLog,
  previous: Framebuffer | undefined,
  next: Framebuffer,
  mayScrollOff: () => boolean = () => true,
): string {
  let scrollOff = 0;
  if (previous !== undefined && renderer.canScrollOff(previous, next)) scrollOff = writer.linesShownOnTop(log, previous);
  if (scrollOff > 0 && mayScrollOff()) {
    writer.scrolledOff(log);
    return renderer.render(previous, next, scrollOff);
  }
  const history = writer.write(log, next.cols, next.rows);
  // The writer drew over the screen to push its lines up: the frame is painted whole.
  return history + renderer.render(history === '' ? previous : undefined, next);
}

/** A line as the writer prints it: its Row, or a plain line's text (ScrollbackLog.plainText) and wrap flag. */
export type HistoryLine = Row | { readonly text: string; readonly wrapped: boolean };

/**
 * The lines of history a writer whose output holds the log's lines up to `from` (a log position) lacks: those the
 * log holds from there up to its historyEnd (only lines above the screen: after a taller window pulled some back,
 * they show on the screen until they scroll away again, ScrollbackLog.screenTop), how many before them it no longer
 * holds (`dropped`: the writer fell further behind than the log keeps), and the position the writer is at after them
 * (`upTo`). A plain line (most of a flood) comes as its text, without decoding its cells. Shared by the terminal's
 * history writer and the plain-text output (plain-text.ts), so both take each line once and in order.
 */
export function historyLinesFrom(log: ScrollbackLog, from: number): { readonly lines: HistoryLine[]; readonly dropped: number; readonly upTo: number } {
  const lines: HistoryLine[] = [];
  const upTo = log.historyEnd;
  if (upTo <= from) return { lines, dropped: 0, upTo: from };
  for (let position = Math.max(from, log.start); position < upTo; position++) {
    const text = log.plainText(position);
    lines.push(text === undefined ? log.line(position) : { text, wrapped: log.wrappedAt(position) });
  }
  return { lines, dropped: Math.max(0, log.start - from), upTo };
}

/**
 * Rows pushed as one run (drawn into the top rows, then as many line feeds at the bottom): the screen is assumed at
 * least this tall for a soft-wrapped line's rows. Runs of several lines rather than one cut a flood's history bytes
 * (about 31 to 18 a line of `seq`), which the client and the user's terminal each pay for.
 */
const RUN_MAX = 4;

/** Draws `run` into the top rows; a soft-wrapped row runs on into the next by autowrap, so the history joins them. */
function drawRun(run: readonly HistoryLine[], cols: number): string {
  let out = '';
  let pen: Pen = DEFAULT_PEN;
  let continues = false;
  for (let y = 0; y < run.length; y++) {
    const row = run[y]!;
    if (!continues) out += `\x1b[${y + 1}H`;
    const printed = 'cells' in row ? printRowCells(row, cols, pen) : printPlainText(row.text, cols, pen);
    out += printed.text;
    pen = printed.pen;
    // The rest of the row is erased after it, in the default pen (an erase fills with the pen's background). Not
    // after a row that filled the width: the cursor waits on its last cell, which an erase would take; and a row
    // that was to continue one that did but printed nothing left the cursor there too, so it moves first.
    if (printed.used < cols) {
      if (continues && printed.used === 0) out += `\x1b[${y + 1}H`;
      out += sgrTransition(pen, DEFAULT_PEN) + '\x1b[K';
      pen = DEFAULT_PEN;
    }
    // Only a row that filled the width continues by autowrap; anything shorter starts the next at its own row.
    continues = row.wrapped && printed.used === cols && y + 1 < run.length;
  }
  return out + sgrTransition(pen, DEFAULT_PEN);
}

function markerLine(dropped: number): Row {
  const text = `[tsmosh: ${dropped} earlier line${dropped === 1 ? '' : 's'} of history not kept]`;
  return Object.freeze({
    cells: Object.freeze([...text].map((ch) => Object.freeze({ text: ch, width: 1 as const, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 2 }))),
    wrapped: false,
  });
}
