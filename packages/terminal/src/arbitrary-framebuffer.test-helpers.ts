/**
 * fast-check arbitraries for Framebuffers, for any test that needs screens: codecs, renderer, prediction.
 *
 *   arbFramebuffer(size?)            a random screen (cells with colours, attributes, wide and combining characters)
 *   arbSuccessor(fb)                 a plausible next frame of `fb`: typing, scrolling (whole screen or a region, as
 *                                    tmux does above its status line), a full redraw, a resize, a clear, cursor /
 *                                    mode / title / bell / clipboard changes, or two of these. Rows not touched are
 *                                    the same Row objects, as a real snapshot shares them.
 *   arbFramebufferPair(size?)        [earlier, later] where later is a successor of earlier
 *   arbFramebufferHistory(size?, n)  n successive frames
 *   arbRow(cols), arbCell…, arbColor, arbAttrs (underline styles too), arbUnderlineColor, arbLink, arbCursor(cols, rows),
 *   arbModes, arbClipboard
 *
 * And the plain edits they are built from, for hand-written cases: writeText, scrollRegion, resizeFramebuffer,
 * replaceRow, textRow.
 *
 * Every framebuffer produced is valid: exactly `rows` rows of exactly `cols` cells, wide characters as a width-2
 * cell followed by its width-0 half of the same rendition, the cursor on the screen.
 */
import fc from 'fast-check';
import {
  BLANK_CELL,
  COLOR_DEFAULT,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  DEFAULT_MODES,
  Attr,
  UnderlineStyle,
  blankFramebuffer,
  isCanonicalAttrs,
  isUnderlineColor,
  withUnderlineStyle,
  blankRow,
  type Cell,
  type ClipboardWrite,
  type Color,
  type Cursor,
  type Framebuffer,
  type Row,
  type TerminalModes,
} from './framebuffer.js';
import type { Hyperlink } from './hyperlinks.js';
import { NOTIFICATION_CODES, NOTIFICATION_PAYLOAD_MAX, RECENT_NOTIFICATIONS_MAX, latestNotificationGeneration, type Notification, type Progress } from './notifications.js';

export interface Rendition {
  readonly fg: Color;
  readonly bg: Color;
  readonly attrs: number;
  /** The underline colour (SGR 58) of an underlined rendition; absent for the default. */
  readonly underlineColor?: Color;
  /** The OSC 8 link the cells belong to; absent for none. */
  readonly link?: Hyperlink;
}
export const DEFAULT_RENDITION: Rendition = Object.freeze({ fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 });

export interface SizeRange {
  minCols?: number;
  maxCols?: number;
  minRows?: number;
  maxRows?: number;
}
/** Small by default so shrinking finds small counterexamples; pass 80×24 for realistic sizes. */
const DEFAULT_SIZE: Required<SizeRange> = { minCols: 1, maxCols: 16, minRows: 1, maxRows: 8 };

// ---------------------------------------------------------------------------------------------------------------
// Plain edits.

/** A row from cells, padded with blanks or truncated to `cols` (a wide pair cut in half becomes a blank). */
export function rowOf(cells: readonly Cell[], cols: number, wrapped = false): Row {
  const fitted = cells.slice(0, cols);
  if (fitted.length > 0 && fitted[fitted.length - 1]!.width === 2) fitted[fitted.length - 1] = BLANK_CELL;
  while (fitted.length < cols) fitted.push(BLANK_CELL);
  return Object.freeze({ cells: Object.freeze(fitted), wrapped });
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Cells for `text`, one per grapheme (wide for CJK and emoji as these helpers use them), in one rendition. */
export function cellsOfText(text: string, rendition: Rendition = DEFAULT_RENDITION): Cell[] {
  const cells: Cell[] = [];
  for (const { segment: char } of graphemes.segment(text)) {
    const wide = isWideForTests(char);
    cells.push(Object.freeze({ text: char, width: wide ? 2 : 1, ...rendition }));
    if (wide) cells.push(Object.freeze({ text: '', width: 0, ...rendition }));
  }
  return cells;
}

/** Rough East Asian width for the graphemes these arbitraries generate (CJK, Hangul, emoji); not a width table. */
function isWideForTests(char: string): boolean {
  const cp = char.codePointAt(0)!;
  return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) || (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xff00 && cp <= 0xff60) || cp >= 0x1f300;
}

