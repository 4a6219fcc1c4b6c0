/**
 * Reading an @xterm/headless Terminal into the immutable Framebuffer model.
 *
 * Three kinds of state feed a snapshot:
 * - the cell grid, cursor position and most modes, read through xterm's public (proposed) API;
 * - cursor visibility, DECSCUSR shape/blink and the mouse encoding, which xterm keeps only internally: every such
 *   access lives in `readXtermInternals` so an xterm upgrade breaks one function and its test, loudly;
 * - state xterm does not keep at all (title, bell count, OSC 52 clipboard, kitty keyboard flags, modifyOtherKeys,
 *   DECSCNM reverse video), recorded by a `TerminalTracker` that hooks the terminal's parser and events. Install it
 *   with `trackTerminal(term)` before writing to the terminal; `snapshotTerminal` installs it lazily otherwise,
 *   and then only sees what happens from that moment on.
 */
import { registerAsciiOscHandler } from './ascii-osc-handler.js';
import type { Terminal, IBufferCell, IBufferLine, IDisposable } from '@xterm/headless';
import {
  trimmedLogLine,
  Attr,
  BLANK_CELL,
  COLOR_DEFAULT,
  COLOR_VALUE_MASK,
  NO_PROGRESS,
  blankRow,
  cursorsEqual,
  isDeliverablePayload,
  modesEqual,
  rowsEqual,
  withNotification,
  type Cell,
  type ClipboardWrite,
  type Color,
  type Cursor,
  type CursorStyle,
  type Framebuffer,
  type MouseEncoding,
  type MouseTracking,
  type Notification,
  type NotificationCode,
  type Progress,
  type Row,
  type TerminalModes,
} from '@tsmosh/terminal';


/**
 * Kitty keyboard protocol: how many pushed flag sets one screen keeps (count). The protocol asks terminals to
 * bound the stack and evict the oldest entry on overflow; a well-behaved app nests a handful at most, so 16 leaves
 * room while keeping a hostile program from growing memory.
 */
export const KITTY_KEYBOARD_STACK_LIMIT = 16;
/** Kitty keyboard flags are a 5-bit set (disambiguate, event types, alternates, all-as-escapes, associated text). */
const KITTY_FLAGS_MASK = 0b11111;
/**
 * Largest OSC 52 payload kept (base64 characters). A copy of a long Claude Code answer is tens of KiB; 1 MiB covers
 * any realistic copy while bounding what one escape sequence can make every later screen state carry.
 */
export const CLIPBOARD_PAYLOAD_LIMIT = 1 << 20;

/**
 * Longest window title kept (UTF-16 code units). xterm accepts OSC payloads up to 10 MB; no title bar shows more
 * than a few hundred characters, and every screen state carries the title, so longer ones are cut.
 */
export const TITLE_LENGTH_LIMIT = 4096;

/** State xterm.js does not record, gathered from its parser hooks and events. */
export interface TerminalTracker {
  readonly title: string;
  readonly bellCount: number;
  readonly clipboard: ClipboardWrite | undefined;
  /** Recent desktop notifications (OSC 9, 777, 99), and the latest progress report (OSC 9;4). */
  readonly notifications: readonly Notification[];
  readonly progress: Progress;
  /** Notifications refused (control characters, too long, an unknown OSC 777 verb). */
  readonly droppedNotifications: number;
  readonly kittyKeyboardFlags: number;
  readonly modifyOtherKeys: 0 | 1 | 2;
  readonly reverseVideo: boolean;
  /** OSC 52 writes refused (malformed selection or payload, over the size limit, or a read request). */
  readonly droppedClipboardWrites: number;
  dispose(): void;
}

class Tracker implements TerminalTracker {
  title = '';
  bellCount = 0;
  clipboard: ClipboardWrite | undefined = undefined;
  notifications: readonly Notification[] = Object.freeze([]);
  progress: Progress = NO_PROGRESS;
  droppedNotifications = 0;
  private notificationGeneration = 0;
  modifyOtherKeys: 0 | 1 | 2 = 0;
  reverseVideo = false;
  droppedClipboardWrites = 0;
  /** One kitty flag stack per screen, as the protocol specifies; the top entry is the active flag set. */
  private readonly kittyStacks = { normal: [] as number[], alternate: [] as number[] };
  private clipboardGeneration = 0;
  private readonly disposables: IDisposable[] = [];

