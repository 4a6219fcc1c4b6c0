/**
 * InputStream: what the client synchronizes to the server, the user's keystrokes and window resizes, append-only.
 *
 * Every event occupies a span of absolute *positions*: a keys event one position per byte, a resize one position.
 * Positions never restart, so `subtract` can drop the acknowledged prefix while diffs, `eventsSince` and equality
 * keep meaning the same thing. Counting bytes rather than events is what lets a diff merge adjacent key events
 * (one keystroke per event on the client, one run of bytes on the wire) without the two ends disagreeing on where
 * the stream ends. Runs of plain text are merged; an edge next to a control key or Esc is kept (key-boundary.ts), so
 * the server can write those keys apart.
 *
 * Diff layout: '' when nothing is new, else u8 version(=2), varint from (the position the diff starts at, which
 * must be the end of the state it is applied to), varint count (≥ 1; so a truncated diff cannot pass for a shorter
 * one), then `count` events:
 *   u8 0 (keys)   varint length (≥ 1), the bytes            u8 1 (resize)   varint cols, varint rows
 *   u8 2 (terminal)   u8 flags, string version: what the user's terminal answered at start-up (terminal-capabilities.ts)
 */
import type { SyncState } from '@tsmosh/protocol';
import { isScreenSize, MAX_SCREEN_COLS, MAX_SCREEN_ROWS } from './framebuffer.js';
import { ByteReader, ByteWriter } from '@tsmosh/protocol';
import { keyBoundaryMatters } from './key-boundary.js';
import { GROUND, INPUT_CHUNK_BYTES, scanKeys, splitKeyEvent, type ScanState } from './input-chunks.js';
import { isCarriableTerminalVersion, terminalFlags, TERMINAL_FLAG_KITTY_KEYBOARD, TERMINAL_FLAG_SYNCHRONIZED_OUTPUT, TERMINAL_FLAGS_KNOWN, TERMINAL_VERSION_MAX, type TerminalCapabilities } from './terminal-capabilities.js';

export type InputEvent =
  | { readonly kind: 'keys'; readonly bytes: Uint8Array }
  | { readonly kind: 'resize'; readonly cols: number; readonly rows: number }
  /** What the user's terminal answered at start-up; the server answers the program's queries from it. */
  | { readonly kind: 'terminal'; readonly capabilities: TerminalCapabilities };

/** 2 since the `terminal` event. */
export const INPUT_DIFF_VERSION = 2;

const enum Tag {
  Keys = 0,
  Resize = 1,
  Terminal = 2,
}

/**
 * Logged events shared by the views appended from one another: appending to the newest view pushes instead of
 * copying, so typing costs O(1) per key however much is unacknowledged.
 */
interface Log {
  readonly events: InputEvent[];
  /** starts[i] is the absolute position of events[i]. */
  readonly starts: number[];
  /** scans[i] is the key bytes' scan state after events[i] (input-chunks.ts), where the next key event is cut. */
  readonly scans: ScanState[];
  /** The scan state before events[0]. */
  readonly scanBefore: ScanState;
}

function emptyLog(scanBefore: ScanState): Log {
  return { events: [], starts: [], scans: [], scanBefore };
}

/** The entries [from, to) of `log` as a fresh log. */
function sliceLog(log: Log, from: number, to: number): Log {
  return {
    events: log.events.slice(from, to),
    starts: log.starts.slice(from, to),
    scans: log.scans.slice(from, to),
    scanBefore: from > 0 ? log.scans[from - 1]! : log.scanBefore,
  };
}

/**
 * Once the acknowledged prefix still held in a shared log is at least this many events (and half the log), the
 * remaining events move to a fresh log so the acknowledged ones can be garbage-collected. Events, not bytes: the
 * cost being bounded is the copy of the unacknowledged tail.
 */
const COMPACT_AFTER_EVENTS = 256;

function units(event: InputEvent): number {
  return event.kind === 'keys' ? event.bytes.length : 1;
}