/** A row holding `text` from column 0. */
export function textRow(text: string, cols: number, rendition: Rendition = DEFAULT_RENDITION): Row {
  return rowOf(cellsOfText(text, rendition), cols);
}

export function replaceRow(fb: Framebuffer, y: number, row: Row): Framebuffer {
  const lines = fb.lines.slice();
  lines[y] = row;
  return { ...fb, lines };
}

/**
 * `text` written at (x, y) without wrapping, as a program writes a word; the cursor ends after it. A wide character
 * that would split at the right margin is dropped, and a wide pair the write overlaps is blanked, as emulators do.
 */
export function writeText(fb: Framebuffer, x: number, y: number, text: string, rendition: Rendition = DEFAULT_RENDITION): Framebuffer {
  const cells = fb.lines[y]!.cells.slice();
  let column = x;
  for (const cell of cellsOfText(text, rendition)) {
    if (column >= fb.cols) break;
    if (cell.width === 2 && column + 1 >= fb.cols) break;
    // Overwriting half of a wide pair leaves the other half as a blank.
    if (cells[column]!.width === 0 && column > 0 && column === x) cells[column - 1] = BLANK_CELL;
    if (cells[column]!.width === 2 && cell.width !== 2 && column + 1 < fb.cols) cells[column + 1] = BLANK_CELL;
    cells[column++] = cell;
  }
  if (column < fb.cols && cells[column]!.width === 0 && cells[column - 1]!.width !== 2) cells[column] = BLANK_CELL;
  const next = replaceRow(fb, y, Object.freeze({ cells: Object.freeze(cells), wrapped: fb.lines[y]!.wrapped }));
  return { ...next, cursor: { ...fb.cursor, x: Math.min(column, fb.cols - 1), y } };
}

/**
 * Rows top…bottom (inclusive) scrolled by `by` lines (positive: content moves up, as a log scrolls), the rows that
 * enter taken from `entering` (blank when absent). Rows outside the region are untouched.
 */
export function scrollRegion(fb: Framebuffer, top: number, bottom: number, by: number, entering: readonly Row[] = []): Framebuffer {
  const height = bottom - top + 1;
  const region = fb.lines.slice(top, bottom + 1);
  const shift = Math.min(Math.abs(by), height);
  const fill = (i: number): Row => entering[i] ?? blankRow(fb.cols);
  const moved =
    by >= 0
      ? [...region.slice(shift), ...Array.from({ length: shift }, (_, i) => fill(i))]
      : [...Array.from({ length: shift }, (_, i) => fill(i)), ...region.slice(0, height - shift)];
  const lines = [...fb.lines.slice(0, top), ...moved, ...fb.lines.slice(bottom + 1)];
  return { ...fb, lines };
}

/** The screen at a new size: rows truncated or padded with blanks, rows added or dropped at the bottom, cursor clamped. */
export function resizeFramebuffer(fb: Framebuffer, cols: number, rows: number): Framebuffer {
  const lines: Row[] = [];
  for (let y = 0; y < rows; y++) {
    const row = fb.lines[y];
    lines.push(row === undefined ? blankRow(cols) : cols === fb.cols ? row : rowOf(row.cells, cols, row.wrapped));
  }
  const cursor = { ...fb.cursor, x: Math.min(fb.cursor.x, cols - 1), y: Math.min(fb.cursor.y, rows - 1) };
  return { ...fb, cols, rows, lines, cursor };
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries for the parts.

export const arbColor: fc.Arbitrary<Color> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(COLOR_DEFAULT) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 15 }).map((i) => COLOR_PALETTE_16 | i) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 255 }).map((i) => COLOR_PALETTE_256 | i) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffffff }).map((rgb) => COLOR_RGB + rgb) },
);

