import { NO_PROGRESS, notificationsEqual, progressEqual, type Notification, type Progress } from './notifications.js';
import { linksEqual, type Hyperlink } from './hyperlinks.js';

/**
 * The Framebuffer: an immutable picture of a terminal screen, what the server's headless emulator shows and what
 * the client must reproduce on the user's terminal, cell for cell.
 *
 * Immutability is what makes the sync cheap: a new snapshot reuses every Row object whose contents did not change,
 * so the differ and renderer skip unchanged rows with one `===` and the sender can keep old states without copies.
 */

/**
 * A colour, encoded exactly as @xterm/headless reports it so a snapshot needs no translation and a round trip
 * through SGR keeps the colour *mode* (SGR 31 and SGR 38;5;1 paint the same red but are different cells to an
 * emulator): `COLOR_DEFAULT`, `COLOR_PALETTE_16 | index (0–15)`, `COLOR_PALETTE_256 | index (0–255)`, or
 * `COLOR_RGB | 0xRRGGBB`.
 */
export type Color = number;
export const COLOR_DEFAULT: Color = 0;
export const COLOR_PALETTE_16 = 0x1000000;
export const COLOR_PALETTE_256 = 0x2000000;
export const COLOR_RGB = 0x3000000;
export const COLOR_MODE_MASK = 0x3000000;
export const COLOR_VALUE_MASK = 0xffffff;

/**
 * Cell attribute flags (a bit set). A plain frozen object rather than a const enum, so that every package (compiled
 * with isolatedModules, which cannot inline a const enum across packages) reads the bits from here.
 */
export const Attr = Object.freeze({
  None: 0,
  Bold: 1 << 0,
  Dim: 1 << 1,
  Italic: 1 << 2,
  Underline: 1 << 3,
  Blink: 1 << 4,
  Inverse: 1 << 5,
  Invisible: 1 << 6,
  Strikethrough: 1 << 7,
  Overline: 1 << 8,
} as const);
/** One attribute bit (or None). */
export type Attr = (typeof Attr)[keyof typeof Attr];

/**
 * The underline style (SGR 4:0–4:5, and 21 for double), numbered as SGR numbers it. In a cell it lives in the attrs
 * bits UNDERLINE_STYLE_MASK as style − 2 beside Attr.Underline (0 there is single), so an ordinary cell costs
 * nothing more and equality stays one number compare; underlineStyleOf/withUnderlineStyle read and write it.
 */
export const UnderlineStyle = Object.freeze({ None: 0, Single: 1, Double: 2, Curly: 3, Dotted: 4, Dashed: 5 } as const);
export type UnderlineStyle = (typeof UnderlineStyle)[keyof typeof UnderlineStyle];
export const UNDERLINE_STYLE_SHIFT = 9;
/** The attrs bits of a style other than single; set only with Attr.Underline, and at most Dashed − 1 (4). */
export const UNDERLINE_STYLE_MASK = 7 << UNDERLINE_STYLE_SHIFT;
/** Every defined attribute bit, the underline style's included; anything outside this mask is invalid. */
export const ATTR_ALL = (1 << 12) - 1;

/** The underline style `attrs` carry: None without Attr.Underline. */
export function underlineStyleOf(attrs: number): UnderlineStyle {
  return attrs & Attr.Underline ? (((attrs & UNDERLINE_STYLE_MASK) >> UNDERLINE_STYLE_SHIFT) + 1) as UnderlineStyle : UnderlineStyle.None;
}

/** `attrs` with the underline set to `style` (None clears Attr.Underline and the style bits). */
export function withUnderlineStyle(attrs: number, style: UnderlineStyle): number {
  const rest = attrs & ~(Attr.Underline | UNDERLINE_STYLE_MASK);
  return style === UnderlineStyle.None ? rest : rest | Attr.Underline | ((style - 1) << UNDERLINE_STYLE_SHIFT);
}

/** Whether `attrs` is a canonical attribute set: known bits only, an underline style only with an underline. */
export function isCanonicalAttrs(attrs: number): boolean {
  if (!Number.isInteger(attrs) || (attrs & ATTR_ALL) !== attrs) return false;
  const styleBits = attrs & UNDERLINE_STYLE_MASK;
  return styleBits === 0 || ((attrs & Attr.Underline) !== 0 && styleBits >> UNDERLINE_STYLE_SHIFT <= UnderlineStyle.Dashed - 1);
}

/**
 * Whether `color` can be an underline colour (SGR 58): a 256-colour index or RGB. SGR 58 has no 16-colour form, and the
 * default (SGR 59) is the field's absence.
 */
export function isUnderlineColor(color: unknown): boolean {
  if (typeof color !== 'number' || !Number.isInteger(color)) return false;
  const mode = color & COLOR_MODE_MASK;
  return (color & ~(COLOR_MODE_MASK | COLOR_VALUE_MASK)) === 0 && ((mode === COLOR_PALETTE_256 && (color & COLOR_VALUE_MASK) <= 255) || mode === COLOR_RGB);
}

