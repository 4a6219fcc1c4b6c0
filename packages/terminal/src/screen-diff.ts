/**
 * The screen diff codec: compact, versioned bytes that turn one Framebuffer (plus echo ack) into another.
 *
 * Layout (all integers unsigned LEB128 varints unless marked u8; strings are a varint byte length + UTF-8):
 *
 *   diff        = ''                                   (the states are equal)
 *               | u8 version(=3)  varint fields  [field…]  [row ops]
 *   fields bit  0 size (cols, rows)       1 cursor (x, y, u8 visible|style<<1|blink<<3)
 *               2 modes (u8 bool flags, u8 mouse tracking, u8 mouse encoding, u8 modifyOtherKeys, kitty flags)
 *               3 title (string)          4 bell count           5 clipboard (u8 present [generation, selection, data])
 *               6 alternate screen (u8)   7 echo ack             8 rows: row ops follow, filling every new row in order
 *               9 session ending (u8 kind: 0 none | 1 command exited: varint exit code, string signal name ('' = none)
 *                 | 2 taken over: string where the new client came from | 3 ended by the server: string reason)
 *               10 notifications (varint count ≤ 4, then each: varint generation (increasing), varint code 9|777|99,
 *                 string payload)      11 progress (u8 state 0–4, u8 value 0–100)
 *               12 scrollback log (scrollback-log.ts: lines that left the top of the screen)
 *               14 answered cursor (u8 present: 0 none | 1 then varint echo ack − upTo, varint x, varint y): the
 *                 cursor of the screen that answered the input up to `upTo` when this state carries that
 *                 acknowledgement later than that screen (AnsweredCursor); since version 6
 *               13 links: how the screen's link table (hyperlinks.ts: its distinct OSC 8 links, sorted by URI then
 *                 id) changed: varint removed count, removed base indices (the first, then each as the gap minus one
 *                 from the one before), varint added count, added links (string URI, string id ('' = none)) in
 *                 table order. The new table is the kept base entries and the added ones, sorted; it may hold at
 *                 most MAX_SCREEN_LINKS links and MAX_SCREEN_LINK_BYTES bytes, each link valid by linkProblem.
 *               (only fields that changed are sent, in bit order, except 13, which comes right before 8 because the
 *               rows refer to the new table; an absent field keeps the base's value)
 *   row op      = u8 kind | wrapped<<3, then
 *               KEEP  count              rows y… taken from the base at the same index (same Row objects)
 *               MOVE  count src          rows y… taken from base rows src…  (a scroll of any region costs ~4 bytes)
 *               BLANK count              blank rows
 *               FULL  cells(cols)        a whole row
 *               PATCH start len cells(len)        base row y, fitted to the new width, with cells start… replaced
 *               PATCH_FROM src start len cells(len)   the same on base row src (a line that moved and changed)
 *   cells       = segments until the cell count is reached; a segment is
 *                 varint count<<5 | fgChanged<<4 | bgChanged<<3 | attrsChanged<<2 | kind, [fg] [bg] [attrs], payload
 *                 (the rendition carries over from the previous segment of the row, starting at the default; a colour
 *                 is value<<2 | mode, mode 0 default, 1 palette 16, 2 palette 256, 3 RGB; attrs is the attribute
 *                 bits (Attr, the underline style in bits 9–11: framebuffer.ts) + 4096 × underline colour present
 *                 + 8192 × link, link 0 for none or 1 + the link's index in the new table, followed by the underline
 *                 colour (a colour, mode 2 or 3, only on an underlined rendition) when present; before version 5
 *                 attrs was the bits 0–8 + 512 × link), kind:
 *               EMPTY  count cells of text '' width 1: no payload
 *               NARROW count cells of width 1 holding one code point each: string of exactly count code points
 *               WIDE   count pairs (a width-2 cell with one code point, then its width-0 '' half): string
 *               ANY    count cells, each varint utf8Length<<2 | width, then the UTF-8 text
 *
 * Decoding validates every field and throws RangeError naming what was wrong and where; nothing else escapes.
 */
import { ByteReader, ByteWriter } from '@tsmosh/protocol';
import {
  ATTR_ALL,
  Attr,
  BLANK_CELL,
  COLOR_DEFAULT,
  COLOR_MODE_MASK,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_VALUE_MASK,
  MAX_SCREEN_COLS,
  MAX_SCREEN_ROWS,
  isScreenSize,
  isCanonicalAttrs,
  isUnderlineColor,
  blankRow,
  cellsEqual,
  cursorsEqual,
  modesEqual,
  rowsEqual,
  type Cell,
  type ClipboardWrite,
  type Color,
  type Cursor,
  type CursorStyle,
  type Framebuffer,
  type MouseEncoding,
  type MouseTracking,
  type Row,
  type TerminalModes,
} from './framebuffer.js';
import {
  MAX_SCREEN_LINKS,
  MAX_SCREEN_LINK_BYTES,
  compareLinks,
  linkBytes,
  linkProblem,
  linksEqual,
  screenLinkTable,
  type Hyperlink,
} from './hyperlinks.js';
import {
  NOTIFICATION_CODES,
  RECENT_NOTIFICATIONS_MAX,
  isDeliverablePayload,
  notificationsEqual,
  progressEqual,
  type Notification,
  type NotificationCode,
  type Progress,
} from './notifications.js';
import { erasedCell } from './cell-sanitizer.js';
import { pensEqual } from './sgr.js';

/**
 * Bumped to 2 when the scrollback field (12) gained the screen top and the resize shift, to 3 when cells gained
 * their OSC 8 link (field 13 and the link part of a segment's attrs), to 4 when the screen top became signed (it
 * may lie beyond the lines a state offers: scrollback-log.ts), to 5 when cells gained the underline style and
 * colour (a segment's attrs: the style bits, the colour flag and the colour after it), to 6 when an echo
 * acknowledgement carried on a later screen gained the cursor of the screen that answered (field 14); PROTOCOL_VERSION
 * gathers it.
 */
export const SCREEN_DIFF_VERSION = 6;

/** The version from which field 14 (the answered cursor of a carried echo acknowledgement) may be set. */
const ANSWERED_CURSOR_SINCE_VERSION = 6;

/** The version from which a segment's attrs carry the underline style and colour (UNDERLINE_COLOR_FLAG). */
const UNDERLINE_SINCE_VERSION = 5;

/**
 * The oldest version this build still reads: 3 differs from 4 only in the screen top's sign and 4 from 5 only in a
 * segment's attrs layout, which readers handle, so screens saved on disk by the previous release (saved-screen.ts)
 * are not lost to an upgrade.
 */
export const OLDEST_READABLE_SCREEN_DIFF_VERSION = 3;

/** Whether this build reads a screen diff of `version` (the wire's, and a saved screen's header). */
export function readsScreenDiffVersion(version: number): boolean {
  return version >= OLDEST_READABLE_SCREEN_DIFF_VERSION && version <= SCREEN_DIFF_VERSION;
}

