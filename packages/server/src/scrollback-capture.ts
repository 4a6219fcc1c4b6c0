/**
 * ScrollbackCapture: turns the lines that leave the top of a headless xterm's normal screen into the session's
 * scrollback log (@tsmosh/terminal's ScrollbackLog), exactly once each and in order.
 *
 * xterm fires onScroll for every line a scroll moves (synchronously, while it parses); the capture reads the lines
 * that entered xterm's own scrollback in batches (CATCH_UP_BATCH_LINES, below half of that scrollback, so none is
 * trimmed unread), whenever the log is asked for, and before a resize, ED 3 or RIS could drop or rewrite them, however
 * much output a chunk holds. Plain ASCII lines are read from xterm's cell words into their log form directly
 * (plainLogLineFromCells), the rest cell by cell.
 * Lines are numbered absolutely: a line's position is the count of lines xterm trimmed from the head of its buffer
 * (`_core.buffers.normal.lines.onTrim`, which the public API does not expose) plus its index. The alternate screen
 * has no scrollback, so full-screen programs leave nothing in the log, as in a local terminal.
 *
 * Resizes. A shorter screen pushes its top lines up into the scrollback: they are logged like any other line (a
 * client attaching later needs them), and the log's `resizeShift` grows by their count, so the client whose own
 * window shrank (its terminal pushed the same lines itself) skips them. A taller screen pulls the last lines of the
 * scrollback back onto the screen: they stay logged once, the log's `screenTop` says they are on the screen again
 * (no client writes them to its history while they show), and `resizeShift` shrinks by their count, so the client
 * whose terminal pulled them out of its history writes them again when they scroll away. A width change reflows
 * everything, in the mirror and in the user's terminal alike, and is not tracked: the capture takes the reflowed
 * buffer as its new origin and goes on from there (docs/sessions.md).
 */
import type { IBufferCell, Terminal } from '@xterm/headless';
import { ScrollbackLog, type Row } from '@tsmosh/terminal';
import { plainCellsUsed, readLogRow } from './snapshot.js';
import { xtermLinks, type XtermLinks } from './xterm-internals.js';

interface XtermLinesShape {
  onTrim(listener: (count: number) => void): { dispose(): void };
  /** The line at a buffer index (what the public getLine(index) wraps). */
  get(index: number): XtermLineShape | undefined;
}

/** The parts of xterm's internal BufferLine the plain-line path reads; checked per line, the public API otherwise. */
interface XtermLineShape {
  _data?: unknown;
  length?: unknown;
  isWrapped?: unknown;
}

/**
 * Lines that may scroll off before the capture reads them (lines). Reading at every scroll cost a catch-up's fixed
 * work (buffer views, scratch cells, a new log value) per line of a flood; now a catch-up reads up to this many at a
 * time, when the screen is asked for (current()) and before anything that could drop or rewrite unread lines (a
 * resize, ED 3, RIS). Each unread line is still in xterm's scrollback: the batch is kept below half of it.
 */
const CATCH_UP_BATCH_LINES = 256;

function normalLines(term: Terminal): XtermLinesShape {
  const core = (term as unknown as { _core?: { buffers?: { normal?: { lines?: XtermLinesShape } } } })._core;
  const lines = core?.buffers?.normal?.lines;
  if (lines === undefined || typeof lines.onTrim !== 'function' || typeof lines.get !== 'function') {
    throw new Error('@xterm/headless internals changed: _core.buffers.normal.lines.onTrim or .get is missing; the scrollback capture needs them (pin the version in package.json)');
  }
  return lines;
}

export class ScrollbackCapture {
  private log: ScrollbackLog = ScrollbackLog.empty;
  /** Absolute position of the normal buffer's line 0. */
  private origin = 0;
  /** Absolute position of the first line not yet logged. */
  private logged = 0;
  private lines: XtermLinesShape | undefined;
  private trimSubscription: { dispose(): void } | undefined;
  private readonly subscriptions: { dispose(): void }[];
  /** Scrolls since the last catch-up: at most this many lines are unread (CATCH_UP_BATCH_LINES). */
  private scrollsUnread = 0;
  private readonly batchLines: number;
  /** A RIS was seen: xterm is replacing its buffers, which the next scroll event's catch-up follows. */
  private resetPending = false;
  private cols: number;
  private resizing = false;
  /** The sum of the changes in the screen's top position that row-only resizes made (ScrollbackLog.resizeShift). */
  private resizeShift: number;