export interface Cell {
  /**
   * The grapheme drawn in the cell: a base character plus any combining marks. '' for an empty (never written or
   * erased) cell and for the second half of a wide character.
   */
  readonly text: string;
  /** 1 for a normal cell, 2 for the first half of a wide character, 0 for its second half. */
  readonly width: 0 | 1 | 2;
  readonly fg: Color;
  readonly bg: Color;
  readonly attrs: number;
  /**
   * The OSC 8 hyperlink the cell belongs to, absent when none (hyperlinks.ts). Cells of one link share the object.
   * Part of the cell's identity: two cells differing only in their link are different cells.
   */
  readonly link?: Hyperlink;
  /**
   * The underline colour (SGR 58: COLOR_PALETTE_256 or COLOR_RGB, isUnderlineColor), absent for the default (the
   * foreground's, SGR 59) and on every cell without Attr.Underline, so ordinary cells keep their shape. Part of the
   * cell's identity like the link.
   */
  readonly underlineColor?: Color;
}

export interface Row {
  readonly cells: readonly Cell[];
  /**
   * True when the text of this row continues on the next row because the program wrote past the last column
   * (soft wrap). The renderer must let the local terminal wrap too, so copy and word selection join the lines.
   */
  readonly wrapped: boolean;
}

export type CursorStyle = 'block' | 'underline' | 'bar';

export interface Cursor {
  /** 0-based column; may equal `cols` transiently in emulators with a pending wrap, but snapshots clamp it. */
  readonly x: number;
  /** 0-based row. */
  readonly y: number;
  readonly visible: boolean;
  readonly style: CursorStyle;
  readonly blink: boolean;
}

export type MouseTracking = 'none' | 'x10' | 'vt200' | 'drag' | 'any';
export type MouseEncoding = 'default' | 'utf8' | 'sgr' | 'urxvt' | 'sgr-pixels';

/** The terminal modes the user's terminal must mirror, because they change what its keys and mouse send. */
export interface TerminalModes {
  /** DECCKM (?1): arrows send SS3 instead of CSI. */
  readonly applicationCursorKeys: boolean;
  /** DECKPAM / DECNKM (?66). */
  readonly applicationKeypad: boolean;
  /** ?2004 */
  readonly bracketedPaste: boolean;
  /** ?9, ?1000, ?1002, ?1003 */
  readonly mouseTracking: MouseTracking;
  /** ?1005, ?1006, ?1015, ?1016 */
  readonly mouseEncoding: MouseEncoding;
  /** ?1004 */
  readonly focusReporting: boolean;
  /** Kitty keyboard protocol flags the app pushed (`CSI > flags u`); 0 when unused. */
  readonly kittyKeyboardFlags: number;
  /** xterm modifyOtherKeys level (`CSI > 4 ; n m`): 0, 1 or 2. */
  readonly modifyOtherKeys: 0 | 1 | 2;
  /** DECSCNM (?5): the whole screen in reverse video. */
  readonly reverseVideo: boolean;
}

export const DEFAULT_MODES: TerminalModes = Object.freeze({
  applicationCursorKeys: false,
  applicationKeypad: false,
  bracketedPaste: false,
  mouseTracking: 'none',
  mouseEncoding: 'default',
  focusReporting: false,
  kittyKeyboardFlags: 0,
  modifyOtherKeys: 0,
  reverseVideo: false,
});

/**
 * A clipboard write the program made with OSC 52. `generation` counts writes since the session began, so a
 * repeated copy of the same text still reaches the user's terminal once per copy.
 */
export interface ClipboardWrite {
  readonly generation: number;
  /** The OSC 52 selection parameter, e.g. 'c' or 'p' ('' means the terminal's default). */
  readonly selection: string;
  /** The base64 payload exactly as the program sent it. */
  readonly data: string;
}

export interface Framebuffer {
  readonly cols: number;
  readonly rows: number;
  /** Exactly `rows` rows of exactly `cols` cells each. */
  readonly lines: readonly Row[];
  readonly cursor: Cursor;
  readonly modes: TerminalModes;
  /** Window title (OSC 0/2). */
  readonly title: string;
  /** Bells rung since the session began; the renderer rings once whenever this grows. */
  readonly bellCount: number;
  /** The latest clipboard write, if any. */
  readonly clipboard: ClipboardWrite | undefined;
  /** The most recent desktop notifications (OSC 9, 777, 99), oldest first; events, delivered once (notifications.ts). */
  readonly notifications: readonly Notification[];
  /** The program's progress report (OSC 9;4), NO_PROGRESS when none. */
  readonly progress: Progress;
  /** Whether the program is on the alternate screen (informational: the client draws on the normal screen). */
  readonly alternateScreen: boolean;
}

export const BLANK_CELL: Cell = Object.freeze({ text: '', width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 });

export const DEFAULT_CURSOR: Cursor = Object.freeze({ x: 0, y: 0, visible: true, style: 'block', blink: true });

const blankRowCache = new Map<number, Row>();