// The byte codec lives in @tsmosh/protocol (byte-codec.ts); re-exported for the terminal's other codecs.
export { ByteReader, ByteWriter };
const utf8Encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------------------------
// Field flags, row op kinds, segment kinds.

const enum Field {
  Size = 1 << 0,
  Cursor = 1 << 1,
  Modes = 1 << 2,
  Title = 1 << 3,
  Bell = 1 << 4,
  Clipboard = 1 << 5,
  AlternateScreen = 1 << 6,
  EchoAck = 1 << 7,
  Rows = 1 << 8,
  Ending = 1 << 9,
  Notifications = 1 << 10,
  Progress = 1 << 11,
  Scrollback = 1 << 12,
  Links = 1 << 13,
  AnsweredCursor = 1 << 14,
}
const FIELD_ALL = (1 << 15) - 1;

/** A segment's attrs on the wire: this flag says an underline colour follows the attrs varint. */
const UNDERLINE_COLOR_FLAG = ATTR_ALL + 1;
/** A segment's attrs on the wire: the attribute bits and flag plus this many times the link number (0 none, 1 + index). */
const LINK_SLOT_UNIT = UNDERLINE_COLOR_FLAG * 2;
/** Before UNDERLINE_SINCE_VERSION: attribute bits 0–8, then the link number. */
const LEGACY_ATTR_ALL = (1 << 9) - 1;
const LEGACY_LINK_SLOT_UNIT = LEGACY_ATTR_ALL + 1;
const NO_TABLE: readonly Hyperlink[] = Object.freeze([]);

/**
 * Field 12 belongs to the scrollback log (scrollback-log.ts), which the screen diff carries without knowing its
 * shape: the encoder asks `write` for the field's bytes (false: the log did not change), and the decoder hands the
 * reader to `read` when the bit is set.
 */
export interface ScrollbackField {
  write(out: ByteWriter): boolean;
}
export interface ScrollbackFieldReader {
  /** `diffVersion`: the version of the diff being read (OLDEST_READABLE_SCREEN_DIFF_VERSION..SCREEN_DIFF_VERSION). */
  read(reader: ByteReader, diffVersion: number): void;
}

/**
 * Why the session is over, sent in the server's final state (ahead of the transport shutdown) so the client can say
 * so in one line instead of a bare "the remote command exited". Absent while the session runs.
 */
export type SessionEnding =
  /** The program exited: its exit code, and the signal that killed it (a name such as "SIGKILL"), if any. */
  | { readonly kind: 'command-exited'; readonly exitCode: number; readonly signal: string | undefined }
  /** Another client attached with a fresh key; `by` says where it came from (an address, for a person). */
  | { readonly kind: 'taken-over'; readonly by: string }
  /** The server ended the session: `reason` is a short phrase ("killed with tsmosh-server kill", …). */
  | { readonly kind: 'ended'; readonly reason: string };

const enum EndingKind {
  None = 0,
  CommandExited = 1,
  TakenOver = 2,
  Ended = 3,
}

export function sessionEndingsEqual(a: SessionEnding | undefined, b: SessionEnding | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.kind !== b.kind) return false;
  switch (a.kind) {
    case 'command-exited':
      return a.exitCode === (b as typeof a).exitCode && a.signal === (b as typeof a).signal;
    case 'taken-over':
      return a.by === (b as typeof a).by;
    case 'ended':
      return a.reason === (b as typeof a).reason;
  }
}

const enum Op {
  Keep = 0,
  Move = 1,
  Blank = 2,
  Full = 3,
  Patch = 4,
  PatchFrom = 5,
}
const OP_KIND_MASK = 0x7;
const OP_WRAPPED = 0x8;

const enum Segment {
  Empty = 0,
  Narrow = 1,
  Wide = 2,
  Any = 3,
}
const SEGMENT_FG = 1 << 4;
const SEGMENT_BG = 1 << 3;
const SEGMENT_ATTRS = 1 << 2;
const SEGMENT_COUNT_SHIFT = 5;

const CURSOR_STYLES: readonly CursorStyle[] = ['block', 'underline', 'bar'];
const MOUSE_TRACKING: readonly MouseTracking[] = ['none', 'x10', 'vt200', 'drag', 'any'];
const MOUSE_ENCODING: readonly MouseEncoding[] = ['default', 'utf8', 'sgr', 'urxvt', 'sgr-pixels'];
/** The kitty keyboard protocol defines five flag bits (disambiguate … report associated text). */
const KITTY_FLAGS_MAX = 31;

/**
 * How many base rows with the same content as a new row the scroll search examines. Bounded so a screen of many
 * identical lines (vim's `~` column) cannot make encoding quadratic; a real scroll is found at the first candidate.
 */
const MOVE_CANDIDATES_MAX = 16;

// ---------------------------------------------------------------------------------------------------------------
// Encoding.

/**
 * The bytes that turn (`base`, `baseEchoAck`, `baseEnding`) into (`next`, `nextEchoAck`, `nextEnding`); empty when
 * nothing differs.
 */
