/**
 * Test helpers: a real @xterm/headless terminal standing in for the user's terminal, and a read-back of what it
 * shows as a Framebuffer, so renderer tests compare cells, attributes, cursor and modes with the real thing.
 * (packages/server's snapshotTerminal does the same job for the daemon; this copy keeps the pure package's tests
 * free of a dependency on the server.)
 */
import xterm from '@xterm/headless';
import type { IBufferCell, Terminal as XTerm } from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';
import {
  Attr,
  BLANK_CELL,
  DEFAULT_CURSOR,
  DEFAULT_MODES,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  withUnderlineStyle,
  type Cell,
  type Color,
  type UnderlineStyle,
  type CursorStyle,
  type Framebuffer,
  type MouseEncoding,
  type Row,
} from './framebuffer.js';
import { NO_PROGRESS } from './notifications.js';
import { linksEqual, type Hyperlink } from './hyperlinks.js';

const { Terminal } = xterm;

export interface TestTerminal {
  readonly term: XTerm;
  /** Titles set through OSC 0/2, in order. */
  readonly titles: string[];
  /** Bells rung. */
  bells: number;
  /**
   * Erases of the whole screen: ED 2 or 3 anywhere, or ED 0 with the cursor home. tmux (scroll-on-clear, on by
   * default) pushes the screen into its history on each, so the renderer must never send one.
   */
  wholeScreenErases: number;
  write(data: string): Promise<void>;
  read(): Framebuffer;
  dispose(): void;
}

export function createTestTerminal(cols: number, rows: number): TestTerminal {
  // Some scrollback: with none, xterm.js 6 loses track of its lines when the screen shrinks.
  const term = new Terminal({ cols, rows, allowProposedApi: true, scrollback: 50 });
  const addon = new unicode11.Unicode11Addon();
  term.loadAddon(addon);
  term.unicode.activeVersion = '11';
  const t: TestTerminal = {
    term,
    titles: [],
    bells: 0,
    wholeScreenErases: 0,
    write: (data) => new Promise((resolve) => term.write(data, resolve)),
    read: () => readFramebuffer(term, t.titles.at(-1) ?? '', t.bells),
    dispose: () => term.dispose(),
  };
  term.onTitleChange((title) => t.titles.push(title));
  term.onBell(() => t.bells++);
  term.parser.registerCsiHandler({ final: 'J' }, (params) => {
    const mode = typeof params[0] === 'number' ? params[0] : 0;
    const cursor = term.buffer.active;
    if (mode === 2 || mode === 3 || (mode === 0 && cursor.cursorX === 0 && cursor.cursorY === 0)) t.wholeScreenErases++;
    return false; // xterm still erases
  });
  return t;
}

function color(mode: 'default' | 'p16' | 'p256' | 'rgb', value: number): number {
  if (mode === 'default') return 0;
  if (mode === 'rgb') return COLOR_RGB | value;
  return (mode === 'p16' ? COLOR_PALETTE_16 : COLOR_PALETTE_256) | value;
}

type BufferCell = IBufferCell;

function cellColor(cell: BufferCell, layer: 'fg' | 'bg'): number {
  const isDefault = layer === 'fg' ? cell.isFgDefault() : cell.isBgDefault();
  if (isDefault) return 0;
  const value = layer === 'fg' ? cell.getFgColor() : cell.getBgColor();
  if (layer === 'fg' ? cell.isFgRGB() : cell.isBgRGB()) return color('rgb', value);
  // xterm reports SGR 30–37/90–97 as "P16" and 38;5;n as "P256" through the colour mode bits.
  const mode = layer === 'fg' ? cell.getFgColorMode() : cell.getBgColorMode();
  return color(mode === 0x1000000 ? 'p16' : 'p256', value);
}

/** xterm's private cell words: the link number in the extended attributes, the underline flag in fg (bit 28). */
interface XtermCellInternals {
  fg: number;
  extended?: { urlId?: number };
}
const XTERM_FG_UNDERLINE = 0x10000000;

function urlIdOf(cell: BufferCell): number {
  // bg bit 28 (HAS_EXTENDED): otherwise a reused cell object still holds another cell's extended attributes.
  const words = cell as unknown as XtermCellInternals & { bg: number };
  return (words.bg & 0x10000000) === 0 ? 0 : (words.extended?.urlId ?? 0);
}