/** Attribute bits, an underline in any of its five styles (SGR 4:1–4:5) where they hold one. */
export const arbAttrs: fc.Arbitrary<number> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: (1 << 9) - 1 }), fc.integer({ min: UnderlineStyle.Single, max: UnderlineStyle.Dashed }))
      .map(([bits, style]) => (bits & Attr.Underline ? withUnderlineStyle(bits, style as UnderlineStyle) : bits)),
  },
);

/**
 * An underline colour (SGR 58 has 256-colour and RGB forms). Not RGB white: xterm.js stores SGR 59 (default) as
 * the colour word with every bit set, which is RGB 0xffffff, so a mirror cannot tell the two apart and the snapshot
 * reads that word as the default (docs/architecture.md).
 */
export const arbUnderlineColor: fc.Arbitrary<Color> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((i) => COLOR_PALETTE_256 | i),
  fc.integer({ min: 0, max: 0xfffffe }).map((rgb) => COLOR_RGB + rgb),
);

/** A rendition of `fg`, `bg`, `attrs`, with an underline colour half the times it is underlined. */
function withUnderlineColor(rendition: Rendition & { underlineColor?: Color | undefined }): Rendition {
  const { underlineColor, ...rest } = rendition;
  return underlineColor !== undefined && rest.attrs & Attr.Underline ? { ...rest, underlineColor } : rest;
}

/**
 * Links from a small pool, so frames share links and the table's changes are exercised: ids and none, the same URI
 * with two ids, non-ASCII and a ';' in the URI; sometimes a fresh object of a pooled value (cells must compare
 * links by value), sometimes a random URL.
 */
const LINK_POOL: readonly Hyperlink[] = [
  { uri: 'https://example.com/', id: '' },
  { uri: 'https://example.com/', id: 'a1' },
  { uri: 'https://example.com/', id: 'b2' },
  { uri: 'file:///home/user/src/main.ts', id: '' },
  { uri: 'https://例え.jp/ü?q=1;x=2', id: 'x' },
  { uri: 'http://localhost:8080/a%20b', id: 'long-id-0123456789' },
].map((link) => Object.freeze(link));

export const arbLink: fc.Arbitrary<Hyperlink> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...LINK_POOL) },
  { weight: 1, arbitrary: fc.constantFrom(...LINK_POOL).map((link) => Object.freeze({ ...link })) },
  {
    weight: 1,
    arbitrary: fc.record({ uri: fc.webUrl(), id: fc.constantFrom('', 'k', 'z9') }).map((link) => Object.freeze(link)),
  },
);

export const arbRendition: fc.Arbitrary<Rendition> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(DEFAULT_RENDITION) },
  { weight: 2, arbitrary: fc.record({ fg: arbColor, bg: arbColor, attrs: arbAttrs, underlineColor: fc.option(arbUnderlineColor, { nil: undefined }) }).map(withUnderlineColor) },
  // Linked text, as a program prints it: mostly plain, sometimes coloured or underlined by the program itself.
  {
    weight: 1,
    arbitrary: fc.record({ fg: arbColor, bg: arbColor, attrs: arbAttrs, underlineColor: fc.option(arbUnderlineColor, { nil: undefined }), link: arbLink }).map(withUnderlineColor),
  },
);

/** The text of a narrow cell: mostly ASCII, some Latin and symbols, a few combining sequences and odd code points. */
export const arbNarrowText: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0x21, max: 0x7e }).map((cp) => String.fromCodePoint(cp)) },
  { weight: 3, arbitrary: fc.constant(' ') },
  { weight: 2, arbitrary: fc.constantFrom('é', 'ß', 'λ', 'Ж', '─', '│', '█', '→', '\u00a0', '\ufeff') },
  { weight: 1, arbitrary: fc.constantFrom('e\u0301', 'a\u0308\u0323', 'n\u0303', '\u{1d400}', '\u{10ffff}') },
);

