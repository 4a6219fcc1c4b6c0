/**
 * The scrollback log: every line that left the top of the remote screen (normal screen only), in order, numbered
 * by absolute position since the session began. It is synchronized data, not a by-product of frames: a screen state
 * carries a window [start, end) of the log, and a diff from an older state carries exactly the lines the receiver
 * lacks, so loss, outages, floods and reattach neither drop nor duplicate a line. The window is bounded (the server
 * keeps the last SCROLLBACK_RETAINED_LINES); a client that fell further behind learns how many lines it missed from
 * the jump in `start`, and says so with a marker line.
 *
 * Beside the lines, two numbers about the screen below them, both moved by resizes (scrollback-capture.ts on the
 * server, scrollback-writer.ts on the client):
 * - `screenTop`: the position the screen's first row has in the log. Normally equal to `end`; after the window grew
 *   taller, the last lines of the log were pulled back onto the screen, and `screenTop` is below `end` until output
 *   scrolls them away again. A client writes history only up to here, so a line is never both in the local history
 *   and on the screen. In a value that offers only the first lines of a longer log (`upTo`: the history follows the
 *   screen a window at a time) it lies beyond `end`: the lines between are logged but not sent yet, and a client
 *   whose history stops short of the screen knows it (a resize then pushes screen rows into a history that lacks
 *   the lines before them, scrollback-writer.ts).
 * - `resizeShift`: the sum of every change in `screenTop` a resize made (+k when a shorter window pushed k lines up,
 *   −j when a taller one pulled j back). The client whose own window changed (its terminal pushed or pulled the same
 *   lines itself) moves its written mark by the shift's change; a client attaching later writes what the log holds.
 *
 * Wire form (screen diff field 12), all varints:
 *   start  end-base.end  then the lines [max(start, base.end), end), each: u8 wrapped | linked<<1, varint cell
 *   count, [when linked: the line's own link table (encodeLinkTable: its distinct links, sorted, within the screen's
 *   bounds)], cells (the cell segments of screen-diff.ts, links numbered in the line's table), then
 *   zigzag(end-screenTop) and zigzag(resizeShift). A receiver keeps base lines [start, base.end) and appends the rest.
 *   (Screen diff version 3 wrote end-screenTop unsigned: the screen's top never lay beyond the end then; readDiff
 *   still reads it, for screens saved on disk by that version.)
 *
 * A log value is immutable. Appending shares one backing array among successive values (a value only reads its
 * own window), so each frame's state costs a few words, not a copy of 10,000 rows. Lines are kept in their wire
 * form (about 100 bytes for a full 80-column line, against about 2.4 KB as cell objects), encoded once when logged:
 * the daemon keeps 10,000 lines per session, and a diff then copies bytes.
 */
import { blankRow, type Cell, type Row } from './framebuffer.js';
import type { Hyperlink } from './hyperlinks.js';
import { ByteReader, ByteWriter } from '@tsmosh/protocol';
import { SCREEN_DIFF_VERSION, decodeCells, decodeLinkTable, encodeCells, encodeLinkTable, linkSlots } from './screen-diff.js';
import { capScreenLinks, rowLinks } from './hyperlinks.js';
import { LogLineStore } from './log-line-store.js';

/** Lines of history a session keeps (about 1 MiB of rows at 80 columns): the "last 10,000 lines". */
export const SCROLLBACK_RETAINED_LINES = 10_000;

/**
 * Lines a compacted store has room for beyond the retention twice over before it must grow: more than one append of
 * the server's capture (256 lines a batch, scrollback-capture.ts) or one state's window (256, history-window.ts).
 * Without it a compacted store doubled once on the way to its next compaction: 720 KB of Int32Arrays allocated per
 * 10,000 lines of a flood instead of 252 KB, which the daemon's malloc kept (its peak RSS: docs/benchmarks-journal.md,
 * "session 19, bulk").
 */
const COMPACTED_ROOM_LINES = 1024;

/** Cells one logged line may hold: the widest screen the diff accepts (framebuffer MAX_SCREEN_COLS) is far less. */
const LOG_LINE_CELLS_MAX = 4096;

export class ScrollbackLog {
  static readonly empty = new ScrollbackLog(LogLineStore.empty(), 0, 0, 0, 0, 0);