export function encodeScreenDiff(
  base: Framebuffer,
  baseEchoAck: number,
  next: Framebuffer,
  nextEchoAck: number,
  baseEnding?: SessionEnding,
  nextEnding?: SessionEnding,
  scrollback?: ScrollbackField,
  answered?: { readonly base: AnsweredCursor | undefined; readonly next: AnsweredCursor | undefined },
): Uint8Array {
  checkEncodable(next);
  if (nextEnding?.kind === 'command-exited' && !(Number.isSafeInteger(nextEnding.exitCode) && nextEnding.exitCode >= 0)) {
    throw new RangeError(`encodeScreenDiff: exit code ${nextEnding.exitCode} cannot be sent: it must be a non-negative integer`);
  }
  const out = new ByteWriter();
  let fields = 0;
  const sizeChanged = base.cols !== next.cols || base.rows !== next.rows;
  if (sizeChanged) fields |= Field.Size;
  if (!cursorsEqual(base.cursor, next.cursor)) fields |= Field.Cursor;
  if (!modesEqual(base.modes, next.modes)) fields |= Field.Modes;
  if (base.title !== next.title) fields |= Field.Title;
  if (base.bellCount !== next.bellCount) fields |= Field.Bell;
  if (!clipboardsEqual(base.clipboard, next.clipboard)) fields |= Field.Clipboard;
  if (base.alternateScreen !== next.alternateScreen) fields |= Field.AlternateScreen;
  if (baseEchoAck !== nextEchoAck) fields |= Field.EchoAck;
  const nextAnswered = answered?.next;
  if (nextAnswered !== undefined && !(nextAnswered.upTo <= nextEchoAck && Number.isSafeInteger(nextAnswered.upTo) && nextAnswered.upTo >= 0)) {
    throw new RangeError(`encodeScreenDiff: the answered cursor's input position ${nextAnswered.upTo} must lie within the echo ack ${nextEchoAck}`);
  }
  if (!answeredCursorsEqual(answered?.base, nextAnswered)) fields |= Field.AnsweredCursor;
  if (!sessionEndingsEqual(baseEnding, nextEnding)) fields |= Field.Ending;
  if (!notificationsEqual(base.notifications, next.notifications)) fields |= Field.Notifications;
  if (!progressEqual(base.progress, next.progress)) fields |= Field.Progress;
  const scrollbackBytes = new ByteWriter();
  if (scrollback?.write(scrollbackBytes) === true) fields |= Field.Scrollback;
  const rows = new ByteWriter();
  const links = new ByteWriter();
  if (sizeChanged || base.lines !== next.lines) {
    const nextTable = screenLinkTable(next.lines);
    checkLinkTable(next, nextTable);
    if (encodeLinkTableChange(screenLinkTable(base.lines), nextTable, links)) fields |= Field.Links;
    if (encodeRows(base, next, rows, linkSlots(nextTable))) fields |= Field.Rows;
  }
  if (fields === 0) return new Uint8Array(0);

  out.u8(SCREEN_DIFF_VERSION);
  out.varint(fields);
  if (fields & Field.Size) {
    out.varint(next.cols);
    out.varint(next.rows);
  }
  if (fields & Field.Cursor) {
    const c = next.cursor;
    out.varint(c.x);
    out.varint(c.y);
    out.u8((c.visible ? 1 : 0) | (CURSOR_STYLES.indexOf(c.style) << 1) | ((c.blink ? 1 : 0) << 3));
  }
  if (fields & Field.Modes) {
    const m = next.modes;
    out.u8(
      (m.applicationCursorKeys ? 1 : 0) |
        ((m.applicationKeypad ? 1 : 0) << 1) |
        ((m.bracketedPaste ? 1 : 0) << 2) |
        ((m.focusReporting ? 1 : 0) << 3) |
        ((m.reverseVideo ? 1 : 0) << 4),
    );
    out.u8(MOUSE_TRACKING.indexOf(m.mouseTracking));
    out.u8(MOUSE_ENCODING.indexOf(m.mouseEncoding));
    out.u8(m.modifyOtherKeys);
    out.varint(m.kittyKeyboardFlags);
  }
  if (fields & Field.Title) out.string(next.title);
  if (fields & Field.Bell) out.varint(next.bellCount);
  if (fields & Field.Clipboard) {
    const clip = next.clipboard;
    if (clip === undefined) out.u8(0);
    else {
      out.u8(1);
      out.varint(clip.generation);
      out.string(clip.selection);
      out.string(clip.data);
    }
  }
  if (fields & Field.AlternateScreen) out.u8(next.alternateScreen ? 1 : 0);
  if (fields & Field.EchoAck) out.varint(nextEchoAck);
  // The link table before the rows, which refer to it.
  if (fields & Field.Links) out.append(links);
  if (fields & Field.Rows) out.append(rows);
  if (fields & Field.Ending) encodeEnding(out, nextEnding);
  if (fields & Field.Notifications) {
    out.varint(next.notifications.length);
    for (const notification of next.notifications) {
      out.varint(notification.generation);
      out.varint(notification.code);
      out.string(notification.payload);
    }
  }
  if (fields & Field.Progress) {
    out.u8(next.progress.state);
    out.u8(next.progress.value);
  }
  if (fields & Field.Scrollback) out.append(scrollbackBytes);
  if (fields & Field.AnsweredCursor) {
    if (nextAnswered === undefined) out.u8(0);
    else {
      out.u8(1);
      out.varint(nextEchoAck - nextAnswered.upTo);
      out.varint(nextAnswered.x);
      out.varint(nextAnswered.y);
    }
  }
  return out.finish();
}

/**
 * Where the cursor stood on the screen that answered the input up to `upTo` (an input-stream position, at most the
 * state's echo ack), set when a state carries that acknowledgement later than that screen: the daemon holds an Enter's
 * acknowledgement for the answer frame that follows (the command's output, the prompt) instead of sending it in a frame
 * of its own. The client judges the cursor guesses the acknowledgement newly covers against this cursor, as it would
 * have against the screen it was decided on (prediction.ts). An Enter's guesses are cursor guesses only.
 */
export interface AnsweredCursor {
  readonly upTo: number;
  readonly x: number;
  readonly y: number;
}

export function answeredCursorsEqual(a: AnsweredCursor | undefined, b: AnsweredCursor | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.upTo === b.upTo && a.x === b.x && a.y === b.y);
}

function encodeEnding(out: ByteWriter, ending: SessionEnding | undefined): void {
  if (ending === undefined) {
    out.u8(EndingKind.None);
    return;
  }
  switch (ending.kind) {
    case 'command-exited':
      out.u8(EndingKind.CommandExited);
      out.varint(ending.exitCode);
      out.string(ending.signal ?? '');
      return;
    case 'taken-over':
      out.u8(EndingKind.TakenOver);
      out.string(ending.by);
      return;
    case 'ended':
      out.u8(EndingKind.Ended);
      out.string(ending.reason);
      return;
  }
}

function decodeEnding(reader: ByteReader): SessionEnding | undefined {
  const kind = reader.u8('session ending kind');
  switch (kind) {
    case EndingKind.None:
      return undefined;
    case EndingKind.CommandExited: {
      const exitCode = reader.varint('exit code');
      const signal = reader.string('signal name');
      return Object.freeze({ kind: 'command-exited', exitCode, signal: signal === '' ? undefined : signal });
    }
    case EndingKind.TakenOver:
      return Object.freeze({ kind: 'taken-over', by: reader.string('taken over by') });
    case EndingKind.Ended:
      return Object.freeze({ kind: 'ended', reason: reader.string('ending reason') });
    default:
      return reader.fail(`session ending kind ${kind} is unknown`);
  }
}

/**
 * Refuses, with a RangeError naming the field, a framebuffer the decoder would reject: better a loud failure where
 * the bad snapshot was made than a peer that drops every diff. Cells are not checked here (that would cost a pass
 * over every cell per frame); the decoder checks them.
 */