/** A row of `cols` blank cells. Shared: the same width always returns the same object. */
export function blankRow(cols: number): Row {
  let row = blankRowCache.get(cols);
  if (row === undefined) {
    row = Object.freeze({ cells: Object.freeze(new Array<Cell>(cols).fill(BLANK_CELL)), wrapped: false });
    if (blankRowCache.size < 64) blankRowCache.set(cols, row);
  }
  return row;
}

/** A blank screen, the state both ends hold before the first update. */
export function blankFramebuffer(cols: number, rows: number): Framebuffer {
  if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(rows) || rows < 1) {
    throw new RangeError(`blankFramebuffer: size must be positive integers, got ${cols}x${rows}`);
  }
  return Object.freeze({
    cols,
    rows,
    lines: Object.freeze(new Array<Row>(rows).fill(blankRow(cols))),
    cursor: DEFAULT_CURSOR,
    modes: DEFAULT_MODES,
    title: '',
    bellCount: 0,
    clipboard: undefined,
    notifications: NO_NOTIFICATIONS,
    progress: NO_PROGRESS,
    alternateScreen: false,
  });
}

const NO_NOTIFICATIONS: readonly Notification[] = Object.freeze([]);

export function cellsEqual(a: Cell, b: Cell): boolean {
  return a === b || (a.text === b.text && a.width === b.width && a.fg === b.fg && a.bg === b.bg && a.attrs === b.attrs && a.underlineColor === b.underlineColor && linksEqual(a.link, b.link));
}

export function rowsEqual(a: Row, b: Row): boolean {
  return a === b || (a.wrapped === b.wrapped && cellRowsEqual(a.cells, b.cells));
}

/** Whether two runs of cells are equal cell by cell (a row's cells, without its soft-wrap flag). */
export function cellRowsEqual(a: readonly Cell[], b: readonly Cell[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!cellsEqual(a[i]!, b[i]!)) return false;
  return true;
}

export function cursorsEqual(a: Cursor, b: Cursor): boolean {
  return a.x === b.x && a.y === b.y && a.visible === b.visible && a.style === b.style && a.blink === b.blink;
}

export function modesEqual(a: TerminalModes, b: TerminalModes): boolean {
  return (
    a.applicationCursorKeys === b.applicationCursorKeys &&
    a.applicationKeypad === b.applicationKeypad &&
    a.bracketedPaste === b.bracketedPaste &&
    a.mouseTracking === b.mouseTracking &&
    a.mouseEncoding === b.mouseEncoding &&
    a.focusReporting === b.focusReporting &&
    a.kittyKeyboardFlags === b.kittyKeyboardFlags &&
    a.modifyOtherKeys === b.modifyOtherKeys &&
    a.reverseVideo === b.reverseVideo
  );
}

function clipboardsEqual(a: ClipboardWrite | undefined, b: ClipboardWrite | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.generation === b.generation && a.selection === b.selection && a.data === b.data;
}

/** Whole-state equality: every cell, the cursor, the modes, title, bell count, clipboard, notifications, progress and screen kind. */
export function framebuffersEqual(a: Framebuffer, b: Framebuffer): boolean {
  if (a === b) return true;
  if (a.cols !== b.cols || a.rows !== b.rows) return false;
  if (!cursorsEqual(a.cursor, b.cursor) || !modesEqual(a.modes, b.modes)) return false;
  if (a.title !== b.title || a.bellCount !== b.bellCount || a.alternateScreen !== b.alternateScreen) return false;
  if (!clipboardsEqual(a.clipboard, b.clipboard)) return false;
  if (!notificationsEqual(a.notifications, b.notifications) || !progressEqual(a.progress, b.progress)) return false;
  for (let y = 0; y < a.rows; y++) if (!rowsEqual(a.lines[y]!, b.lines[y]!)) return false;
  return true;
}

/**
 * The largest screen a diff may describe, in cells per side. A decoded diff allocates up to cols × rows cells, so a
 * cap keeps a malformed or hostile diff from costing more than about a million cells (tens of MB); real terminals
 * stay well inside it (a 4K monitor at a 6 px font is about 640 columns by 270 rows).
 */
export const MAX_SCREEN_COLS = 1000;
export const MAX_SCREEN_ROWS = 1000;

/**
 * A row as plain text, as a person reads it off the screen: each cell's text, a blank for an empty cell, nothing for
 * the right half of a wide character, without trailing blanks. For tests, logs and benchmarks, not for drawing.
 */
export function rowText(row: Row): string {
  let text = '';
  for (const cell of row.cells) text += cell.width === 0 ? '' : cell.text || ' ';
  return text.trimEnd();
}

/** Every row of a screen as plain text (rowText), top to bottom. */
export function screenLines(fb: Framebuffer): string[] {
  return fb.lines.map(rowText);
}

/** Whether cols × rows is a screen the wire carries: whole numbers from 1x1 to MAX_SCREEN_COLS x MAX_SCREEN_ROWS. */
export function isScreenSize(cols: number, rows: number): boolean {
  return Number.isInteger(cols) && Number.isInteger(rows) && cols >= 1 && rows >= 1 && cols <= MAX_SCREEN_COLS && rows <= MAX_SCREEN_ROWS;
}