function attrsOf(cell: BufferCell): number {
  let attrs = 0;
  if (cell.isBold()) attrs |= Attr.Bold;
  if (cell.isDim()) attrs |= Attr.Dim;
  if (cell.isItalic()) attrs |= Attr.Italic;
  // xterm reports every linked cell as underlined (its hover style); the program's own underline is the fg flag.
  if (urlIdOf(cell) !== 0 ? ((cell as unknown as XtermCellInternals).fg & XTERM_FG_UNDERLINE) !== 0 : cell.isUnderline()) attrs |= Attr.Underline;
  if (cell.isBlink()) attrs |= Attr.Blink;
  if (cell.isInverse()) attrs |= Attr.Inverse;
  if (cell.isInvisible()) attrs |= Attr.Invisible;
  if (cell.isStrikethrough()) attrs |= Attr.Strikethrough;
  if (cell.isOverline()) attrs |= Attr.Overline;
  return attrs;
}

/**
 * An underlined cell's style and colour from xterm's extended attribute word (`extended._ext`: colour in bits 0–25,
 * style in 26–28; the `underlineStyle` getter says 5 for every linked cell). xterm stores SGR 59 as every colour bit
 * set, which reads as the default.
 */
function withUnderline(cell: BufferCell, read: Cell): Cell {
  const words = cell as unknown as { bg: number; extended: { _ext: number } };
  if (!(read.attrs & Attr.Underline) || (words.bg & 0x10000000) === 0) return read;
  const ext = words.extended._ext;
  const attrs = withUnderlineStyle(read.attrs, Math.min(5, Math.max(1, (ext >>> 26) & 7)) as UnderlineStyle);
  const word = ext & 0x3ffffff;
  const mode = word & 0x3000000;
  // A 256-colour index is the low byte (xterm leaves an earlier RGB value's upper bits behind it).
  const colour: Color | undefined = word === 0x3ffffff ? undefined : mode === COLOR_RGB ? word : mode === COLOR_PALETTE_256 ? COLOR_PALETTE_256 | (word & 0xff) : undefined;
  return colour !== undefined ? { ...read, attrs, underlineColor: colour } : { ...read, attrs };
}

const ENCODINGS: Record<string, MouseEncoding> = {
  DEFAULT: 'default',
  UTF8: 'utf8',
  SGR: 'sgr',
  URXVT: 'urxvt',
  SGR_PIXELS: 'sgr-pixels',
};

/** The link xterm's OSC link service holds under `urlId` (private: `_core._oscLinkService`). */
function linkOf(term: XTerm, urlId: number): Hyperlink | undefined {
  if (urlId === 0) return undefined;
  const service = (term as unknown as { _core: { _oscLinkService: { getLinkData(id: number): { uri: string; id?: string } | undefined } } })._core._oscLinkService;
  const data = service.getLinkData(urlId);
  return data === undefined ? undefined : { uri: data.uri, id: data.id ?? '' };
}

export function readFramebuffer(term: XTerm, title: string, bellCount: number): Framebuffer {
  const buffer = term.buffer.active;
  const lines: Row[] = [];
  for (let y = 0; y < term.rows; y++) {
    const line = buffer.getLine(buffer.baseY + y)!;
    const below = y + 1 < term.rows ? buffer.getLine(buffer.baseY + y + 1) : undefined;
    const cells: Cell[] = [];
    for (let x = 0; x < term.cols; x++) {
      const c = line.getCell(x)!;
      const read = withUnderline(c, {
        text: c.getChars(),
        width: c.getWidth() as 0 | 1 | 2,
        fg: cellColor(c, 'fg'),
        bg: cellColor(c, 'bg'),
        attrs: attrsOf(c),
      });
      const link = linkOf(term, urlIdOf(c));
      cells.push(link === undefined ? read : { ...read, link });
    }
    // xterm flags the continuation line; the Framebuffer flags the line that continues.
    lines.push({ cells, wrapped: below?.isWrapped === true });
  }
  // Internal state the public API does not expose: mouse encoding and cursor shape.
  const core = (term as unknown as { _core: any })._core;
  const privateModes = core.coreService.decPrivateModes;
  const modes = term.modes;
  return {
    cols: term.cols,
    rows: term.rows,
    lines,
    cursor: {
      x: Math.min(buffer.cursorX, term.cols - 1),
      y: buffer.cursorY,
      visible: !core.coreService.isCursorHidden,
      style: (privateModes.cursorStyle ?? 'block') as CursorStyle,
      blink: privateModes.cursorBlink ?? true,
    },
    modes: {
      applicationCursorKeys: modes.applicationCursorKeysMode,
      applicationKeypad: modes.applicationKeypadMode,
      bracketedPaste: modes.bracketedPasteMode,
      mouseTracking: modes.mouseTrackingMode,
      mouseEncoding: ENCODINGS[core.coreMouseService.activeEncoding] ?? 'default',
      focusReporting: modes.sendFocusMode,
      kittyKeyboardFlags: 0,
      modifyOtherKeys: 0,
      reverseVideo: false,
    },
    title,
    bellCount,
    clipboard: undefined,
    notifications: [],
    progress: NO_PROGRESS,
    alternateScreen: buffer.type === 'alternate',
  };
}