  private constructor(
    /** Backing lines in wire form; store line i is log line storeBase + i. Shared between values; never changed below a value's end. */
    private readonly store: LogLineStore,
    private readonly storeBase: number,
    /** First line this value still holds. */
    readonly start: number,
    /** One past the last line ever logged. */
    readonly end: number,
    /** Where the screen's first row stands in the log (beyond end only in an offered prefix, upTo); see the header. */
    readonly screenTop: number,
    /** The sum of the changes in screenTop that resizes made; see the header. */
    readonly resizeShift: number,
  ) {}

  /** This log with the screen standing at `screenTop` (clamped to end) after resizes that shifted it `resizeShift` in all. */
  withScreen(screenTop: number, resizeShift: number): ScrollbackLog {
    const top = Math.min(screenTop, this.end);
    if (top === this.screenTop && resizeShift === this.resizeShift) return this;
    return new ScrollbackLog(this.store, this.storeBase, this.start, this.end, top, resizeShift);
  }

  /** One past the last line that is history and held here: the lines above the screen a client may write. */
  get historyEnd(): number {
    return Math.min(this.screenTop, this.end);
  }

  /** How many lines the window holds. */
  get length(): number {
    return this.end - this.start;
  }

  /** Line `position` (start ≤ position < end). */
  line(position: number): Row {
    if (!(position >= this.start && position < this.end)) {
      throw new RangeError(`ScrollbackLog.line: line ${position} is outside the kept window [${this.start}, ${this.end})`);
    }
    return decodeLine(this.store.line(position - this.storeBase));
  }

  /**
   * Line `position`'s text when it is a plain line (plainLogLine's form: printable ASCII in the default pen, no link),
   * read from its bytes without decoding cells; undefined for any other line. With plainWrapped, what a history
   * writer needs of most lines of a flood.
   */
  plainText(position: number): string | undefined {
    const bytes = this.store.line(this.checked(position, 'plainText') - this.storeBase);
    const textAt = plainLineTextAt(bytes);
    if (textAt === undefined || textAt.end !== bytes.length) return undefined;
    // At most LOG_LINE_CELLS_MAX codes: within any engine's argument limit.
    return String.fromCharCode.apply(null, bytes.subarray(textAt.text, textAt.end) as unknown as number[]);
  }

  /** Whether line `position` runs on into the next (a soft wrap), read from its first byte. */
  wrappedAt(position: number): boolean {
    return (this.store.line(this.checked(position, 'wrappedAt') - this.storeBase)[0]! & LINE_WRAPPED) !== 0;
  }

  private checked(position: number, what: string): number {
    if (!(position >= this.start && position < this.end)) {
      throw new RangeError(`ScrollbackLog.${what}: line ${position} is outside the kept window [${this.start}, ${this.end})`);
    }
    return position;
  }

  /**
   * The furthest end in [from, min(end, from + maxLines)] whose lines [from, end) take at most `budgetBytes` of wire
   * form (from clamped to [start, end]): how far a window measured in bytes reaches (server history-window.ts).
   */
  endWithinBytes(from: number, budgetBytes: number, maxLines: number): number {
    const first = Math.min(Math.max(from, this.start), this.end);
    const last = Math.min(this.end, first + Math.max(0, maxLines));
    let bytes = 0;
    let position = first;
    for (; position < last; position++) {
      bytes += this.store.line(position - this.storeBase).byteLength;
      if (bytes > budgetBytes) break;
    }
    return position;
  }

  /** The lines [from, end) of the window (from is clamped to start). */
  linesFrom(from: number): Row[] {
    const first = Math.max(from, this.start);
    const lines: Row[] = [];
    for (let position = first; position < this.end; position++) lines.push(decodeLine(this.store.line(position - this.storeBase)));
    return lines;
  }

  /**
   * The first lines of this log, up to `end` (start ≤ end ≤ this.end), keeping this window's start: what a sender
   * offers when it holds back lines so one diff stays small (the rest follow in later states). The screen's top
   * stays where it is, beyond the offered end when the held-back lines are history: the receiver learns that its
   * history stops short of the screen.
   */
  upTo(end: number): ScrollbackLog {
    if (!(end >= this.start && end <= this.end)) throw new RangeError(`ScrollbackLog.upTo: ${end} is outside [${this.start}, ${this.end}]`);
    return end === this.end ? this : new ScrollbackLog(this.store, this.storeBase, this.start, end, this.screenTop, this.resizeShift);
  }