/** The text of a wide cell: CJK, Hangul and emoji, including a ZWJ sequence and a flag. */
export const arbWideText: fc.Arbitrary<string> = fc.constantFrom('中', '文', '字', '한', '😀', '🚀', '👩\u200d💻', '🇫🇷', '｜');

/** One "piece" of a row: a run of narrow cells, blanks or a wide character, in one rendition. */
const arbPiece: fc.Arbitrary<Cell[]> = fc
  .tuple(
    arbRendition,
    fc.oneof(
      { weight: 5, arbitrary: fc.array(arbNarrowText, { minLength: 1, maxLength: 10 }).map((texts) => texts.map((text) => ({ text, width: 1 as const }))) },
      { weight: 2, arbitrary: fc.integer({ min: 1, max: 8 }).map((n) => Array.from({ length: n }, () => ({ text: '', width: 1 as const }))) },
      { weight: 2, arbitrary: fc.array(arbWideText, { minLength: 1, maxLength: 3 }).map((texts) => texts.flatMap((text) => [{ text, width: 2 as const }, { text: '', width: 0 as const }])) },
    ),
  )
  .map(([rendition, cells]) => cells.map((cell) => Object.freeze({ ...cell, ...rendition })));

export function arbRow(cols: number): fc.Arbitrary<Row> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.constant(blankRow(cols)) },
    {
      weight: 6,
      arbitrary: fc
        .tuple(fc.array(arbPiece, { maxLength: Math.max(1, Math.ceil(cols / 3)) }), fc.boolean())
        .map(([pieces, wrapped]) => rowOf(pieces.flat(), cols, wrapped)),
    },
  );
}

export function arbCursor(cols: number, rows: number): fc.Arbitrary<Cursor> {
  return fc.record({
    x: fc.integer({ min: 0, max: cols - 1 }),
    y: fc.integer({ min: 0, max: rows - 1 }),
    visible: fc.boolean(),
    style: fc.constantFrom('block', 'underline', 'bar'),
    blink: fc.boolean(),
  });
}

export const arbModes: fc.Arbitrary<TerminalModes> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(DEFAULT_MODES) },
  {
    weight: 3,
    arbitrary: fc.record({
      applicationCursorKeys: fc.boolean(),
      applicationKeypad: fc.boolean(),
      bracketedPaste: fc.boolean(),
      mouseTracking: fc.constantFrom('none', 'x10', 'vt200', 'drag', 'any'),
      mouseEncoding: fc.constantFrom('default', 'utf8', 'sgr', 'urxvt', 'sgr-pixels'),
      focusReporting: fc.boolean(),
      kittyKeyboardFlags: fc.integer({ min: 0, max: 31 }),
      modifyOtherKeys: fc.constantFrom(0, 1, 2),
      reverseVideo: fc.boolean(),
    }),
  },
);

/** Up to RECENT_NOTIFICATIONS_MAX notifications numbered after `after`, with deliverable payloads (any printable text). */
export function arbNotifications(after: number): fc.Arbitrary<readonly Notification[]> {
  const payload = fc.string({ unit: 'grapheme', maxLength: 40 }).map((text) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '').slice(0, NOTIFICATION_PAYLOAD_MAX));
  return fc
    .array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.constantFrom(...NOTIFICATION_CODES), payload), { maxLength: RECENT_NOTIFICATIONS_MAX })
    .map((items) => {
      let generation = after;
      return items.map(([gap, code, text]) => ({ generation: (generation += gap), code, payload: text }));
    });
}

export const arbProgress: fc.Arbitrary<Progress> = fc.record({ state: fc.constantFrom(0, 1, 2, 3, 4), value: fc.integer({ min: 0, max: 100 }) });

export const arbClipboard: fc.Arbitrary<ClipboardWrite | undefined> = fc.option(
  fc.record({
    generation: fc.nat(),
    selection: fc.constantFrom('', 'c', 'p', 'cs'),
    data: fc.base64String({ maxLength: 64 }),
  }),
  { nil: undefined },
);

/** A title: printable text of any script, including astral characters (well-formed UTF-16 only, as xterm.js keeps). */
export const arbTitle: fc.Arbitrary<string> = fc.oneof(
  { weight: 2, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: fc.string({ unit: 'grapheme', maxLength: 20 }) },
);

