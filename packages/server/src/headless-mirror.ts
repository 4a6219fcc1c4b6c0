/**
 * HeadlessMirror: an @xterm/headless terminal fed with a program's output, read as Framebuffer snapshots.
 *
 * It answers the program's terminal queries (DA, DSR, DECRQM, XTVERSION, the kitty keyboard query) through
 * `onReply`, so the pty host can write them back into the pty exactly as a local terminal would, the identity ones
 * as the user's own terminal answered them (capability-answers.ts), and it records what xterm itself does not keep
 * (title, bell count, OSC 52, keyboard protocol modes) through the snapshot tracker.
 */
import xterm from '@xterm/headless';
import { isSafeReply } from './reply-filter.js';
import { limitCellContents } from './cell-budget.js';
import { limitSequenceCounts } from './count-budget.js';
import type { Terminal } from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';
import type { Framebuffer, ScrollbackLog, TerminalCapabilities } from '@tsmosh/terminal';
import { limitEscapeStrings, type EscapeStringDrops } from './escape-string-budget.js';
import { snapshotTerminal } from './snapshot.js';
import { trackTerminal, type TerminalTracker } from './terminal-tracker.js';
import { answerCapabilityQueries, type CapabilityAnswers } from './capability-answers.js';
import { guardXtermDefects, readScrollRegion } from './xterm-internals.js';
import { ScrollbackCapture } from './scrollback-capture.js';
import { recycleScrolledLines } from './scroll-recycle.js';
import { dirtyRowsOf, trackDirtyRows } from './dirty-rows.js';
import type { CursorCell } from './typed-echo.js';

/**
 * Scrollback kept by the mirror (lines). The screen sync only needs the visible rows; a modest history is kept for
 * the planned native-scrollback hand-off, at about 1.4 MiB per 80-column session (measured: 13.5 MiB per 10k lines).
 */
const DEFAULT_SCROLLBACK_LINES = 1000;

/**
 * Output arriving after this long (ms) without any is parsed at once rather than on xterm's setTimeout(0): long
 * enough that a flood's back-to-back reads never qualify, far shorter than the gap between two keystrokes.
 */
const QUIET_BEFORE_IMMEDIATE_PARSE_MS = 5;

/** Width table both ends must share (xterm's default '6' table draws emoji one cell wide). */
const UNICODE_VERSION = '11';

export interface HeadlessTerminalOptions {
  cols: number;
  rows: number;
  scrollback?: number;
  /** Called when xterm throws while parsing (the rest of that chunk is dropped); see guardXtermDefects. */
  onParseError?: (error: unknown) => void;
}

/**
 * A headless xterm configured the way tsmosh mirrors screens: proposed API on (buffer and parser access), unicode 11
 * widths, a blinking block cursor by default (the Framebuffer model's DEFAULT_CURSOR), and the snapshot tracker
 * installed before any byte arrives. Tests that stand in for the user's terminal create theirs with this too, so both
 * ends start from the same state.
 */
export function createHeadlessTerminal(options: HeadlessTerminalOptions): Terminal {
  const term = new xterm.Terminal({
    cols: options.cols,
    rows: options.rows,
    scrollback: options.scrollback ?? DEFAULT_SCROLLBACK_LINES,
    allowProposedApi: true,
    cursorBlink: true,
    cursorStyle: 'block',
    // xterm logs malformed input to the console; program output is untrusted and a daemon's stderr is no place for it.
    logLevel: 'off',
  });
  term.loadAddon(new unicode11.Unicode11Addon());
  term.unicode.activeVersion = UNICODE_VERSION;
  // A parse that threw part-way may have left rows changed and unmarked: the next snapshot reads them all.
  guardXtermDefects(term, (error) => {
    dirtyRowsOf(term)?.invalidate();
    options.onParseError?.(error);
  });
  // A flood through a tmux pane scrolls its region line by line; on another xterm version this leaves xterm's own SU
  // (scroll-recycle.test.ts fails on the installed version if it stops applying).
  recycleScrolledLines(term);
  trackTerminal(term);
  // A snapshot reads only the rows output touched since the last one; on another xterm version, every row.
  trackDirtyRows(term);
  return term;
}

export interface HeadlessMirrorInit extends HeadlessTerminalOptions {
  /** Lines of the scrollback log kept (default SCROLLBACK_RETAINED_LINES). */
  logLines?: number;
  /** Bytes the terminal sends back to the program (query replies); write them into the pty. */
  onReply(data: string): void;
  /** A restarted session's saved history and first output (session-restart.ts), taken in before any program output. */
  restored?: RestoredScreen;
}