  /**
   * A LogAppend adding lines to this log one by one: append()'s log for the same lines, for a caller that reads a
   * batch of lines at a time (the server's capture: up to 256 a batch, most of them plain lines of a flood), with no
   * PlainLogLine object and no array of lines per batch.
   */
  appending(retain: number = SCROLLBACK_RETAINED_LINES): LogAppend {
    let store = this.store;
    let storeBase = this.storeBase;
    // Reuse the backing array when this value is its tip; otherwise (an older value grows a branch) copy the window.
    if (storeBase + store.length !== this.end) {
      store = this.store.slice(this.start - storeBase, this.end - storeBase);
      storeBase = this.start;
    }
    return new LogAppend(this, store, storeBase, retain);
  }

  /** @internal The log a LogAppend made: `added` lines appended to `base` in `store` (see append()). */
  static appended(base: ScrollbackLog, store: LogLineStore, storeBase: number, added: number, retain: number): ScrollbackLog {
    if (added === 0 && base.length <= retain) return base;
    const end = base.end + added;
    const start = Math.max(base.start, end - retain);
    // Compact once the dropped head outweighs the window, so memory stays within twice the retention. The new store
    // has room for every line until its own compaction (twice the retention, and a last batch): growing it by
    // doubling on the way tripled the typed arrays a flood allocated (see COMPACTED_ROOM_LINES).
    if (start - storeBase > Math.max(retain, 64)) {
      store = store.slice(start - storeBase, undefined, Math.max(retain, 64) + COMPACTED_ROOM_LINES);
      storeBase = start;
    }
    return new ScrollbackLog(store, storeBase, start, end, base.screenTop + added, base.resizeShift);
  }

  /**
   * This log plus `lines`, keeping the last `retain` lines; the screen's top moves down with them. A line is a Row, or
   * a plain line already in wire form (plainLogLine), which is kept as it is.
   */
  append(lines: readonly (Row | PlainLogLine)[], retain: number = SCROLLBACK_RETAINED_LINES): ScrollbackLog {
    if (lines.length === 0 && this.length <= retain) return this;
    const append = this.appending(retain);
    for (const line of lines) append.line(line);
    return append.done();
  }

  equals(other: ScrollbackLog): boolean {
    if (this === other) return true;
    if (this.start !== other.start || this.end !== other.end) return false;
    if (this.screenTop !== other.screenTop || this.resizeShift !== other.resizeShift) return false;
    for (let position = this.start; position < this.end; position++) {
      if (!this.store.sameLine(position - this.storeBase, other.store, position - other.storeBase)) return false;
    }
    return true;
  }

  /**
   * Field 12 bytes turning `base` into this log; false (nothing written) when they hold the same window. A diff can
   * only move forward: the end never decreases.
   */
  writeDiff(base: ScrollbackLog, out: ByteWriter): boolean {
    if (this.start === base.start && this.end === base.end && this.screenTop === base.screenTop && this.resizeShift === base.resizeShift) return false;
    if (this.end < base.end) throw new RangeError(`ScrollbackLog: cannot diff back from line ${base.end} to ${this.end}: the log only grows`);
    out.varint(this.start);
    out.varint(this.end - base.end);
    for (let position = Math.max(this.start, base.end); position < this.end; position++) out.bytes(this.store.line(position - this.storeBase));
    out.varint(zigzag(this.end - this.screenTop));
    out.varint(zigzag(this.resizeShift));
    return true;
  }