/** The first difference in what a terminal shows (cells, wrap flags, cursor), described for a test failure; or ''. */
export function screenDifference(actual: Framebuffer, expected: Framebuffer): string {
  if (actual.cols !== expected.cols || actual.rows !== expected.rows) {
    return `size ${actual.cols}x${actual.rows} != ${expected.cols}x${expected.rows}`;
  }
  for (let y = 0; y < expected.rows; y++) {
    for (let x = 0; x < expected.cols; x++) {
      const a = actual.lines[y]!.cells[x]!;
      const e = expected.lines[y]!.cells[x]!;
      if (a.text !== e.text || a.width !== e.width || a.fg !== e.fg || a.bg !== e.bg || a.attrs !== e.attrs || a.underlineColor !== e.underlineColor || !linksEqual(a.link, e.link)) {
        return `cell (${x},${y}): got ${JSON.stringify(a)}, want ${JSON.stringify(e)}`;
      }
    }
    // The last row's wrap flag is not observable: nothing below it to continue into.
    if (y + 1 < expected.rows && actual.lines[y]!.wrapped !== expected.lines[y]!.wrapped) {
      return `row ${y} wrapped: got ${actual.lines[y]!.wrapped}, want ${expected.lines[y]!.wrapped}`;
    }
  }
  const ac = actual.cursor;
  const ec = expected.cursor;
  if (ac.x !== ec.x || ac.y !== ec.y) return `cursor at (${ac.x},${ac.y}), want (${ec.x},${ec.y})`;
  if (ac.visible !== ec.visible) return `cursor visible ${ac.visible}, want ${ec.visible}`;
  return '';
}

// ---------------------------------------------------------------------------------------------------------------
// Builders for hand-written framebuffers

export function cell(text: string, pen: Partial<Omit<Cell, 'text'>> = {}): Cell {
  const base: Cell = { text, width: pen.width ?? 1, fg: pen.fg ?? 0, bg: pen.bg ?? 0, attrs: pen.attrs ?? 0 };
  const plain: Cell = pen.underlineColor === undefined ? base : { ...base, underlineColor: pen.underlineColor };
  return pen.link === undefined ? plain : { ...plain, link: pen.link };
}

/** A row from plain text (one cell per code point, '' padding), optionally with one pen for the text. */
export function textRow(text: string, cols: number, pen: Partial<Omit<Cell, 'text' | 'width'>> = {}, wrapped = false): Row {
  const cells: Cell[] = [];
  for (const ch of text) cells.push(cell(ch, pen));
  while (cells.length < cols) cells.push(BLANK_CELL);
  return { cells: cells.slice(0, cols), wrapped };
}

/** A framebuffer of text rows; the rest of the screen blank. */
export function framebuffer(cols: number, rows: number, text: readonly (string | Row)[], overrides: Partial<Framebuffer> = {}): Framebuffer {
  const lines: Row[] = [];
  for (let y = 0; y < rows; y++) {
    const line = text[y];
    lines.push(line === undefined ? textRow('', cols) : typeof line === 'string' ? textRow(line, cols) : line);
  }
  return {
    cols,
    rows,
    lines,
    cursor: DEFAULT_CURSOR,
    modes: DEFAULT_MODES,
    title: '',
    bellCount: 0,
    clipboard: undefined,
    notifications: [],
    progress: NO_PROGRESS,
    alternateScreen: false,
    ...overrides,
  };
}

export function withRow(fb: Framebuffer, y: number, row: Row): Framebuffer {
  const lines = fb.lines.slice();
  lines[y] = row;
  return { ...fb, lines };
}