  constructor(private readonly term: Terminal) {
    const parser = term.parser;
    this.disposables.push(
      term.onTitleChange((title) => {
        this.title = title.length > TITLE_LENGTH_LIMIT ? cutWithoutSplittingPairs(title, TITLE_LENGTH_LIMIT) : title;
      }),
      term.onBell(() => {
        this.bellCount++;
      }),
      // Collected as bytes, not xterm's character-by-character string (ascii-osc-handler.ts says why).
      registerAsciiOscHandler(term, 52, (data) => {
        if (data === undefined) this.droppedClipboardWrites++;
        else this.recordClipboard(data);
        return true;
      }),
      // xterm.js handles none of these; as events they travel in the screen state (notifications.ts).
      parser.registerOscHandler(9, (data) => {
        if (data.startsWith('4;') || data === '4') this.recordProgress(data);
        else this.recordNotification(9, data);
        return true;
      }),
      parser.registerOscHandler(777, (data) => {
        // urxvt's extension OSC carries other verbs too; only `notify` is a notification.
        if (data.startsWith('notify;')) this.recordNotification(777, data);
        else this.droppedNotifications++;
        return true;
      }),
      parser.registerOscHandler(99, (data) => {
        this.recordNotification(99, data);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'u' }, (params) => {
        this.kittyPush(firstParam(params, 0));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '<', final: 'u' }, (params) => {
        this.kittyPop(Math.max(1, firstParam(params, 1)));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '=', final: 'u' }, (params) => {
        this.kittySet(firstParam(params, 0), paramAt(params, 1, 1));
        return true;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'u' }, () => {
        // The query reply travels through xterm's own reply channel (onData), in order with DA/DSR replies.
        term.input(`\x1b[?${this.kittyKeyboardFlags}u`, false);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'm' }, (params) => {
        this.setModifyKeys(params);
        return true;
      }),
      parser.registerCsiHandler({ prefix: '>', final: 'n' }, (params) => {
        // XTMODKEYS disable form: `CSI > 4 n` turns modifyOtherKeys off.
        if (firstParam(params, -1) === 4) this.modifyOtherKeys = 0;
        return true;
      }),
      // DECSCNM (?5): xterm.js ignores it, so only watch; returning false lets xterm handle the other params.
      parser.registerCsiHandler({ prefix: '?', final: 'h' }, (params) => {
        if (hasParam(params, 5)) this.reverseVideo = true;
        return false;
      }),
      parser.registerCsiHandler({ prefix: '?', final: 'l' }, (params) => {
        if (hasParam(params, 5)) this.reverseVideo = false;
        return false;
      }),
      // RIS (ESC c) resets the terminal; xterm resets its own state after us.
      parser.registerEscHandler({ final: 'c' }, () => {
        this.kittyStacks.normal.length = 0;
        this.kittyStacks.alternate.length = 0;
        this.modifyOtherKeys = 0;
        this.reverseVideo = false;
        return false;
      }),
    );
  }

  get kittyKeyboardFlags(): number {
    const stack = this.activeKittyStack();
    return stack.length === 0 ? 0 : stack[stack.length - 1]!;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
    trackers.delete(this.term);
  }

  private activeKittyStack(): number[] {
    return this.term.buffer.active.type === 'alternate' ? this.kittyStacks.alternate : this.kittyStacks.normal;
  }

  private kittyPush(flags: number): void {
    const stack = this.activeKittyStack();
    if (stack.length >= KITTY_KEYBOARD_STACK_LIMIT) stack.shift();
    stack.push(flags & KITTY_FLAGS_MASK);
  }

  private kittyPop(count: number): void {
    const stack = this.activeKittyStack();
    stack.length = Math.max(0, stack.length - count);
  }

  /** `CSI = flags ; mode u`: mode 1 replaces the active set, 2 adds bits, 3 removes bits. */
  private kittySet(flags: number, mode: number): void {
    const stack = this.activeKittyStack();
    const current = stack.length === 0 ? 0 : stack[stack.length - 1]!;
    let next: number;
    if (mode === 1) next = flags;
    else if (mode === 2) next = current | flags;
    else if (mode === 3) next = current & ~flags;
    else return;
    next &= KITTY_FLAGS_MASK;
    if (stack.length === 0) stack.push(next);
    else stack[stack.length - 1] = next;
  }