function checkResize(cols: number, rows: number, where: string): void {
  if (!isScreenSize(cols, rows)) {
    throw new RangeError(`${where}: resize to ${cols}x${rows} is outside 1x1 to ${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS}`);
  }
}

export class InputStream implements SyncState<InputStream> {
  private constructor(
    private readonly log: Log,
    /** Index in the log of the event containing `start` (which may have been partly acknowledged). */
    private readonly firstIndex: number,
    /** Index in the log one past the last event of this view. */
    private readonly endIndex: number,
    /** Absolute position of the first event this state still holds (everything before it was acknowledged). */
    readonly start: number,
    /** Absolute position one past the last event: the number of positions ever appended. */
    readonly end: number,
  ) {}

  static empty(): InputStream {
    return new InputStream(emptyLog(GROUND), 0, 0, 0, 0);
  }

  /**
   * This stream with `event` added. Key bytes are copied, so the caller may reuse its buffer. A keys event longer
   * than INPUT_CHUNK_BYTES is logged as chunks cut where the cut changes nothing for the program (input-chunks.ts),
   * so that `prefix` can hand the transport part of it; the wire merges the chunks again (their edges never matter).
   */
  append(event: InputEvent): InputStream {
    let copy: InputEvent;
    if (event.kind === 'keys') {
      if (event.bytes.length === 0) return this;
      const bytes = event.bytes.slice();
      if (bytes.length > INPUT_CHUNK_BYTES) {
        let state: InputStream = this;
        for (const chunk of splitKeyEvent(bytes, this.scanEnd)) state = state.appendOwned(Object.freeze({ kind: 'keys', bytes: chunk }));
        return state;
      }
      copy = Object.freeze({ kind: 'keys', bytes });
    } else if (event.kind === 'resize') {
      checkResize(event.cols, event.rows, 'InputStream.append');
      copy = Object.freeze({ kind: 'resize', cols: event.cols, rows: event.rows });
    } else if (event.kind === 'terminal') {
      const { kittyKeyboard, synchronizedOutput, version } = event.capabilities;
      if (!isCarriableTerminalVersion(version)) {
        throw new RangeError(`InputStream.append: terminal version ${JSON.stringify(version.slice(0, 40))} is not printable ASCII of at most ${TERMINAL_VERSION_MAX} characters`);
      }
      copy = Object.freeze({ kind: 'terminal', capabilities: Object.freeze({ kittyKeyboard, synchronizedOutput, version }) });
    } else {
      throw new RangeError(`InputStream.append: unknown event kind ${(event as { kind: unknown }).kind}`);
    }
    return this.appendOwned(copy);
  }

  private appendOwned(event: InputEvent): InputStream {
    let log = this.log;
    let firstIndex = this.firstIndex;
    const scanBefore = this.scanEnd;
    if (log.events.length !== this.endIndex) {
      // Another state was already appended to this one (or this is a prefix): branch off with a copy of its events.
      log = sliceLog(log, firstIndex, this.endIndex);
      firstIndex = 0;
    }
    log.events.push(event);
    log.starts.push(this.end);
    log.scans.push(event.kind === 'keys' ? scanKeys(event.bytes, scanBefore) : scanBefore);
    return new InputStream(log, firstIndex, log.events.length, this.start, this.end + units(event));
  }

  /** The key bytes' scan state at this stream's end (input-chunks.ts). */
  private get scanEnd(): ScanState {
    return this.endIndex > 0 ? this.log.scans[this.endIndex - 1]! : this.log.scanBefore;
  }

  /**
   * This stream up to the first event boundary at or after position `limit` (clamped to start…end): what the client
   * hands the transport when it holds more input than its window (input-window.ts). Rounding up means a limit past
   * `start` always takes at least one event, so an event longer than the window (one indivisible unit) still goes.
   * Shares this stream's log, without copying.
   */
  prefix(limit: number): InputStream {
    if (limit >= this.end) return this;
    if (limit <= this.start) return new InputStream(this.log, this.firstIndex, this.firstIndex, this.start, this.start);
    const index = this.indexAt(limit - 1);
    const event = this.log.events[index]!;
    const end = this.log.starts[index]! + units(event);
    if (end >= this.end) return this;
    return new InputStream(this.log, this.firstIndex, index + 1, this.start, end);
  }