/** What a restarted session's mirror starts from: the saved history as its log, and bytes it takes in first. */
export interface RestoredScreen {
  readonly history: ScrollbackLog;
  readonly prelude: string;
}

export interface MirrorStats {
  readonly droppedClipboardWrites: number;
  readonly parseErrors: number;
  readonly droppedOscStrings: number;
  readonly droppedDcsStrings: number;
  /** Answers to queries not written back into the program's input, because they were not of a known safe shape. */
  readonly unsafeRepliesDropped: number;
}

export class HeadlessMirror {
  /** The emulator itself, for tests and diagnostics; write through `write` so pending bytes stay counted. */
  readonly terminal: Terminal;
  private readonly tracker: TerminalTracker;
  private readonly answers: CapabilityAnswers;
  private lastSnapshot: Framebuffer | undefined;
  /**
   * Something may have changed the terminal since `lastSnapshot` was taken (a write parsed, in whole or in slices,
   * or a resize). The server asks for the screen several times per keystroke (the echo's mark before the key is
   * written, the frame, the mark again when judging the echo): only the first after a change reads the cells.
   */
  private changedSinceSnapshot = true;
  private pending = 0;
  private disposed = false;
  private syncEpoch = 0;
  private parseErrors = 0;
  private unsafeRepliesDropped = 0;
  /** performance.now() when xterm last finished parsing a write. */
  private lastParsedAt = -Infinity;
  private readonly escapeStringDrops: Readonly<EscapeStringDrops>;
  private readonly capture: ScrollbackCapture;