function checkEncodable(fb: Framebuffer): void {
  const fail = (problem: string): never => {
    throw new RangeError(`encodeScreenDiff: the ${fb.cols}x${fb.rows} framebuffer cannot be sent: ${problem}; fix the snapshot that built it`);
  };
  if (!isScreenSize(fb.cols, fb.rows)) {
    fail(`the size is outside 1x1 to ${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS}`);
  }
  if (fb.lines.length !== fb.rows) fail(`it has ${fb.lines.length} lines`);
  const { x, y, style } = fb.cursor;
  if (!Number.isInteger(x) || !Number.isInteger(y) || x < 0 || y < 0 || x > fb.cols || y >= fb.rows) fail(`the cursor (${x}, ${y}) is off the screen`);
  if (!CURSOR_STYLES.includes(style)) fail(`cursor style ${String(style)} is unknown`);
  const m = fb.modes;
  if (!MOUSE_TRACKING.includes(m.mouseTracking) || !MOUSE_ENCODING.includes(m.mouseEncoding)) fail(`mouse mode ${m.mouseTracking}/${m.mouseEncoding} is unknown`);
  if (!Number.isInteger(m.kittyKeyboardFlags) || m.kittyKeyboardFlags < 0 || m.kittyKeyboardFlags > KITTY_FLAGS_MAX) fail(`kitty keyboard flags ${m.kittyKeyboardFlags} exceed ${KITTY_FLAGS_MAX}`);
  if (m.modifyOtherKeys !== 0 && m.modifyOtherKeys !== 1 && m.modifyOtherKeys !== 2) fail(`modifyOtherKeys ${String(m.modifyOtherKeys)} is not 0, 1 or 2`);
  if (!Number.isSafeInteger(fb.bellCount) || fb.bellCount < 0) fail(`bell count ${fb.bellCount} is not a non-negative integer`);
  if (fb.clipboard !== undefined && (!Number.isSafeInteger(fb.clipboard.generation) || fb.clipboard.generation < 0)) fail(`clipboard generation ${fb.clipboard.generation} is not a non-negative integer`);
  if (fb.notifications.length > RECENT_NOTIFICATIONS_MAX) fail(`it carries ${fb.notifications.length} notifications`);
  let previous = 0;
  for (const n of fb.notifications) {
    if (!Number.isSafeInteger(n.generation) || n.generation <= previous) fail(`notification generation ${n.generation} does not follow ${previous}`);
    if (!NOTIFICATION_CODES.includes(n.code) || !isDeliverablePayload(n.payload)) fail(`notification ${n.generation} cannot be delivered`);
    previous = n.generation;
  }
  const { state, value } = fb.progress;
  if (![0, 1, 2, 3, 4].includes(state) || !Number.isInteger(value) || value < 0 || value > 100) fail(`progress ${state};${value} is out of range`);
}

function clipboardsEqual(a: ClipboardWrite | undefined, b: ClipboardWrite | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.generation === b.generation && a.selection === b.selection && a.data === b.data;
}

const checkedTables = new WeakSet<readonly Hyperlink[]>();

/** Refuses (RangeError, like checkEncodable) a link table the decoder would reject. Each table is checked once. */
function checkLinkTable(fb: Framebuffer, table: readonly Hyperlink[]): void {
  if (table.length === 0 || checkedTables.has(table)) return;
  const fail = (problem: string): never => {
    throw new RangeError(`encodeScreenDiff: the ${fb.cols}x${fb.rows} framebuffer cannot be sent: ${problem}; fix the snapshot that built it (capScreenLinks, hyperlink())`);
  };
  if (table.length > MAX_SCREEN_LINKS) fail(`it holds ${table.length} distinct links, more than ${MAX_SCREEN_LINKS}`);
  let bytes = 0;
  for (const link of table) {
    const problem = linkProblem(link.uri, link.id);
    if (problem !== undefined) fail(`a link cannot be sent: ${problem}`);
    bytes += linkBytes(link);
  }
  if (bytes > MAX_SCREEN_LINK_BYTES) fail(`its links take ${bytes} bytes, more than ${MAX_SCREEN_LINK_BYTES}`);
  checkedTables.add(table);
}

/** Writes how `base` became `next` (both sorted tables); false when they hold the same links. */
function encodeLinkTableChange(base: readonly Hyperlink[], next: readonly Hyperlink[], out: ByteWriter): boolean {
  if (base === next || (base.length === 0 && next.length === 0)) return false;
  const removed: number[] = [];
  const added: Hyperlink[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < next.length) {
    const order = i >= base.length ? 1 : j >= next.length ? -1 : compareLinks(base[i]!, next[j]!);
    if (order === 0) {
      i++;
      j++;
    } else if (order < 0) removed.push(i++);
    else added.push(next[j++]!);
  }
  if (removed.length === 0 && added.length === 0) return false;
  out.varint(removed.length);
  let previous = -1;
  for (const index of removed) {
    out.varint(index - previous - 1);
    previous = index;
  }
  out.varint(added.length);
  for (const link of added) {
    out.string(link.uri);
    out.string(link.id);
  }
  return true;
}

/**
 * The new table from the base's and a field 13, validated: RangeError naming what was wrong. `removals` 0 reads a
 * whole table (encodeLinkTable): no removal count, only the added links.
 */
function decodeLinkTableChange(reader: ByteReader, base: readonly Hyperlink[], removals: 0 | 1 = 1): readonly Hyperlink[] {
  const removedCount = removals === 0 ? 0 : reader.varint('removed link count', base.length);
  const removed = new Set<number>();
  let previous = -1;
  for (let n = 0; n < removedCount; n++) {
    const index = previous + 1 + reader.varint('removed link index gap', base.length);
    if (index >= base.length) reader.fail(`removed link ${index} is not in the base's table of ${base.length} links`);
    removed.add(index);
    previous = index;
  }
  const addedCount = reader.varint('added link count', MAX_SCREEN_LINKS);
  const added: Hyperlink[] = [];
  for (let n = 0; n < addedCount; n++) {
    const uri = reader.string('link URI');
    const id = reader.string('link id');
    const problem = linkProblem(uri, id);
    if (problem !== undefined) reader.fail(`added link ${n} is invalid: ${problem}`);
    const link: Hyperlink = Object.freeze({ uri, id });
    if (n > 0 && compareLinks(added[n - 1]!, link) >= 0) reader.fail(`added link ${n} is not after the one before it in table order`);
    added.push(link);
  }
  const table: Hyperlink[] = [];
  let i = 0;
  let j = 0;
  while (i < base.length || j < added.length) {
    if (i < base.length && removed.has(i)) {
      i++;
      continue;
    }
    const order = i >= base.length ? 1 : j >= added.length ? -1 : compareLinks(base[i]!, added[j]!);
    if (order === 0) reader.fail(`added link ${j} is already in the table`);
    table.push(order < 0 ? base[i++]! : added[j++]!);
  }
  if (table.length > MAX_SCREEN_LINKS) reader.fail(`the link table holds ${table.length} links, more than ${MAX_SCREEN_LINKS}`);
  let bytes = 0;
  for (const link of table) bytes += linkBytes(link);
  if (bytes > MAX_SCREEN_LINK_BYTES) reader.fail(`the link table takes ${bytes} bytes, more than ${MAX_SCREEN_LINK_BYTES}`);
  return Object.freeze(table);
}

/**
 * A whole link table (for one scrollback line): varint count, then each link's URI and id, in table order. Links
 * past the screen's bounds are the caller's to drop first (capScreenLinks).
 */
export function encodeLinkTable(table: readonly Hyperlink[], out: ByteWriter): void {
  out.varint(table.length);
  for (const link of table) {
    out.string(link.uri);
    out.string(link.id);
  }
}

/** The inverse of encodeLinkTable, validated as field 13's table is: RangeError naming what was wrong. */
export function decodeLinkTable(reader: ByteReader): readonly Hyperlink[] {
  return decodeLinkTableChange(reader, NO_TABLE, 0);
}