  /** Index of the event containing absolute position `position` (start ≤ position < end). */
  private indexAt(position: number): number {
    let low = this.firstIndex;
    let high = this.endIndex - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.log.starts[middle]! <= position) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  /** The events covering positions [from, this.end), the first cut at `from` if it falls inside a key run. */
  private eventsFrom(from: number): InputEvent[] {
    if (from >= this.end) return [];
    const first = this.indexAt(from);
    const events = this.log.events.slice(first, this.endIndex);
    const offset = from - this.log.starts[first]!;
    if (offset > 0) {
      const head = events[0] as { kind: 'keys'; bytes: Uint8Array };
      events[0] = Object.freeze({ kind: 'keys', bytes: head.bytes.subarray(offset) });
    }
    return events;
  }

  /**
   * Events the log under this state keeps alive, acknowledged ones included (a long session's memory; for tests and
   * diagnostics): `subtract` lets the acknowledged ones go.
   */
  get loggedEvents(): number {
    return this.log.events.length;
  }

  /** The events this state still holds (those not yet dropped by `subtract`). */
  get events(): InputEvent[] {
    return this.eventsFrom(this.start);
  }

  /**
   * What this state holds beyond `older`: the events the server has not yet fed to the pty. Throws RangeError when
   * some of them were already dropped by `subtract` (the caller subtracted past what it processed).
   */
  eventsSince(older: InputStream): InputEvent[] {
    if (older.end < this.start) {
      throw new RangeError(`InputStream.eventsSince: positions ${older.end}–${this.start} were already dropped by subtract; subtract only what has been processed`);
    }
    return this.eventsFrom(older.end);
  }

  /** This stream without the prefix `acked` holds. */
  subtract(acked: InputStream): InputStream {
    const start = Math.min(Math.max(acked.end, this.start), this.end);
    if (start === this.start) return this;
    // Everything acknowledged: a fresh log lets the old events go.
    if (start === this.end) return new InputStream(emptyLog(this.scanEnd), 0, 0, start, start);
    const first = this.indexAt(start);
    if (first >= COMPACT_AFTER_EVENTS && first * 2 >= this.log.events.length) {
      const log = sliceLog(this.log, first, this.endIndex);
      return new InputStream(log, 0, log.events.length, start, this.end);
    }
    return new InputStream(this.log, first, this.endIndex, start, this.end);
  }

  /** The events after `existing`'s end, adjacent key events merged; empty when there are none. */
  diffFrom(existing: InputStream): Uint8Array {
    const from = existing.end;
    if (from === this.end) return new Uint8Array(0);
    if (from < this.start || from > this.end) {
      throw new RangeError(
        `InputStream.diffFrom: the base ends at position ${from}, outside the positions ${this.start}–${this.end} this state holds; diff only against a state this one grew from and has not subtracted past`,
      );
    }
    const out = new ByteWriter();
    out.u8(INPUT_DIFF_VERSION);
    out.varint(from);
    const body = new ByteWriter();
    out.varint(encodeEvents(this.eventsFrom(from), body, true));
    out.append(body);
    return out.finish();
  }