function arbSize(size: SizeRange = {}): fc.Arbitrary<{ cols: number; rows: number }> {
  const s = { ...DEFAULT_SIZE, ...size };
  return fc.record({ cols: fc.integer({ min: s.minCols, max: s.maxCols }), rows: fc.integer({ min: s.minRows, max: s.maxRows }) });
}

function arbRows(cols: number, rows: number): fc.Arbitrary<Row[]> {
  return fc.array(arbRow(cols), { minLength: rows, maxLength: rows });
}

/** A framebuffer of the given size with random contents and metadata. */
export function arbFramebufferOfSize(cols: number, rows: number): fc.Arbitrary<Framebuffer> {
  return fc
    .record({
      lines: arbRows(cols, rows),
      cursor: arbCursor(cols, rows),
      modes: arbModes,
      title: arbTitle,
      bellCount: fc.nat({ max: 1000 }),
      clipboard: arbClipboard,
      notifications: arbNotifications(0),
      progress: arbProgress,
      alternateScreen: fc.boolean(),
    })
    .map((parts) => ({ ...blankFramebuffer(cols, rows), ...parts }));
}

export function arbFramebuffer(size: SizeRange = {}): fc.Arbitrary<Framebuffer> {
  return arbSize(size).chain(({ cols, rows }) => arbFramebufferOfSize(cols, rows));
}

// ---------------------------------------------------------------------------------------------------------------
// Plausible successive frames.

/** Kinds of edit `arbEdit` makes, for tests that want one kind (e.g. only scrolls). */
export type EditKind = 'type' | 'cells' | 'scroll' | 'redraw' | 'resize' | 'clear' | 'meta';
export const EDIT_KINDS: readonly EditKind[] = ['type', 'cells', 'scroll', 'redraw', 'resize', 'clear', 'meta'];

/** One plausible edit of `fb` of the given kind. */
export function arbEditOfKind(fb: Framebuffer, kind: EditKind, size: SizeRange = {}): fc.Arbitrary<Framebuffer> {
  const { cols, rows } = fb;
  switch (kind) {
    case 'type': // a program echoing typed text at the cursor
      return fc
        .tuple(fc.array(arbNarrowText, { minLength: 1, maxLength: 6 }), arbRendition)
        .map(([texts, rendition]) => writeText(fb, fb.cursor.x, fb.cursor.y, texts.join(''), rendition));
    case 'cells': // a few scattered updates (a clock, a progress bar, htop)
      return fc
        .array(fc.tuple(fc.integer({ min: 0, max: cols - 1 }), fc.integer({ min: 0, max: rows - 1 }), fc.oneof(arbNarrowText, arbWideText), arbRendition), {
          minLength: 1,
          maxLength: 4,
        })
        .map((writes) => writes.reduce((screen, [x, y, text, rendition]) => ({ ...writeText(screen, x, y, text, rendition), cursor: screen.cursor }), fb));
    case 'scroll': // a log scrolling, whole screen or a region (tmux above its status line, vim's split)
      return fc
        .tuple(fc.integer({ min: 0, max: rows - 1 }), fc.integer({ min: 0, max: rows - 1 }), fc.integer({ min: 1, max: 3 }), fc.boolean(), arbRows(cols, 3))
        .map(([a, b, by, up, entering]) => scrollRegion(fb, Math.min(a, b), Math.max(a, b), up ? by : -by, entering));
    case 'redraw': // a full-screen program repainting everything (vim opening a file)
      return arbRows(cols, rows).map((lines) => ({ ...fb, lines }));
    case 'resize':
      return arbSize(size).map((s) => resizeFramebuffer(fb, s.cols, s.rows));
    case 'clear':
      return fc.constant({ ...fb, lines: new Array<Row>(rows).fill(blankRow(cols)), cursor: { ...fb.cursor, x: 0, y: 0 } });
    case 'meta':
      return fc
        .record(
          {
            cursor: arbCursor(cols, rows),
            modes: arbModes,
            title: arbTitle,
            bellCount: fc.constant(fb.bellCount + 1),
            clipboard: arbClipboard,
            notifications: arbNotifications(latestNotificationGeneration(fb.notifications)),
            progress: arbProgress,
            alternateScreen: fc.boolean(),
          },
          { requiredKeys: [] },
        )
        .map((changes) => ({ ...fb, ...changes }));
  }
}