/** A cell's link number on the wire (0: none, else 1 + its index in `table`); the encoder's lookup for one table. */
export type LinkSlots = (link: Hyperlink | undefined) => number;

/** Links dropped: the scrollback log's lines travel without a table. */
const NO_LINK_SLOTS: LinkSlots = () => 0;

export function linkSlots(table: readonly Hyperlink[]): LinkSlots {
  if (table.length === 0) return NO_LINK_SLOTS;
  const byObject = new Map<Hyperlink, number>();
  table.forEach((link, index) => byObject.set(link, index + 1));
  return (link) => {
    if (link === undefined) return 0;
    const slot = byObject.get(link);
    if (slot !== undefined) return slot;
    // Another object of the same value: find it by binary search in the sorted table, and remember it.
    let low = 0;
    let high = table.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const order = compareLinks(table[middle]!, link);
      if (order === 0) {
        byObject.set(link, middle + 1);
        return middle + 1;
      }
      if (order < 0) low = middle + 1;
      else high = middle - 1;
    }
    throw new RangeError(`encodeScreenDiff: a cell's link ${JSON.stringify(link.uri)} is not in its screen's link table; build cells with hyperlink()`);
  };
}

/** Writes the row ops that build `next.lines` from `base.lines`; false when every row is unchanged. */
function encodeRows(base: Framebuffer, next: Framebuffer, out: ByteWriter, slots: LinkSlots): boolean {
  const sameWidth = base.cols === next.cols;
  const blank = blankRow(next.cols);
  // Base rows by content hash, for finding rows that moved (scrolling). Only rows of the new width can move.
  const baseByHash = new Map<number, number[]>();
  if (sameWidth) {
    for (let src = 0; src < base.rows; src++) {
      const hash = rowHash(base.lines[src]!);
      const list = baseByHash.get(hash);
      if (list === undefined) baseByHash.set(hash, [src]);
      else if (list.length < MOVE_CANDIDATES_MAX) list.push(src);
    }
  }
  const matchLength = (y: number, src: number): number => {
    let length = 0;
    while (y + length < next.rows && src + length < base.rows && rowsEqual(next.lines[y + length]!, base.lines[src + length]!)) length++;
    return length;
  };

  let changed = base.rows !== next.rows || !sameWidth;
  // The base row that follows the last moved run: a line that scrolled and then changed (the prompt being typed
  // on) is cheapest as a patch of it.
  let followingSource = -1;
  for (let y = 0; y < next.rows; ) {
    const row = next.lines[y]!;
    const keep = sameWidth && y < base.rows ? matchLength(y, y) : 0;
    let blanks = 0;
    while (y + blanks < next.rows && rowsEqual(next.lines[y + blanks]!, blank)) blanks++;
    let move = 0;
    let moveSource = -1;
    if (sameWidth && blanks === 0 && keep < next.rows - y) {
      for (const src of baseByHash.get(rowHash(row)) ?? []) {
        if (src === y) continue;
        const length = matchLength(y, src);
        if (length > move) {
          move = length;
          moveSource = src;
        }
      }
    }
    if (keep > 0 && keep >= blanks && keep >= move) {
      out.u8(Op.Keep);
      out.varint(keep);
      y += keep;
      followingSource = y;
      continue;
    }
    changed = true;
    if (blanks > 0 && blanks >= move) {
      out.u8(Op.Blank);
      out.varint(blanks);
      y += blanks;
      followingSource = -1;
      continue;
    }
    if (move > 0) {
      out.u8(Op.Move);
      out.varint(move);
      out.varint(moveSource);
      y += move;
      followingSource = moveSource + move;
      continue;
    }
    out.append(encodeChangedRow(base, next.cols, y, row, followingSource, slots));
    followingSource = followingSource >= 0 ? followingSource + 1 : -1;
    y++;
  }
  return changed;
}

/** The cheapest of a full row and a patch of a plausible base row. */
function encodeChangedRow(base: Framebuffer, cols: number, y: number, row: Row, followingSource: number, slots: LinkSlots): ByteWriter {
  const wrapped = row.wrapped ? OP_WRAPPED : 0;
  let best = new ByteWriter();
  best.u8(Op.Full | wrapped);
  encodeCells(row.cells, 0, cols, best, slots);
  const tryPatch = (src: number, op: Op): void => {
    if (src < 0 || src >= base.rows) return;
    const from = base.lines[src]!.cells;
    let start = 0;
    while (start < cols && cellsEqual(row.cells[start]!, fittedCell(from, start))) start++;
    let end = cols;
    while (end > start && cellsEqual(row.cells[end - 1]!, fittedCell(from, end - 1))) end--;
    if (end - start === cols) return;
    const patch = new ByteWriter();
    patch.u8(op | wrapped);
    if (op === Op.PatchFrom) patch.varint(src);
    patch.varint(start);
    patch.varint(end - start);
    encodeCells(row.cells, start, end, patch, slots);
    if (patch.length < best.length) best = patch;
  };
  tryPatch(y, Op.Patch);
  if (followingSource !== y) tryPatch(followingSource, Op.PatchFrom);
  return best;
}

function fittedCell(cells: readonly Cell[], x: number): Cell {
  return x < cells.length ? cells[x]! : BLANK_CELL;
}

function isSingleCodePoint(text: string): boolean {
  if (text.length === 1) {
    const unit = text.charCodeAt(0);
    return unit < 0xd800 || unit > 0xdfff;
  }
  if (text.length === 2) {
    const high = text.charCodeAt(0);
    const low = text.charCodeAt(1);
    return high >= 0xd800 && high <= 0xdbff && low >= 0xdc00 && low <= 0xdfff;
  }
  return false;
}

function segmentKindAt(cells: readonly Cell[], x: number, end: number): Segment {
  const cell = cells[x]!;
  if (cell.width === 1) {
    if (cell.text === '') return Segment.Empty;
    if (isSingleCodePoint(cell.text)) return Segment.Narrow;
  } else if (cell.width === 2 && x + 1 < end && isSingleCodePoint(cell.text)) {
    const half = cells[x + 1]!;
    if (half.width === 0 && half.text === '' && pensEqual(half, cell) && linksEqual(half.link, cell.link)) {
      return Segment.Wide;
    }
  }
  return Segment.Any;
}

/**
 * Encodes cells [start, end) as segments of one kind and one rendition; `slots` numbers the links (by default none
 * is sent: the scrollback log's lines travel without their links).
 */