  /**
   * The inverse of writeDiff on this (the base); throws RangeError on anything inconsistent. `diffVersion` is the
   * screen diff's version: 3 wrote the screen's top unsigned (see the header).
   */
  readDiff(reader: ByteReader, retain: number = SCROLLBACK_RETAINED_LINES, diffVersion: number = SCREEN_DIFF_VERSION): ScrollbackLog {
    const start = reader.varint('scrollback start');
    const added = reader.varint('scrollback line count');
    const end = this.end + added;
    if (start > end) reader.fail(`scrollback window [${start}, ${end}) is inverted`);
    if (start < this.start && start < this.end) reader.fail(`scrollback start ${start} precedes the lines kept (${this.start})`);
    if (end - start > retain) reader.fail(`scrollback window of ${end - start} lines exceeds the ${retain} kept`);
    // A fresh store (a failed read leaves this value's own untouched): the kept lines, then the new ones.
    const store = start >= this.end ? LogLineStore.empty() : this.store.slice(start - this.storeBase, this.end - this.storeBase);
    // Each line is decoded (validated) and kept in canonical form, so equal logs hold equal bytes. A plain line (most
    // of a flood: plainLogLine's form, which is canonical) is checked and copied as it came, without a cell object
    // per character decoded and encoded again: that was a sixth of a client's CPU in a flood, and most of its garbage.
    for (let position = Math.max(start, this.end); position < end; position++) {
      const plain = plainLineTextAt(reader.peek());
      if (plain === undefined) {
        encodeLineInto(readLine(reader, diffVersion), store);
        continue;
      }
      const bytes = reader.take(plain.end, 'scrollback line');
      const at = slabReserve(plain.end);
      reservedIn.set(bytes, at);
      store.push(reservedIn, at, at + plain.end);
    }
    const encodedTop = reader.varint('scrollback screen top');
    const below = diffVersion >= SCREEN_TOP_SIGNED_SINCE_VERSION ? unzigzag(encodedTop) : encodedTop;
    if (below > end) reader.fail(`scrollback screen top ${below} lines above the end ${end} is before line 0`);
    // Beyond the end only by held-back lines of the kept window: a sender offers no less than its window's start.
    if (-below > retain) reader.fail(`scrollback screen top ${-below} lines beyond the end ${end} exceeds the ${retain} kept`);
    const shift = unzigzag(reader.varint('scrollback resize shift'));
    return new ScrollbackLog(store, start, start, end, end - below, shift);
  }
}

/** The screen diff version from which field 12 writes end-screenTop zigzag-coded (signed); 3 wrote it unsigned. */
const SCREEN_TOP_SIGNED_SINCE_VERSION = 4;

/** Signed to unsigned, small magnitudes small: 0, -1, 1, -2, 2 … → 0, 1, 2, 3, 4 … */
function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

function unzigzag(value: number): number {
  return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
}

const LINE_WRAPPED = 1;
/** The line carries its own link table (OSC 8 links in its cells). */
const LINE_LINKED = 2;

/** One line as encodeLineInto wrote it; `diffVersion`: the screen diff version that wrote it (decodeCells). */
function readLine(reader: ByteReader, diffVersion?: number): Row {
  const flags = reader.u8('scrollback line flags');
  if (flags > (LINE_WRAPPED | LINE_LINKED)) reader.fail(`scrollback line flags ${flags} have unknown bits`);
  const wrapped = (flags & LINE_WRAPPED) !== 0;
  const count = reader.varint('scrollback line width', LOG_LINE_CELLS_MAX);
  const table = flags & LINE_LINKED ? decodeLinkTable(reader) : undefined;
  const cells: Cell[] = [];
  decodeCells(reader, count, cells, table, diffVersion);
  return count === 0 && !wrapped ? blankRow(0) : Object.freeze({ cells: Object.freeze(cells), wrapped });
}

const NO_LINKS: readonly Hyperlink[] = Object.freeze([]);

/** One writer for every line: a line's encoding is copied out of it at once. */
const lineWriter = new ByteWriter();

/** Encodes `row` into the slabs and adds it to `store`. */
function encodeLineInto(row: Row, store: LogLineStore): void {
  lineWriter.reset();
  // A line is a small screen: links past a screen's bounds show as plain text, as on the screen itself. (Most lines
  // have no link: a scan, not rowLinks, whose per-row cache costs a WeakMap entry for every line of a flood.)
  const linked = row.cells.some((cell) => cell.link !== undefined);
  const line = linked ? capScreenLinks([row])[0]! : row;
  const table = linked ? rowLinks(line) : NO_LINKS;
  lineWriter.u8((line.wrapped ? LINE_WRAPPED : 0) | (table.length > 0 ? LINE_LINKED : 0));
  lineWriter.varint(line.cells.length);
  if (table.length > 0) encodeLinkTable(table, lineWriter);
  encodeCells(line.cells, 0, line.cells.length, lineWriter, linkSlots(table));
  const bytes = lineWriter.view();
  const start = slabReserve(bytes.length);
  reservedIn.set(bytes, start);
  store.push(reservedIn, start, start + bytes.length);
}