  constructor(
    private readonly term: Terminal,
    private readonly retain?: number,
    /** History from before this terminal (a restarted session's saved log): new lines are numbered on from its end. */
    initial: ScrollbackLog = ScrollbackLog.empty,
  ) {
    this.log = initial;
    this.logged = initial.end;
    this.resizeShift = initial.resizeShift;
    this.cols = term.cols;
    this.follow();
    // Half of xterm's scrollback, so that a batch's unread lines are never trimmed before they are read.
    this.batchLines = Math.max(1, Math.min(CATCH_UP_BATCH_LINES, Math.floor((term.options.scrollback ?? 0) / 2)));
    this.subscriptions = [
      term.onScroll(() => {
        if (++this.scrollsUnread >= this.batchLines || this.resetPending) this.catchUp();
      }),
      // ED 3 (erase the saved lines) and RIS (a new buffer) drop xterm's scrollback: read what is unread first. Our
      // handlers run before xterm's own, and returning false leaves the sequence to it.
      term.parser.registerCsiHandler({ final: 'J' }, (params) => this.beforeErase(params)),
      term.parser.registerCsiHandler({ prefix: '?', final: 'J' }, (params) => this.beforeErase(params)),
      term.parser.registerEscHandler({ final: 'c' }, () => {
        this.catchUp();
        // The new buffer is followed from its first scroll event (the reset fires one), before any line leaves it.
        this.resetPending = true;
        return false;
      }),
    ];
  }

  /** ED 3 and DECSED 3 trim xterm's scrollback; returns false so that xterm then erases. */
  private beforeErase(params: (number | number[])[]): boolean {
    if (params.includes(3)) this.catchUp();
    return false;
  }

  /** The log with every line that has left the screen so far, and where the screen stands below it. */
  current(): ScrollbackLog {
    this.catchUp();
    this.log = this.log.withScreen(this.screenTop(), this.resizeShift);
    return this.log;
  }

  /** The log position of the normal screen's first row. */
  private screenTop(): number {
    return this.origin + this.term.buffer.normal.baseY;
  }

  /** Subscribes to the normal buffer's trims; a full reset (RIS) replaces xterm's buffers, and with them the lines. */
  private follow(): void {
    const lines = normalLines(this.term);
    if (lines === this.lines) return;
    this.trimSubscription?.dispose();
    this.lines = lines;
    this.trimSubscription = lines.onTrim((count) => {
      this.origin += count;
    });
    // A new buffer starts where the old one's logging ended.
    this.origin = this.logged - this.term.buffer.normal.baseY;
  }

  /** Resizes the terminal; whatever the resize itself moves is not logged (see the header). */
  resize(cols: number, rows: number): void {
    this.catchUp();
    const topBefore = this.screenTop();
    const widthChanges = cols !== this.term.cols;
    this.resizing = true;
    try {
      this.term.resize(cols, rows);
    } finally {
      this.resizing = false;
    }
    this.follow();
    this.cols = this.term.cols;
    if (widthChanges) {
      // A reflow: the buffer is renumbered from where logging stands (see the header).
      this.origin = this.logged - this.term.buffer.normal.baseY;
      return;
    }
    // Rows only: numbering holds (trims during the resize moved the origin already). Lines pushed up are logged
    // now; lines pulled back stay logged and are not logged again when they scroll away (catchUp starts at logged).
    this.resizeShift += this.screenTop() - topBefore;
    this.catchUp();
  }

  private catchUp(): void {
    if (this.resizing) return;
    this.scrollsUnread = 0;
    this.resetPending = false;
    this.follow();
    const normal = this.term.buffer.normal;
    const top = this.origin + normal.baseY;
    if (top <= this.logged) return;
    const first = this.logged - this.origin;
    const append = this.log.appending(this.retain);
    if (first < 0) append.line(lostLinesMarker(-first, this.cols));
    const lines = this.lines!;
    let scratch: IBufferCell | undefined;
    let lookahead: IBufferCell | undefined;
    let links: XtermLinks | undefined;
    let next = lines.get(Math.max(0, first));
    for (let index = Math.max(0, first); index < normal.baseY; index++) {
      const line = next;
      next = lines.get(index + 1);
      const wrapped = next?.isWrapped === true;
      const data = line?._data;
      const used = data instanceof Uint32Array && typeof line!.length === 'number' ? plainCellsUsed(data, line!.length, this.cols) : -1;
      if (used >= 0) {
        // The content word's low 7 bits are the character (plainCellsUsed checked): every third word from 0.
        append.plain(used, wrapped, data as Uint32Array, 0, 3);
        continue;
      }
      scratch ??= normal.getNullCell();
      lookahead ??= normal.getNullCell();
      links ??= xtermLinks(this.term);
      append.line(readLogRow(normal.getLine(index), this.cols, wrapped, scratch, lookahead, links));
    }
    this.logged = top;
    this.log = append.done();
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.trimSubscription?.dispose();
  }
}

/** Only if xterm trimmed lines before they were read (it should not: every scroll is read at once). */
function lostLinesMarker(count: number, cols: number): Row {
  const text = `[tsmosh: ${count} lines of history were lost here]`.slice(0, Math.max(1, cols));
  return Object.freeze({
    cells: Object.freeze([...text].map((ch) => Object.freeze({ text: ch, width: 1 as const, fg: 0, bg: 0, attrs: 0 }))),
    wrapped: false,
  });
}
