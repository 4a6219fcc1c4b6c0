/**
 * ScrollbackCapture: turns the lines that leave the top of a headless xterm's normal screen into the session's
 * scrollback log (@tsmosh/terminal's ScrollbackLog), exactly once each and in order.
 *
 * xterm fires onScroll for every line a scroll moves (synchronously, while it parses), so each line is read the
 * moment it enters xterm's own scrollback, however much output a chunk holds and however small that scrollback is.
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
import type { IBufferLine, Terminal } from '@xterm/headless';
import { ScrollbackLog, type Row } from '@tsmosh/terminal';
import { readLogRow } from './snapshot.js';
import { xtermLinks } from './xterm-internals.js';

interface XtermLinesShape {
  onTrim(listener: (count: number) => void): { dispose(): void };
}

function normalLines(term: Terminal): XtermLinesShape {
  const core = (term as unknown as { _core?: { buffers?: { normal?: { lines?: XtermLinesShape } } } })._core;
  const lines = core?.buffers?.normal?.lines;
  if (lines === undefined || typeof lines.onTrim !== 'function') {
    throw new Error('@xterm/headless internals changed: _core.buffers.normal.lines.onTrim is missing; the scrollback capture needs it (pin the version in package.json)');
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
  private readonly scrollSubscription: { dispose(): void };
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
    this.scrollSubscription = term.onScroll(() => this.catchUp());
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
    this.follow();
    const normal = this.term.buffer.normal;
    const top = this.origin + normal.baseY;
    if (top <= this.logged) return;
    const first = this.logged - this.origin;
    const added: Row[] = [];
    if (first < 0) added.push(lostLinesMarker(-first, this.cols));
    const scratch = normal.getNullCell();
    const lookahead = normal.getNullCell();
    const links = xtermLinks(this.term);
    let next: IBufferLine | undefined = normal.getLine(Math.max(0, first));
    for (let index = Math.max(0, first); index < normal.baseY; index++) {
      const line = next;
      next = normal.getLine(index + 1);
      added.push(readLogRow(line, this.cols, next?.isWrapped === true, scratch, lookahead, links));
    }
    this.logged = top;
    this.log = this.log.append(added, this.retain);
  }

  dispose(): void {
    this.scrollSubscription.dispose();
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