export function encodeCells(cells: readonly Cell[], start: number, end: number, out: ByteWriter, slots: LinkSlots = NO_LINK_SLOTS): void {
  let fg: Color = COLOR_DEFAULT;
  let bg: Color = COLOR_DEFAULT;
  let attrs = 0;
  let underlineColor: Color | undefined;
  let x = start;
  while (x < end) {
    const first = cells[x]!;
    const firstAttrs = first.attrs + (first.underlineColor === undefined ? 0 : UNDERLINE_COLOR_FLAG) + LINK_SLOT_UNIT * slots(first.link);
    const kind = segmentKindAt(cells, x, end);
    const step = kind === Segment.Wide ? 2 : 1;
    let count = 0;
    let next = x;
    while (next < end) {
      const cell = cells[next]!;
      if (!pensEqual(cell, first)) break;
      if (cell.link !== first.link && slots(cell.link) !== slots(first.link)) break;
      if (segmentKindAt(cells, next, end) !== kind) break;
      count++;
      next += step;
    }
    let header = count * (1 << SEGMENT_COUNT_SHIFT) + kind;
    if (first.fg !== fg) header += SEGMENT_FG;
    if (first.bg !== bg) header += SEGMENT_BG;
    const attrsChanged = firstAttrs !== attrs || first.underlineColor !== underlineColor;
    if (attrsChanged) header += SEGMENT_ATTRS;
    out.varint(header);
    if (first.fg !== fg) out.varint(colorToWire((fg = first.fg)));
    if (first.bg !== bg) out.varint(colorToWire((bg = first.bg)));
    if (attrsChanged) {
      out.varint((attrs = firstAttrs));
      underlineColor = first.underlineColor;
      if (underlineColor !== undefined) out.varint(colorToWire(underlineColor));
    }
    if (kind === Segment.Narrow || kind === Segment.Wide) {
      let text = '';
      for (let i = x; i < next; i += step) text += cells[i]!.text;
      out.string(text);
    } else if (kind === Segment.Any) {
      for (let i = x; i < next; i++) {
        const bytes = utf8Encoder.encode(cells[i]!.text);
        out.varint(bytes.length * 4 + cells[i]!.width);
        out.bytes(bytes);
      }
    }
    x = next;
  }
}

const rowHashes = new WeakMap<Row, number>();

/** A 32-bit FNV-1a hash of a row's content, cached per Row object (rows are immutable). */
function rowHash(row: Row): number {
  let hash = rowHashes.get(row);
  if (hash !== undefined) return hash;
  hash = row.wrapped ? 0x811c9dc5 ^ 1 : 0x811c9dc5;
  const mix = (value: number): void => {
    hash = Math.imul((hash! ^ value) >>> 0, 0x01000193);
  };
  for (const cell of row.cells) {
    for (let i = 0; i < cell.text.length; i++) mix(cell.text.charCodeAt(i));
    mix(cell.width | 0x10000);
    mix(cell.fg);
    mix(cell.bg);
    mix(cell.attrs);
  }
  rowHashes.set(row, hash);
  return hash;
}

// ---------------------------------------------------------------------------------------------------------------
// Decoding.

export interface DecodedScreen {
  readonly framebuffer: Framebuffer;
  readonly echoAck: number;
  readonly ending: SessionEnding | undefined;
  readonly answeredCursor: AnsweredCursor | undefined;
}

/**
 * Applies a diff from `encodeScreenDiff` to (`base`, `baseEchoAck`). Rows the diff does not touch are the base's Row
 * objects. Throws RangeError on anything malformed, truncated, out of range or left over.
 */
export function decodeScreenDiff(
  base: Framebuffer,
  baseEchoAck: number,
  diff: Uint8Array,
  baseEnding?: SessionEnding,
  scrollback?: ScrollbackFieldReader,
  baseAnswered?: AnsweredCursor,
): DecodedScreen {
  if (diff.length === 0) return { framebuffer: base, echoAck: baseEchoAck, ending: baseEnding, answeredCursor: baseAnswered };
  const reader = new ByteReader(diff, 'screen diff');
  const version = reader.u8('version');
  if (!readsScreenDiffVersion(version)) {
    reader.fail(`version ${version} is not a version this build reads (${OLDEST_READABLE_SCREEN_DIFF_VERSION}–${SCREEN_DIFF_VERSION}); run the same tsmosh version on both ends`);
  }
  const fields = reader.varint('field flags');
  if (fields & ~FIELD_ALL) reader.fail(`unknown field flags 0x${(fields & ~FIELD_ALL).toString(16)}`);

  let cols = base.cols;
  let rows = base.rows;
  if (fields & Field.Size) {
    cols = reader.varint('cols', MAX_SCREEN_COLS);
    rows = reader.varint('rows', MAX_SCREEN_ROWS);
    if (cols < 1 || rows < 1) reader.fail(`screen size ${cols}x${rows} is not positive`);
  }
  let cursor = base.cursor;
  if (fields & Field.Cursor) {
    const x = reader.varint('cursor x', MAX_SCREEN_COLS);
    const y = reader.varint('cursor y', MAX_SCREEN_ROWS);
    const packed = reader.u8('cursor flags');
    const style = CURSOR_STYLES[(packed >> 1) & 3];
    if (style === undefined || packed > 0xf) reader.fail(`cursor flags 0x${packed.toString(16)} are invalid`);
    cursor = Object.freeze({ x, y, visible: (packed & 1) !== 0, style, blink: (packed & 8) !== 0 });
  }
  let modes = base.modes;
  if (fields & Field.Modes) modes = decodeModes(reader);
  const title = fields & Field.Title ? reader.string('title') : base.title;
  const bellCount = fields & Field.Bell ? reader.varint('bell count') : base.bellCount;
  let clipboard = base.clipboard;
  if (fields & Field.Clipboard) {
    const present = reader.u8('clipboard presence');
    if (present > 1) reader.fail(`clipboard presence ${present} is neither 0 nor 1`);
    clipboard =
      present === 0
        ? undefined
        : Object.freeze({ generation: reader.varint('clipboard generation'), selection: reader.string('clipboard selection'), data: reader.string('clipboard data') });
  }
  let alternateScreen = base.alternateScreen;
  if (fields & Field.AlternateScreen) {
    const flag = reader.u8('alternate screen');
    if (flag > 1) reader.fail(`alternate screen flag ${flag} is neither 0 nor 1`);
    alternateScreen = flag === 1;
  }
  const echoAck = fields & Field.EchoAck ? reader.varint('echo ack') : baseEchoAck;

  // The base's link table is looked for only when a cell names a link: a screen walk (a lookup per row) per frame
  // that nearly every screen, linkless, does not need.
  let table: LinkTable = NO_TABLE;
  if (fields & Field.Links) {
    if (!(fields & Field.Rows)) reader.fail('the link table changed but no rows were sent');
    table = decodeLinkTableChange(reader, screenLinkTable(base.lines));
  } else if (fields & Field.Rows) {
    let baseTable: readonly Hyperlink[] | undefined;
    table = () => (baseTable ??= screenLinkTable(base.lines));
  }
  let lines = base.lines;
  if (fields & Field.Rows) lines = decodeRows(reader, base, cols, rows, table, version);
  else if (cols !== base.cols || rows !== base.rows) reader.fail('the size changed but no rows were sent');
  const ending = fields & Field.Ending ? decodeEnding(reader) : baseEnding;
  const notifications = fields & Field.Notifications ? decodeNotifications(reader) : base.notifications;
  let progress = base.progress;
  if (fields & Field.Progress) {
    const state = reader.u8('progress state');
    const value = reader.u8('progress value');
    if (state > 4 || value > 100) reader.fail(`progress ${state};${value} is outside state 0–4, value 0–100`);
    progress = Object.freeze({ state: state as Progress['state'], value });
  }
  if (fields & Field.Scrollback) {
    if (scrollback === undefined) reader.fail('it carries scrollback lines, which this state cannot hold');
    else scrollback.read(reader, version);
  }
  let answeredCursor = baseAnswered;
  if (fields & Field.AnsweredCursor) {
    if (version < ANSWERED_CURSOR_SINCE_VERSION) reader.fail(`field 14 (answered cursor) is not part of version ${version}`);
    const present = reader.u8('answered cursor presence');
    if (present > 1) reader.fail(`answered cursor presence ${present} is neither 0 nor 1`);
    if (present === 0) answeredCursor = undefined;
    else {
      const back = reader.varint('answered cursor input position');
      if (back > echoAck) reader.fail(`the answered cursor's input position lies ${back} before echo ack ${echoAck}`);
      answeredCursor = Object.freeze({ upTo: echoAck - back, x: reader.varint('answered cursor x', MAX_SCREEN_COLS), y: reader.varint('answered cursor y', MAX_SCREEN_ROWS - 1) });
    }
  } else if (answeredCursor !== undefined && answeredCursor.upTo > echoAck) {
    reader.fail(`the echo ack moved to ${echoAck}, behind the answered cursor's input position ${answeredCursor.upTo}`);
  }
  reader.expectEnd();
  if (cursor.x > cols || cursor.y >= rows) reader.fail(`cursor (${cursor.x}, ${cursor.y}) lies outside the ${cols}x${rows} screen`);

  const framebuffer: Framebuffer = Object.freeze({ cols, rows, lines, cursor, modes, title, bellCount, clipboard, notifications, progress, alternateScreen });
  return { framebuffer, echoAck, ending, answeredCursor };
}