/**
 * Lines being appended to a log (ScrollbackLog.appending): each is encoded into the slabs and its place kept in the
 * store at once; done() gives the new log value. Use one at a time per log, and not after done().
 */
export class LogAppend {
  private added = 0;

  /** @internal use ScrollbackLog.appending */
  constructor(
    private readonly base: ScrollbackLog,
    private readonly store: LogLineStore,
    private readonly storeBase: number,
    private readonly retain: number,
  ) {}

  /** A line of cells, or a plain line already in wire form (plainLogLine), which is kept as it is. */
  line(line: Row | PlainLogLine): void {
    if (line instanceof PlainLogLine) this.store.push(line.bytes, line.start, line.end);
    else encodeLineInto(line, this.store);
    this.added++;
  }

  /** A plain line: plainLogLine's arguments and bytes, kept in the store without a PlainLogLine. */
  plain(count: number, wrapped: boolean, codes: ArrayLike<number>, first = 0, stride = 1): void {
    writePlainLine(count, wrapped, codes, first, stride, this.store);
    this.added++;
  }

  /** The log with every line added. */
  done(): ScrollbackLog {
    return ScrollbackLog.appended(this.base, this.store, this.storeBase, this.added, this.retain);
  }
}

/**
 * A line's wire form built without its cells: what encoding a Row gives for a line of `count` cells that each hold
 * one printable ASCII character (0x20–0x7e) in the default pen, with no link. Nearly every line of a flood is such a
 * line, and the server reads them straight from the emulator's cell words (scrollback-capture.ts), skipping a Row
 * and a cell object per character. It lies in the slabs; append() keeps where, not this object.
 */
export class PlainLogLine {
  /** @internal use plainLogLine */
  constructor(
    readonly bytes: Uint8Array,
    readonly start: number,
    readonly end: number,
  ) {}
}

/** Header bytes of a plain line: flags, cell count, one Narrow segment's header (count << 5 | 1), its text length. */
const PLAIN_SEGMENT_HEADER_SHIFT = 5;
const PLAIN_SEGMENT_NARROW = 1;

/**
 * A plain line of `count` cells (wrapped into the next line or not), its characters taken from `codes`: the low 7
 * bits of every `stride`-th element from `first` (so a caller can hand over its own cell words). The caller
 * guarantees they are printable ASCII (0x20–0x7e); anything else would make a line the decoder refuses.
 */
export function plainLogLine(count: number, wrapped: boolean, codes: ArrayLike<number>, first = 0, stride = 1): PlainLogLine {
  return writePlainLine(count, wrapped, codes, first, stride, undefined)!;
}

/** Writes plainLogLine's bytes into the slabs: a PlainLogLine of them, or (given `into`) their place pushed onto that store. */
function writePlainLine(count: number, wrapped: boolean, codes: ArrayLike<number>, first: number, stride: number, into: LogLineStore | undefined): PlainLogLine | undefined {
  if (!(Number.isInteger(count) && count >= 0 && count <= LOG_LINE_CELLS_MAX)) throw new RangeError(`plainLogLine: ${count} cells is not a line width`);
  const segmentHeader = count * (1 << PLAIN_SEGMENT_HEADER_SHIFT) + PLAIN_SEGMENT_NARROW;
  const headerLength = 1 + varintLength(count) + (count > 0 ? varintLength(segmentHeader) + varintLength(count) : 0);
  const start = slabReserve(headerLength + count);
  const bytes = reservedIn;
  bytes[start] = wrapped ? LINE_WRAPPED : 0;
  let at = putVarint(bytes, start + 1, count);
  if (count > 0) at = putVarint(bytes, putVarint(bytes, at, segmentHeader), count);
  for (let i = 0; i < count; i++) bytes[at + i] = codes[first + i * stride]! & 0x7f;
  if (into === undefined) return new PlainLogLine(bytes, start, at + count);
  into.push(bytes, start, at + count);
  return undefined;
}

/**
 * Where a plain line (plainLogLine's form, byte for byte: canonical varints, printable ASCII) that starts at byte 0
 * of `bytes` has its text, and where it ends; undefined when the bytes there are not one. Bytes after it are not
 * looked at.
 */