  /** XTMODKEYS `CSI > Pp ; Pv m`: only resource 4 (modifyOtherKeys) matters; no params resets every resource. */
  private setModifyKeys(params: readonly (number | number[])[]): void {
    if (params.length === 0) {
      this.modifyOtherKeys = 0;
      return;
    }
    if (firstParam(params, -1) !== 4) return;
    const level = paramAt(params, 1, 0);
    if (level === 0 || level === 1 || level === 2) this.modifyOtherKeys = level;
  }

  private recordNotification(code: NotificationCode, payload: string): void {
    if (!isDeliverablePayload(payload)) {
      this.droppedNotifications++;
      return;
    }
    this.notifications = withNotification(this.notifications, { generation: ++this.notificationGeneration, code, payload });
  }

  /** OSC 9 ; 4 ; state [; value]: state 0 hides, 1 sets the value, 2 error, 3 indeterminate, 4 paused. */
  private recordProgress(data: string): void {
    const [, stateText = '0', valueText = '0'] = data.split(';');
    const state = /^[0-4]$/.test(stateText) ? (Number(stateText) as Progress['state']) : undefined;
    const value = /^\d{1,3}$/.test(valueText) ? Math.min(100, Number(valueText)) : 0;
    if (state === undefined) return;
    const next = state === 0 ? NO_PROGRESS : Object.freeze({ state, value });
    if (next.state !== this.progress.state || next.value !== this.progress.value) this.progress = next;
  }

  private recordClipboard(data: string): void {
    const separator = data.indexOf(';');
    const selection = separator < 0 ? '' : data.slice(0, separator);
    const payload = separator < 0 ? data : data.slice(separator + 1);
    // Reads (`?`) are refused: answering would hand the user's clipboard to any program that asks.
    const acceptable =
      separator >= 0 &&
      /^[cpqs0-7]*$/.test(selection) &&
      payload !== '?' &&
      payload.length <= CLIPBOARD_PAYLOAD_LIMIT &&
      /^[A-Za-z0-9+/]*={0,2}$/.test(payload);
    if (!acceptable) {
      this.droppedClipboardWrites++;
      return;
    }
    this.clipboard = Object.freeze({ generation: ++this.clipboardGeneration, selection, data: payload });
  }
}

/** `text` cut to at most `limit` code units, never between the two halves of a surrogate pair. */
function cutWithoutSplittingPairs(text: string, limit: number): string {
  const end = /[\ud800-\udbff]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return text.slice(0, end);
}

type Params = readonly (number | number[])[];

function paramAt(params: Params, index: number, fallback: number): number {
  const value = params[index];
  const n = Array.isArray(value) ? value[0] : value;
  // xterm reports an omitted parameter as 0, which every sequence here treats as "use the default".
  return n === undefined || n === 0 ? fallback : n;
}

function firstParam(params: Params, fallback: number): number {
  return paramAt(params, 0, fallback);
}

function hasParam(params: Params, wanted: number): boolean {
  return params.some((p) => (Array.isArray(p) ? p[0] : p) === wanted);
}

const trackers = new WeakMap<Terminal, Tracker>();

/** The tracker of `term`, installed on first use. Install it before the first write to miss nothing. */
export function trackTerminal(term: Terminal): TerminalTracker {
  let tracker = trackers.get(term);
  if (tracker === undefined) {
    tracker = new Tracker(term);
    trackers.set(term, tracker);
  }
  return tracker;
}

/** What xterm.js keeps only in private fields. */
export interface XtermInternals {
  cursorHidden: boolean;
  /** DECSCUSR shape, undefined when the app has not set one (the terminal's configured style applies). */
  cursorStyle: CursorStyle | undefined;
  /** DECSCUSR blink, undefined when the app has not set one (the `cursorBlink` option, also set by ?12, applies). */
  cursorBlink: boolean | undefined;
  mouseEncoding: MouseEncoding;
}