  /** Throws RangeError when `diff` is malformed or was made for a stream ending elsewhere. */
  applyDiff(diff: Uint8Array): InputStream {
    if (diff.length === 0) return this;
    const reader = new ByteReader(diff, 'input diff');
    const version = reader.u8('version');
    if (version !== INPUT_DIFF_VERSION) {
      reader.fail(`version ${version} is not the version this build speaks (${INPUT_DIFF_VERSION}); run the same tsmosh version on both ends`);
    }
    const from = reader.varint('start position');
    if (from !== this.end) reader.fail(`the diff starts at position ${from} but this stream ends at ${this.end}: it was made for another base state`);
    const count = reader.varint('event count');
    if (count === 0) reader.fail('the diff holds no events');
    let state: InputStream = this;
    for (let i = 0; i < count; i++) {
      const tag = reader.u8('event tag');
      if (tag === Tag.Keys) {
        const length = reader.varint('key bytes length');
        if (length === 0) reader.fail('a keys event holds no bytes');
        state = state.appendOwned(Object.freeze({ kind: 'keys', bytes: reader.take(length, 'key bytes').slice() }));
      } else if (tag === Tag.Resize) {
        const cols = reader.varint('resize cols', MAX_SCREEN_COLS);
        const rows = reader.varint('resize rows', MAX_SCREEN_ROWS);
        if (cols === 0 || rows === 0) reader.fail(`resize to ${cols}x${rows} is not positive`);
        state = state.appendOwned(Object.freeze({ kind: 'resize', cols, rows }));
      } else if (tag === Tag.Terminal) {
        const flags = reader.u8('terminal flags');
        if ((flags & ~TERMINAL_FLAGS_KNOWN) !== 0) reader.fail(`terminal flags ${flags} hold unknown bits`);
        const version = reader.string('terminal version');
        if (!isCarriableTerminalVersion(version)) reader.fail(`terminal version is not printable ASCII of at most ${TERMINAL_VERSION_MAX} characters`);
        const capabilities = Object.freeze({
          kittyKeyboard: (flags & TERMINAL_FLAG_KITTY_KEYBOARD) !== 0,
          synchronizedOutput: (flags & TERMINAL_FLAG_SYNCHRONIZED_OUTPUT) !== 0,
          version,
        });
        state = state.appendOwned(Object.freeze({ kind: 'terminal', capabilities }));
      } else {
        reader.fail(`event tag ${tag} is unknown`);
      }
    }
    reader.expectEnd();
    return state;
  }

  /**
   * Same position and the same events wherever both still hold them. How much of the acknowledged prefix each has
   * dropped, and how key bytes are split into events, does not matter.
   */
  equals(other: InputStream): boolean {
    if (this === other) return true;
    if (this.end !== other.end) return false;
    // Views of one shared log that end at the same place hold the same history (the log is append-only).
    if (this.log === other.log) return true;
    const from = Math.max(this.start, other.start);
    const mine = new ByteWriter();
    encodeEvents(this.eventsFrom(from), mine, false);
    const theirs = new ByteWriter();
    encodeEvents(other.eventsFrom(from), theirs, false);
    const a = mine.finish();
    const b = theirs.finish();
    return a.length === b.length && a.every((byte, i) => byte === b[i]);
  }
}

/**
 * Writes the events, adjacent keys merged into one record, except (with `keepKeyEdges`) where the edge between two
 * of them matters to the program that reads them (key-boundary.ts); returns the number of records written.
 */
function encodeEvents(events: readonly InputEvent[], out: ByteWriter, keepKeyEdges: boolean): number {
  let records = 0;
  for (let i = 0; i < events.length; records++) {
    const event = events[i]!;
    if (event.kind === 'resize') {
      out.u8(Tag.Resize);
      out.varint(event.cols);
      out.varint(event.rows);
      i++;
      continue;
    }
    if (event.kind === 'terminal') {
      out.u8(Tag.Terminal);
      out.u8(terminalFlags(event.capabilities));
      out.string(event.capabilities.version);
      i++;
      continue;
    }
    let next = i;
    let length = 0;
    while (next < events.length && events[next]!.kind === 'keys') {
      const bytes = (events[next] as { bytes: Uint8Array }).bytes;
      if (next > i && keepKeyEdges && keyBoundaryMatters((events[next - 1] as { bytes: Uint8Array }).bytes, bytes)) break;
      length += bytes.length;
      next++;
    }
    out.u8(Tag.Keys);
    out.varint(length);
    for (let k = i; k < next; k++) out.bytes((events[k] as { bytes: Uint8Array }).bytes);
    i = next;
  }
  return records;
}