function plainLineTextAt(bytes: Uint8Array): { readonly text: number; readonly end: number } | undefined {
  if (bytes.length < 2 || bytes[0]! > LINE_WRAPPED) return undefined;
  // flags, count, then (count > 0) one Narrow segment of `count` cells and its text of `count` bytes.
  let at = 1;
  let count = 0;
  for (let scale = 1; ; scale *= 0x80) {
    // Longer than any count up to LOG_LINE_CELLS_MAX: left to the full decoder, which says what is wrong.
    if (at > 3) return undefined;
    const byte = bytes[at++];
    if (byte === undefined) return undefined;
    count += (byte & 0x7f) * scale;
    if (byte < 0x80) break;
  }
  if (count > LOG_LINE_CELLS_MAX || at !== 1 + varintLength(count)) return undefined;
  if (count === 0) return { text: at, end: at };
  const segmentHeader = count * (1 << PLAIN_SEGMENT_HEADER_SHIFT) + PLAIN_SEGMENT_NARROW;
  const textAt = at + varintLength(segmentHeader) + varintLength(count);
  const end = textAt + count;
  if (end > bytes.length) return undefined;
  // Compare the two varints with what a plain line of this width holds (also rules out colours, attributes, links).
  const varints = putVarint(headerScratch, putVarint(headerScratch, 0, segmentHeader), count);
  for (let i = 0; i < varints; i++) if (bytes[at + i] !== headerScratch[i]) return undefined;
  for (let i = textAt; i < end; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x7e) return undefined;
  return { text: textAt, end };
}

/** Room for a plain line's two segment varints (plainLineTextAt compares them). */
const headerScratch = new Uint8Array(16);

/** How many bytes ByteWriter.varint writes for `value`. */
function varintLength(value: number): number {
  let length = 1;
  for (; value >= 0x80; length++) value = Math.floor(value / 0x80);
  return length;
}

/** ByteWriter.varint's bytes written at `at` into `bytes`; returns the offset after them. */
function putVarint(bytes: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    bytes[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  bytes[at++] = value;
  return at;
}

/**
 * Lines are written into shared 64 KiB slabs rather than an ArrayBuffer each (LogLineStore keeps where, not a view): a flood logs hundreds of
 * thousands of lines and drops all but the last 10,000, and one small malloc'd buffer per line (plus the writer's
 * own) fragmented the daemon's heap to twice its peak RSS. A slab lives while any line in it does; the log's lines
 * are contiguous, so at most the slabs at its two ends are partly dead.
 */
const SLAB_BYTES = 64 * 1024;
/** A line larger than this (bytes) gets a buffer of its own rather than most of a slab. */
const SLAB_LINE_MAX_BYTES = SLAB_BYTES / 8;
let slab = new Uint8Array(SLAB_BYTES);
let slabUsed = 0;

/** The array the last slabReserve placed its bytes in: the current slab, or a line's own array. */
let reservedIn: Uint8Array = slab;

/** Reserves `length` bytes for one line, in the current slab or (when large) an array of its own: their start in reservedIn. */
function slabReserve(length: number): number {
  if (length > SLAB_LINE_MAX_BYTES) {
    reservedIn = new Uint8Array(length);
    return 0;
  }
  if (slabUsed + length > SLAB_BYTES) {
    slab = new Uint8Array(SLAB_BYTES);
    slabUsed = 0;
  }
  reservedIn = slab;
  const start = slabUsed;
  slabUsed += length;
  return start;
}

function decodeLine(bytes: Uint8Array): Row {
  const reader = new ByteReader(bytes, 'scrollback line');
  const row = readLine(reader);
  reader.expectEnd();
  return row;
}

/** A logged line without its trailing erased default cells (a short line need not carry a screen's width of blanks). */
export function trimmedLogLine(row: Row): Row {
  let width = row.cells.length;
  while (width > 0) {
    const cell = row.cells[width - 1]!;
    if (cell.text !== '' || cell.width !== 1 || cell.fg !== 0 || cell.bg !== 0 || cell.attrs !== 0) break;
    width--;
  }
  if (width === row.cells.length) return row;
  return Object.freeze({ cells: Object.freeze(row.cells.slice(0, width)), wrapped: row.wrapped });
}

export { ByteReader, ByteWriter };