function decodeNotifications(reader: ByteReader): readonly Notification[] {
  const count = reader.varint('notification count', RECENT_NOTIFICATIONS_MAX);
  const notifications: Notification[] = [];
  let previous = 0;
  for (let i = 0; i < count; i++) {
    const generation = reader.varint('notification generation');
    if (generation <= previous) reader.fail(`notification generation ${generation} does not follow ${previous}`);
    previous = generation;
    const code = reader.varint('notification code');
    if (!(NOTIFICATION_CODES as readonly number[]).includes(code)) reader.fail(`notification code ${code} is not 9, 777 or 99`);
    const payload = reader.string('notification payload');
    if (!isDeliverablePayload(payload)) reader.fail('a notification payload holds control characters or is too long');
    notifications.push(Object.freeze({ generation, code: code as NotificationCode, payload }));
  }
  return Object.freeze(notifications);
}

function decodeModes(reader: ByteReader): TerminalModes {
  const flags = reader.u8('mode flags');
  if (flags > 0x1f) reader.fail(`mode flags 0x${flags.toString(16)} have unknown bits`);
  const trackingIndex = reader.u8('mouse tracking');
  const mouseTracking = MOUSE_TRACKING[trackingIndex];
  if (mouseTracking === undefined) reader.fail(`mouse tracking ${trackingIndex} is unknown`);
  const encodingIndex = reader.u8('mouse encoding');
  const mouseEncoding = MOUSE_ENCODING[encodingIndex];
  if (mouseEncoding === undefined) reader.fail(`mouse encoding ${encodingIndex} is unknown`);
  const modifyOtherKeys = reader.u8('modifyOtherKeys');
  if (modifyOtherKeys > 2) reader.fail(`modifyOtherKeys ${modifyOtherKeys} is not 0, 1 or 2`);
  const kittyKeyboardFlags = reader.varint('kitty keyboard flags', KITTY_FLAGS_MAX);
  return Object.freeze({
    applicationCursorKeys: (flags & 1) !== 0,
    applicationKeypad: (flags & 2) !== 0,
    bracketedPaste: (flags & 4) !== 0,
    focusReporting: (flags & 8) !== 0,
    reverseVideo: (flags & 16) !== 0,
    mouseTracking,
    mouseEncoding,
    modifyOtherKeys: modifyOtherKeys as 0 | 1 | 2,
    kittyKeyboardFlags,
  });
}

function decodeRows(reader: ByteReader, base: Framebuffer, cols: number, rows: number, table: LinkTable, version: number): readonly Row[] {
  const sameWidth = base.cols === cols;
  const lines: Row[] = [];
  const baseRowIndex = (field: string): number => reader.varint(field, base.rows - 1);
  const runLength = (): number => {
    const count = reader.varint('row run length', rows - lines.length);
    if (count === 0) reader.fail('row run length is 0');
    return count;
  };
  const requireSameWidth = (op: string): void => {
    if (!sameWidth) reader.fail(`${op} reuses base rows of width ${base.cols} in a screen of width ${cols}`);
  };
  while (lines.length < rows) {
    const y = lines.length;
    const opByte = reader.u8(`row op for row ${y}`);
    const kind = opByte & OP_KIND_MASK;
    const wrapped = (opByte & OP_WRAPPED) !== 0;
    if (opByte & ~(OP_KIND_MASK | OP_WRAPPED) || (wrapped && kind < Op.Full)) reader.fail(`row op 0x${opByte.toString(16)} is invalid`);
    switch (kind) {
      case Op.Keep: {
        requireSameWidth('KEEP');
        const count = runLength();
        if (y + count > base.rows) reader.fail(`KEEP of ${count} rows at row ${y} runs past the base's ${base.rows} rows`);
        for (let i = 0; i < count; i++) lines.push(base.lines[y + i]!);
        break;
      }
      case Op.Move: {
        requireSameWidth('MOVE');
        const count = runLength();
        const src = baseRowIndex('MOVE source row');
        if (src + count > base.rows) reader.fail(`MOVE of ${count} rows from row ${src} runs past the base's ${base.rows} rows`);
        for (let i = 0; i < count; i++) lines.push(base.lines[src + i]!);
        break;
      }
      case Op.Blank: {
        const count = runLength();
        const blank = blankRow(cols);
        for (let i = 0; i < count; i++) lines.push(blank);
        break;
      }
      case Op.Full: {
        const cells: Cell[] = [];
        decodeCells(reader, cols, cells, table, version);
        lines.push(Object.freeze({ cells: Object.freeze(cells), wrapped }));
        break;
      }
      case Op.Patch:
      case Op.PatchFrom: {
        let src = y;
        if (kind === Op.PatchFrom) src = baseRowIndex('PATCH_FROM source row');
        else if (y >= base.rows) reader.fail(`PATCH of row ${y}, which the ${base.rows}-row base does not have`);
        const start = reader.varint('patch start', cols);
        const length = reader.varint('patch length', cols - start);
        const from = base.lines[src]!.cells;
        const cells: Cell[] = new Array<Cell>(cols);
        for (let x = 0; x < start; x++) cells[x] = fittedCell(from, x);
        const replaced: Cell[] = [];
        decodeCells(reader, length, replaced, table, version);
        for (let i = 0; i < length; i++) cells[start + i] = replaced[i]!;
        for (let x = start + length; x < cols; x++) cells[x] = fittedCell(from, x);
        lines.push(Object.freeze({ cells: Object.freeze(cells), wrapped }));
        break;
      }
      default:
        reader.fail(`row op kind ${kind} is unknown`);
    }
  }
  return Object.freeze(lines);
}