  constructor(init: HeadlessMirrorInit) {
    this.terminal = createHeadlessTerminal({ ...init, onParseError: () => this.parseErrors++ });
    this.tracker = trackTerminal(this.terminal);
    this.answers = answerCapabilityQueries(this.terminal);
    this.capture = new ScrollbackCapture(this.terminal, init.logLines, init.restored?.history);
    // xterm parses a large write in time slices, each of which may change the screen; a resize reflows it.
    this.terminal.onWriteParsed(() => (this.changedSinceSnapshot = true));
    this.terminal.onResize(() => (this.changedSinceSnapshot = true));
    // Program output is untrusted and the daemon is shared: no title or clipboard string may swell it.
    this.escapeStringDrops = limitEscapeStrings(this.terminal);
    // Nor may a run of combining marks grow one cell without end.
    limitCellContents(this.terminal);
    // Nor may one count (a repeat, a scroll, a tab) make it loop far beyond what the screen can show.
    limitSequenceCounts(this.terminal);
    const onReply = init.onReply;
    this.terminal.onData((data) => {
      // '' comes from writeThen's user-input mark (below), not from the program: nothing to send.
      if (this.disposed || data === '') return;
      // The answer goes into the program's input as if typed: only answers that cannot carry printed bytes.
      if (isSafeReply(data)) onReply(data);
      else this.unsafeRepliesDropped++;
    });
    // Count DEC 2026 entries so a host can tell a new synchronized block from one it already waited on, even when
    // the mode went off and on again inside one chunk. Returning false leaves the mode itself to xterm.
    this.terminal.parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
      if (params.some((p) => (Array.isArray(p) ? p[0] : p) === 2026)) this.syncEpoch++;
      return false;
    });
    // xterm parses writes in order, so this comes before anything the program prints.
    if (init.restored !== undefined && init.restored.prelude !== '') this.terminal.write(init.restored.prelude);
  }

  /**
   * What the user's terminal answered at start-up, as its client reported it: the program's XTVERSION and kitty
   * keyboard queries are answered from it from now on (capability-answers.ts).
   */
  setClientTerminal(capabilities: TerminalCapabilities): void {
    this.answers.clientTerminal = capabilities;
  }

  /** Feeds program output (UTF-8 split anywhere is fine); resolves once xterm has parsed it. */
  write(data: Uint8Array): Promise<void> {
    return new Promise((resolve) => this.writeThen(data, resolve));
  }

  /**
   * `write` with a callback instead of a promise, for the hot pty path. `answer`: the bytes are part of a small answer
   * to the user's input (answer-output.ts), parsed in this turn when nothing is queued before them.
   */
  writeThen(data: Uint8Array, parsed: () => void, answer = false): void {
    if (this.disposed) {
      parsed();
      return;
    }
    // xterm parks the first write after a quiet spell on setTimeout(0) (1–3 ms on a busy machine) unless user input
    // just came. Output after a quiet spell usually answers a keystroke (an echo), and so does a small answer's every
    // later write (after Enter: a command's output, then the prompt, each a few ms after the last), so mark those as
    // such and they are parsed in this same turn. A flood is never quiet nor small: its chunks keep xterm's deferred,
    // time-sliced parsing and the pty's flow control (pty-host.ts).
    const now = performance.now();
    if (this.pending === 0 && (answer || now >= this.lastParsedAt + QUIET_BEFORE_IMMEDIATE_PARSE_MS)) this.terminal.input('', true);
    this.pending += data.length;
    this.changedSinceSnapshot = true;
    this.terminal.write(data, () => {
      this.pending -= data.length;
      this.changedSinceSnapshot = true;
      this.lastParsedAt = performance.now();
      parsed();
    });
  }

  /** Bytes handed to `write` that xterm has not parsed yet: the flow-control signal. */
  get pendingBytes(): number {
    return this.pending;
  }

  resize(cols: number, rows: number): void {
    if (this.disposed) return;
    if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(rows) || rows < 1) {
      throw new RangeError(`HeadlessMirror.resize: size must be positive integers, got ${cols}x${rows}`);
    }
    if (cols === this.terminal.cols && rows === this.terminal.rows) return;
    this.capture.resize(cols, rows);
  }

  /** The screen now; unchanged rows (and the whole object when nothing changed) are shared with the last snapshot. */
  snapshot(): Framebuffer {
    if (this.lastSnapshot !== undefined && !this.changedSinceSnapshot) return this.lastSnapshot;
    this.lastSnapshot = snapshotTerminal(this.terminal, this.lastSnapshot);
    // Bytes still queued in xterm may be parsed in a later slice without another write call.
    this.changedSinceSnapshot = this.pending > 0;
    return this.lastSnapshot;
  }

  /**
   * The cursor and the character under it as `snapshot()` would give them (x clamped as there: a pending wrap
   * leaves xterm's cursor at x === cols), read from xterm's buffer without a snapshot.
   */
  cursorCell(): CursorCell {
    const buffer = this.terminal.buffer.active;
    const x = Math.min(buffer.cursorX, this.terminal.cols - 1);
    const y = Math.min(buffer.cursorY, this.terminal.rows - 1);
    return { x, y, text: this.cellText(x, y) };
  }

  /** The character at (x, y) of the screen as `snapshot()` would give it ('' for a blank cell, or outside). */
  cellText(x: number, y: number): string {
    if (x < 0 || y < 0 || x >= this.terminal.cols || y >= this.terminal.rows) return '';
    const buffer = this.terminal.buffer.active;
    return buffer.getLine(buffer.baseY + y)?.getCell(x)?.getChars() ?? '';
  }

  /** Every line that has left the top of the normal screen so far (scrollback-capture.ts). */
  scrollback(): ScrollbackLog {
    return this.capture.current();
  }

  /**
   * The scroll region when it is narrower than the screen ("top;bottom", rows from 0), else undefined: a program
   * scrolling part of the screen (tmux, one pane) may be in the middle of a redraw (write-boundary.ts).
   */
  get partialScrollRegion(): string | undefined {
    const { top, bottom } = readScrollRegion(this.terminal);
    return top <= 0 && bottom >= this.terminal.rows - 1 ? undefined : `${top};${bottom}`;
  }

  /** True while the program holds synchronized output (DEC 2026): the screen may be half drawn. */
  get synchronizedOutput(): boolean {
    return this.terminal.modes.synchronizedOutputMode;
  }

  /** Increments every time the program enters synchronized output (`CSI ? 2026 h`). */
  get synchronizedOutputEpoch(): number {
    return this.syncEpoch;
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  /**
   * Untrusted-input counters: OSC 52 writes refused, chunks xterm failed to parse (their rest dropped), OSC and DCS
   * strings abandoned for passing their budget (escape-string-budget.ts).
   */
  get stats(): MirrorStats {
    return {
      droppedClipboardWrites: this.tracker.droppedClipboardWrites,
      parseErrors: this.parseErrors,
      droppedOscStrings: this.escapeStringDrops.oscStrings,
      droppedDcsStrings: this.escapeStringDrops.dcsStrings,
      unsafeRepliesDropped: this.unsafeRepliesDropped,
    };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.tracker.dispose();
    this.answers.dispose();
    this.capture.dispose();
    this.terminal.dispose();
  }
}