interface XtermCoreShape {
  coreService?: { isCursorHidden?: unknown; decPrivateModes?: { cursorStyle?: unknown; cursorBlink?: unknown } };
  coreMouseService?: { activeEncoding?: unknown };
}

function internalsChanged(what: string): Error {
  return new Error(
    `@xterm/headless internals changed: ${what}. tsmosh reads cursor visibility, DECSCUSR and the mouse encoding ` +
      `from xterm's private fields (public API lacks them); update readXtermInternals in packages/server/src/snapshot.ts ` +
      `for the installed @xterm/headless version.`,
  );
}

/**
 * The one place that reaches into xterm.js private state (verified against @xterm/headless 6.0.0):
 * `_core.coreService.isCursorHidden` (DECTCEM), `_core.coreService.decPrivateModes.cursorStyle/cursorBlink`
 * (DECSCUSR) and `_core.coreMouseService.activeEncoding` (?1006/?1016). It throws rather than guess when the shape
 * differs, so an xterm upgrade fails the snapshot tests instead of silently showing a wrong cursor.
 */
export function readXtermInternals(term: Terminal): XtermInternals {
  const core = (term as unknown as { _core?: XtermCoreShape })._core;
  const coreService = core?.coreService;
  const hidden = coreService?.isCursorHidden;
  if (typeof hidden !== 'boolean') throw internalsChanged('_core.coreService.isCursorHidden is not a boolean');
  const dec = coreService!.decPrivateModes;
  if (dec === undefined) throw internalsChanged('_core.coreService.decPrivateModes is missing');
  const style = dec.cursorStyle;
  if (style !== undefined && style !== 'block' && style !== 'underline' && style !== 'bar') {
    throw internalsChanged(`decPrivateModes.cursorStyle is ${String(style)}`);
  }
  const blink = dec.cursorBlink;
  if (blink !== undefined && typeof blink !== 'boolean') throw internalsChanged('decPrivateModes.cursorBlink is not a boolean');
  const encoding = core!.coreMouseService?.activeEncoding;
  let mouseEncoding: MouseEncoding;
  switch (encoding) {
    case 'DEFAULT':
      mouseEncoding = 'default';
      break;
    case 'SGR':
      mouseEncoding = 'sgr';
      break;
    case 'SGR_PIXELS':
      mouseEncoding = 'sgr-pixels';
      break;
    default:
      throw internalsChanged(`_core.coreMouseService.activeEncoding is ${String(encoding)}`);
  }
  return { cursorHidden: hidden, cursorStyle: style, cursorBlink: blink, mouseEncoding };
}

/**
 * Works around @xterm/headless 6.0.0 defects that untrusted program output can trigger, through xterm private state
 * (the second and last place tsmosh touches it; see readXtermInternals):
 *
 * - ED 1 (`CSI 1 J`, erase above) with the cursor in the last column of a row that has no line below it (the
 *   bottom row of the alternate screen, or of a normal screen that has not scrolled yet) throws inside xterm's
 *   parser: it clears the wrap flag of `lines.get(y + 1)` with a viewport-relative index. The throw escapes from a
 *   timer (an uncaught exception, fatal to a daemon) and wedges xterm's write queue so no later write ever
 *   completes. That case erases the whole screen, which is exactly ED 2, so it is run as ED 2.
 * - As a last line of defence, any exception xterm throws while parsing drops the rest of that chunk, resets the
 *   parser to its ground state and is counted (`onParseError`) instead of escaping.
 *
 * Throws, with what to update, when the private shape differs from the one verified.
 */
export function guardXtermDefects(term: Terminal, onParseError: (error: unknown) => void): void {
  const core = (term as unknown as { _core?: { _inputHandler?: XtermInputHandlerShape } })._core;
  const handler = core?._inputHandler;
  if (
    handler === undefined ||
    typeof handler.parse !== 'function' ||
    typeof handler.eraseInDisplay !== 'function' ||
    typeof handler._parser?.reset !== 'function'
  ) {
    throw internalsChanged('_core._inputHandler.parse/eraseInDisplay/_parser.reset are missing');
  }
  const parser = handler._parser;
  const parse = handler.parse.bind(handler);
  handler.parse = (data: unknown, promiseResult?: unknown) => {
    try {
      return parse(data, promiseResult);
    } catch (error) {
      // The parser stopped mid-sequence; start the next chunk from the ground state, not inside a stale sequence.
      parser.reset();
      onParseError(error);
      return undefined;
    }
  };
  const eraseAboveHitsMissingLine = (): boolean => {
    const buffer = term.buffer.active;
    return buffer.cursorX >= term.cols - 1 && buffer.baseY + buffer.cursorY + 1 >= buffer.length;
  };
  for (const selective of [false, true]) {
    term.parser.registerCsiHandler(selective ? { prefix: '?', final: 'J' } : { final: 'J' }, (params) => {
      if (firstParam(params, 0) !== 1 || !eraseAboveHitsMissingLine()) return false;
      return handler.eraseInDisplay!({ params: [2], length: 1 }, selective);
    });
  }
}