/**
 * On the wire a colour is value << 2 | mode, so the common palette colours take one or two bytes instead of the
 * four that the in-memory form (mode in bits 24–25) would.
 */
function colorToWire(color: Color): number {
  return (color & COLOR_VALUE_MASK) * 4 + (color & COLOR_MODE_MASK) / COLOR_PALETTE_16;
}

function decodeColor(reader: ByteReader, field: string): Color {
  const wire = reader.varint(field, COLOR_VALUE_MASK * 4 + 3);
  const mode = (wire & 3) * COLOR_PALETTE_16;
  const value = Math.floor(wire / 4);
  if ((mode === COLOR_DEFAULT && value !== 0) || (mode === COLOR_PALETTE_16 && value > 15) || (mode === COLOR_PALETTE_256 && value > 255)) {
    reader.fail(`${field} ${wire} (mode ${wire & 3}, value ${value}) is not a valid colour`);
  }
  return mode | value;
}

/** One frozen cell per printable ASCII character in the default pen, shared by every decoded screen. */
const PLAIN_ASCII_CELLS: readonly Cell[] = Array.from({ length: 0x7f - 0x20 }, (_, i) =>
  Object.freeze({ text: String.fromCharCode(0x20 + i), width: 1 as const, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 }),
);

/** The shared cell for `text` when it is one printable ASCII character (in the default pen), else undefined. */
function plainAsciiCell(text: string): Cell | undefined {
  if (text.length !== 1) return undefined;
  return PLAIN_ASCII_CELLS[text.charCodeAt(0) - 0x20];
}

/** The links a diff's cells may name, or a function that finds them when first needed. */
export type LinkTable = readonly Hyperlink[] | (() => readonly Hyperlink[]);

/**
 * Reads segments until exactly `count` cells have been appended to `cells`; a cell's link is an entry of `table`
 * (none by default: then a segment naming a link is refused). `version`: the screen diff version that wrote them.
 */
export function decodeCells(reader: ByteReader, count: number, cells: Cell[], table: LinkTable = NO_TABLE, version = SCREEN_DIFF_VERSION): void {
  const target = cells.length + count;
  const legacy = version < UNDERLINE_SINCE_VERSION;
  const linkUnit = legacy ? LEGACY_LINK_SLOT_UNIT : LINK_SLOT_UNIT;
  let fg: Color = COLOR_DEFAULT;
  let bg: Color = COLOR_DEFAULT;
  let attrs = 0;
  let underlineColor: Color | undefined;
  let link: Hyperlink | undefined;
  // Cells are built with their link and underline colour only when there is one, so other cells keep the shape
  // they always had.
  const cellOf = (text: string, width: 0 | 1 | 2): Cell =>
    Object.freeze(
      underlineColor === undefined
        ? link === undefined
          ? { text, width, fg, bg, attrs }
          : { text, width, fg, bg, attrs, link }
        : link === undefined
          ? { text, width, fg, bg, attrs, underlineColor }
          : { text, width, fg, bg, attrs, underlineColor, link },
    );
  // Blanks as the renderer's sanitizer makes them (one object per background), so it keeps them as they are.
  const blankOf = (): Cell => (fg === 0 && attrs === 0 && link === undefined ? erasedCell(bg) : cellOf('', 1));
  while (cells.length < target) {
    const header = reader.varint('cell segment header');
    const kind = header & 3;
    const segmentCount = Math.floor(header / (1 << SEGMENT_COUNT_SHIFT));
    const cellCount = kind === Segment.Wide ? segmentCount * 2 : segmentCount;
    if (segmentCount === 0) reader.fail('cell segment is empty');
    if (cells.length + cellCount > target) reader.fail(`cell segment of ${cellCount} cells overruns the ${count} cells expected`);
    if (header & SEGMENT_FG) fg = decodeColor(reader, 'foreground');
    if (header & SEGMENT_BG) bg = decodeColor(reader, 'background');
    if (header & SEGMENT_ATTRS) {
      const wire = reader.varint('attributes');
      const bits = wire % linkUnit;
      const slot = Math.floor(wire / linkUnit);
      if (slot === 0) link = undefined;
      else {
        if (typeof table === 'function') table = table();
        const max = linkUnit - 1 + linkUnit * table.length;
        if (wire > max) reader.fail(`attributes is ${wire}, more than the maximum ${max}`);
        link = table[slot - 1];
      }
      attrs = legacy ? bits : bits & ATTR_ALL;
      if (!isCanonicalAttrs(attrs)) reader.fail(`attributes 0x${attrs.toString(16)} hold an underline style without an underline, or an unknown one`);
      underlineColor = undefined;
      if (!legacy && bits & UNDERLINE_COLOR_FLAG) {
        if (!(attrs & Attr.Underline)) reader.fail(`attributes 0x${attrs.toString(16)} carry an underline colour without an underline`);
        underlineColor = decodeColor(reader, 'underline colour');
        if (!isUnderlineColor(underlineColor)) reader.fail(`underline colour 0x${underlineColor.toString(16)} is neither a 256-colour index nor RGB`);
      }
    }
    switch (kind as Segment) {
      case Segment.Empty: {
        const cell = blankOf();
        for (let i = 0; i < segmentCount; i++) cells.push(cell);
        break;
      }
      case Segment.Narrow:
      case Segment.Wide: {
        const text = reader.string('cell text');
        // Plain ASCII in the default pen (most of any screen) shares one cell per character instead of a new one
        // per cell and frame: a flood's frames are all new rows (docs/benchmarks-journal.md, session 19).
        const plain = kind === Segment.Narrow && fg === COLOR_DEFAULT && bg === COLOR_DEFAULT && attrs === 0 && link === undefined;
        let seen = 0;
        for (const codePoint of text) {
          if (++seen > segmentCount) break;
          if (kind === Segment.Narrow) cells.push((plain ? plainAsciiCell(codePoint) : undefined) ?? cellOf(codePoint, 1));
          else cells.push(cellOf(codePoint, 2), cellOf('', 0));
        }
        if (seen !== segmentCount) reader.fail(`cell text holds ${seen} code points where the segment needs ${segmentCount}`);
        break;
      }
      case Segment.Any: {
        for (let i = 0; i < segmentCount; i++) {
          const cellHeader = reader.varint('cell header');
          const width = cellHeader & 3;
          if (width === 3) reader.fail('cell width 3 is invalid');
          const text = reader.utf8(Math.floor(cellHeader / 4), 'cell text');
          cells.push(cellOf(text, width as 0 | 1 | 2));
        }
        break;
      }
    }
  }
}