/** One plausible edit of `fb`, of any kind. */
export function arbEdit(fb: Framebuffer, size: SizeRange = {}): fc.Arbitrary<Framebuffer> {
  return fc.constantFrom(...EDIT_KINDS).chain((kind) => arbEditOfKind(fb, kind, size));
}

/** A plausible next frame: one edit, sometimes two (a scroll and a new prompt, a resize and a redraw). */
export function arbSuccessor(fb: Framebuffer, size: SizeRange = {}): fc.Arbitrary<Framebuffer> {
  return arbEdit(fb, size).chain((next) => fc.oneof({ weight: 3, arbitrary: fc.constant(next) }, { weight: 1, arbitrary: arbEdit(next, size) }));
}

/** [earlier, later]: a random screen and a plausible successor. */
export function arbFramebufferPair(size: SizeRange = {}): fc.Arbitrary<[Framebuffer, Framebuffer]> {
  return arbFramebuffer(size).chain((fb) => arbSuccessor(fb, size).map((next): [Framebuffer, Framebuffer] => [fb, next]));
}

/** `length` successive frames, the first random. */
export function arbFramebufferHistory(size: SizeRange = {}, length = 5): fc.Arbitrary<Framebuffer[]> {
  const grow = (frames: Framebuffer[]): fc.Arbitrary<Framebuffer[]> =>
    frames.length >= length ? fc.constant(frames) : arbSuccessor(frames[frames.length - 1]!, size).chain((next) => grow([...frames, next]));
  return arbFramebuffer(size).chain((first) => grow([first]));
}

/**
 * Throws an Error naming the first structural fault of `fb`: row count, row widths, wide pairs, cursor, types.
 * For tests of anything that builds framebuffers (decoders, the headless mirror).
 */
export function assertWellFormedFramebuffer(fb: Framebuffer): void {
  const fail = (what: string): never => {
    throw new Error(`framebuffer ${fb.cols}x${fb.rows} is malformed: ${what}`);
  };
  if (!Number.isInteger(fb.cols) || !Number.isInteger(fb.rows) || fb.cols < 1 || fb.rows < 1) fail('size is not positive integers');
  if (fb.lines.length !== fb.rows) fail(`${fb.lines.length} lines`);
  fb.lines.forEach((row, y) => {
    if (row.cells.length !== fb.cols) fail(`row ${y} has ${row.cells.length} cells`);
    if (typeof row.wrapped !== 'boolean') fail(`row ${y} wrapped is not a boolean`);
    row.cells.forEach((cell, x) => {
      if (typeof cell.text !== 'string' || ![0, 1, 2].includes(cell.width)) fail(`cell (${x}, ${y}) has text ${JSON.stringify(cell.text)} width ${cell.width}`);
      if (!Number.isInteger(cell.fg) || !Number.isInteger(cell.bg) || !Number.isInteger(cell.attrs)) fail(`cell (${x}, ${y}) rendition is not integers`);
      if (!isCanonicalAttrs(cell.attrs)) fail(`cell (${x}, ${y}) attrs 0x${cell.attrs.toString(16)} are not canonical`);
      if ('underlineColor' in cell && (!(cell.attrs & Attr.Underline) || !isUnderlineColor(cell.underlineColor))) fail(`cell (${x}, ${y}) underline colour ${String(cell.underlineColor)} is invalid`);
    });
  });
  if (fb.cursor.x < 0 || fb.cursor.x > fb.cols || fb.cursor.y < 0 || fb.cursor.y >= fb.rows) fail(`cursor at (${fb.cursor.x}, ${fb.cursor.y})`);
}