interface XtermInputHandlerShape {
  parse: (data: unknown, promiseResult?: unknown) => unknown;
  _parser?: { reset: () => void };
  eraseInDisplay?: (params: { params: number[]; length: number }, respectProtect: boolean) => boolean;
}

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

function cellMatches(cell: Cell, text: string, width: number, fg: Color, bg: Color, attrs: number): boolean {
  return cell.text === text && cell.width === width && cell.fg === fg && cell.bg === bg && cell.attrs === attrs;
}

function makeCell(text: string, width: number, fg: Color, bg: Color, attrs: number): Cell {
  if (fg === COLOR_DEFAULT && bg === COLOR_DEFAULT && attrs === 0 && width === 1) {
    if (text === '') return BLANK_CELL;
    if (text.length === 1) {
      const shared = plainAsciiCells[text.charCodeAt(0)];
      if (shared !== undefined) return shared;
    }
  }
  return { text, width: width as 0 | 1 | 2, fg, bg, attrs };
}

/**
 * Reads one buffer line. When `candidate` holds the same cells, returns it (no allocation for unchanged rows);
 * otherwise builds a new frozen Row.
 */
export function readRow(
  line: IBufferLine | undefined,
  cols: number,
  wrapped: boolean,
  scratch: IBufferCell,
  lookahead: IBufferCell,
  candidate: Row | undefined,
): Row {
  if (line === undefined) return wrapped ? Object.freeze({ cells: blankRow(cols).cells, wrapped }) : blankRow(cols);
  const same = candidate !== undefined && candidate.wrapped === wrapped && candidate.cells.length === cols;
  let cells: Cell[] | undefined = same ? undefined : new Array<Cell>(cols);
  let previousWidth = 1;
  for (let x = 0; x < cols; x++) {
    const cell = line.getCell(x, scratch);
    let text = '';
    let width = 1;
    let fg = COLOR_DEFAULT;
    let bg = COLOR_DEFAULT;
    let attrs = 0;
    if (cell !== undefined) {
      text = cell.getChars();
      width = cell.getWidth();
      fg = colorOf(cell.getFgColorMode(), cell.getFgColor());
      bg = colorOf(cell.getBgColorMode(), cell.getBgColor());
      attrs = attrsOf(cell);
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
      if (width !== 0 && STARTS_WITH_MARK.test(text)) text = ' ' + text;
      // Canonical empty cells: an erase (EL, ED, ECH, scrolling) leaves cells that carry only a background, so only
      // those are ''. xterm also pads with empty cells in the current pen (a wide character that does not fit in
      // the last column), which no erase can reproduce on the user's terminal; they look exactly like spaces in
      // that pen, so they are reported as spaces and the renderer can draw every snapshot exactly.
      if (text === '' && width === 1 && (fg !== COLOR_DEFAULT || attrs !== 0)) text = ' ';
    }
    previousWidth = width;
    if (cells === undefined) {
      const old = candidate!.cells[x]!;
      if (cellMatches(old, text, width, fg, bg, attrs)) continue;
      cells = candidate!.cells.slice(0, x) as Cell[];
      cells.length = cols;
    }
    cells[x] = makeCell(text, width, fg, bg, attrs);
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
export function readLogRow(line: IBufferLine | undefined, cols: number, wrapped: boolean, scratch: IBufferCell, lookahead: IBufferCell): Row {
  if (line === undefined) return readRow(line, cols, wrapped, scratch, lookahead, undefined);
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
  const read = readRow(line, used === cols ? cols : used + 1, wrapped, scratch, lookahead, undefined);
  return trimmedLogLine(used === cols ? read : Object.freeze({ cells: Object.freeze(read.cells.slice(0, used)), wrapped }));
}

/** xterm's content word of an erased cell: no code point, width 1 (bits 22–23). */
const ERASED_CELL_CONTENT = 1 << 22;

/** The cell words of an xterm buffer line (internal `_line._data`), when this xterm version has them. */
function rawCellData(line: IBufferLine): Uint32Array | undefined {
  const data = (line as unknown as { _line?: { _data?: unknown } })._line?._data;
  return data instanceof Uint32Array ? data : undefined;
}

function rowKey(row: Row): string {
  let key = row.wrapped ? '\u0001' : '\u0000';
  for (const cell of row.cells) key += cell.text === '' ? ' ' : cell.text;
  return key;
}

/**
 * Finds an earlier Row with the same contents anywhere on the previous screen, so a scrolled screen shares its
 * moved rows with the previous snapshot (the differ and renderer compare rows by identity first).
 */
class PreviousRows {
  private byKey: Map<string, Row[]> | undefined;
  constructor(private readonly rows: readonly Row[]) {}
  find(row: Row): Row | undefined {
    if (this.byKey === undefined) {
      this.byKey = new Map();
      for (const r of this.rows) {
        const key = rowKey(r);
        const list = this.byKey.get(key);
        if (list === undefined) this.byKey.set(key, [r]);
        else if (!list.includes(r)) list.push(r);
      }
    }
    for (const r of this.byKey.get(rowKey(row)) ?? []) if (rowsEqual(r, row)) return r;
    return undefined;
  }
}

/**
 * Snapshots the active buffer's screen (the bottom `rows` lines, where the program draws) of `term` into a
 * Framebuffer. Rows, cursor and modes objects equal to `previous` ones are reused, and when nothing at all changed
 * `previous` itself is returned, so callers can detect "no change" with `===`.
 */
export function snapshotTerminal(term: Terminal, previous?: Framebuffer): Framebuffer {
  const tracker = trackTerminal(term);
  const internals = readXtermInternals(term);
  const buffer = term.buffer.active;
  const { cols, rows } = term;
  const top = buffer.baseY;
  const scratch = buffer.getNullCell();
  const lookahead = buffer.getNullCell();
  const sameSize = previous !== undefined && previous.cols === cols && previous.rows === rows;
  const previousRows = sameSize ? new PreviousRows(previous.lines) : undefined;

  const lines = new Array<Row>(rows);
  let allRowsShared = sameSize;
  let nextLine = buffer.getLine(top);
  for (let y = 0; y < rows; y++) {
    const line = nextLine;
    nextLine = buffer.getLine(top + y + 1);
    // xterm marks the *continuation* line as wrapped; the model marks the row that continues.
    const wrapped = nextLine?.isWrapped === true;
    const candidate = sameSize ? previous.lines[y] : undefined;
    let row = readRow(line, cols, wrapped, scratch, lookahead, candidate);
    if (row !== candidate && previousRows !== undefined) row = previousRows.find(row) ?? row;
    if (row !== candidate) allRowsShared = false;
    lines[y] = row;
  }

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

  if (previous !== undefined) {
    const cursorSame = cursorsEqual(previous.cursor, cursor);
    const modesSame = modesEqual(previous.modes, modes);
    if (
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
      return previous;
    }
    return Object.freeze({
      cols,
      rows,
      lines: Object.freeze(lines),
      cursor: cursorSame ? previous.cursor : Object.freeze(cursor),
      modes: modesSame ? previous.modes : Object.freeze(modes),
      title: tracker.title,
      bellCount: tracker.bellCount,
      clipboard: tracker.clipboard,
      notifications: tracker.notifications,
      progress: tracker.progress,
      alternateScreen,
    });
  }
  return Object.freeze({
    cols,
    rows,
    lines: Object.freeze(lines),
    cursor: Object.freeze(cursor),
    modes: Object.freeze(modes),
    title: tracker.title,
    bellCount: tracker.bellCount,
    clipboard: tracker.clipboard,
    notifications: tracker.notifications,
    progress: tracker.progress,
    alternateScreen,
  });
}
