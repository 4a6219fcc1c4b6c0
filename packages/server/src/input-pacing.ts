/**
 * How the input events that reach the daemon together are written into the pty.
 *
 * The client sends paced (one datagram per interval, longer after a loss or during an outage), so keys the user typed
 * apart can arrive in one state. Written back to back, the program reads them in one read, and some programs read a
 * key differently when it shares a read with another:
 * - Ink, Claude Code's UI, splits a read into keys at each Esc: Esc followed by a key in one read is Alt+key, so the
 *   Escape that was to interrupt Claude is lost. A read that ends in a lone Esc is held: upstream Ink until its next
 *   turn (setImmediate), Claude Code 2.1 for 50 ms, and a key read within that time still joins it as Alt+key
 *   (neovim's `ttimeoutlen` is 50 ms too). Upstream Ink also takes a control byte inside a run of text as text
 *   (`a` then Ctrl-C, or `ls` then Enter, in one read: neither key is seen).
 * - tmux (server_client_assume_paste, 3.3a) times each key it parses: a key less than `assume-paste-time` (1 ms) after
 *   the previous one, when that one also came that fast, counts as pasted and runs no binding. `x Ctrl-B o` in one
 *   read: `o` goes to the pane, not to tmux.
 *
 * So an event next to a control key or Esc (key-boundary.ts; the wire keeps those edges) is written apart from the
 * one before it, after a gap; plain text typed in a batch still goes in at once, and a paste (one event) stays one
 * write. Events wait in order: a resize or a terminal report behind a waiting key waits with it. A key that arrives
 * with nothing written just before goes in the same turn, as before: the common path costs nothing.
 *
 * Pure: every method takes `now` (ms, the session's clock).
 */
import { isLoneEscape, keyBoundaryMatters, type InputEvent } from '@tsmosh/terminal';

/**
 * After the Escape key (an event that is a lone Esc), the next key waits this long (ms): twice the 50 ms that Claude
 * Code and neovim hold a lone Esc for before taking it as the Escape key, so their timer has fired (and been run, on
 * a busy machine) before the next key can join the Esc as Alt+key.
 */
export const ESCAPE_KEY_GAP_MS = 100;

/**
 * Between two key events whose edge matters (either is a control key, Esc or a sequence; key-boundary.ts), the
 * later waits this long after the earlier was written (ms): the program is to read them in separate reads, and tmux
 * to see them more than its `assume-paste-time` (1 ms) apart. Ten times that leaves room for a reader that is a few
 * ms late on a loaded machine, and is still under the client's shortest send interval (20 ms), so keys from separate
 * datagrams never wait for it.
 */
export const SEPARATE_KEY_GAP_MS = 10;

/**
 * No event waits longer than this after it arrived (ms): a backlog (keys held down through an outage, hundreds of
 * arrows) goes in at once after it rather than trickling in for seconds. Room for an Esc and a key behind it
 * (ESCAPE_KEY_GAP_MS plus SEPARATE_KEY_GAP_MS) with margin; about the client's longest send interval.
 */
export const PACED_WAIT_MAX_MS = 250;

/** Taken events kept at the front of the queue before it is cut (events): a copy per this many, not per take. */
const COMPACT_AFTER_TAKEN = 256;

/** An input event and the input-stream position just past it (where an echo acknowledgement of it points). */
export interface PacedEvent {
  readonly event: InputEvent;
  readonly end: number;
}

interface Waiting extends PacedEvent {
  readonly arrivedAt: number;
}

/** The gap (ms) a key event `after` keeps from the key event `before` written ahead of it. */
export function keyGapMs(before: Uint8Array, after: Uint8Array): number {
  if (isLoneEscape(before)) return ESCAPE_KEY_GAP_MS;
  return keyBoundaryMatters(before, after) ? SEPARATE_KEY_GAP_MS : 0;
}

export class InputPacer {
  private waiting: Waiting[] = [];
  /** Index of the first event still waiting (events before it were taken; the array is cut when it empties). */
  private head = 0;
  /** The last key event written and when (ms): the gap counts from it, across states and links (it is one pty). */
  private lastKeys: Uint8Array | undefined;
  private lastKeysAt = -Infinity;

  /** Queues events in arrival order behind any still waiting. */
  add(events: readonly PacedEvent[], now: number): void {
    for (const paced of events) this.waiting.push({ event: paced.event, end: paced.end, arrivedAt: now });
  }

  get pending(): number {
    return this.waiting.length - this.head;
  }

  /** When the first waiting event is due (absolute ms); Infinity when none waits. */
  dueAt(): number {
    const first = this.waiting[this.head];
    return first === undefined ? Infinity : this.dueAtOf(first);
  }

  /** The events to write now, in order: all up to the first that must still wait. */
  take(now: number): PacedEvent[] {
    const taken: PacedEvent[] = [];
    while (this.head < this.waiting.length) {
      const next = this.waiting[this.head]!;
      if (now < this.dueAtOf(next)) break;
      this.head++;
      taken.push(this.written(next, now));
    }
    this.compact();
    return taken;
  }

  /** Every waiting event at once, in order, whatever its gap: for when nobody reads them apart (the session ends, its client is replaced). */
  drain(now: number): PacedEvent[] {
    const taken = this.waiting.slice(this.head).map((next) => this.written(next, now));
    this.head = this.waiting.length;
    this.compact();
    return taken;
  }

  private dueAtOf(next: Waiting): number {
    if (next.event.kind !== 'keys' || this.lastKeys === undefined) return -Infinity;
    const gap = keyGapMs(this.lastKeys, next.event.bytes);
    if (gap === 0) return -Infinity;
    // The same sums the step compares `now` against (never `now - start >= gap`: floating point).
    return Math.min(this.lastKeysAt + gap, next.arrivedAt + PACED_WAIT_MAX_MS);
  }

  private written(next: Waiting, now: number): PacedEvent {
    if (next.event.kind === 'keys') {
      this.lastKeys = next.event.bytes;
      this.lastKeysAt = now;
    }
    return { event: next.event, end: next.end };
  }

  private compact(): void {
    if (this.head === this.waiting.length) {
      this.waiting = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER_TAKEN && this.head * 2 >= this.waiting.length) {
      // Input that never lets the queue empty: drop the taken prefix now and then, not at every take.
      this.waiting = this.waiting.slice(this.head);
      this.head = 0;
    }
  }
}

/** `events` as they follow position `from` in the input stream, each with the position just past it. */
export function pacedEvents(events: readonly InputEvent[], from: number): PacedEvent[] {
  let end = from;
  return events.map((event) => {
    end += event.kind === 'keys' ? event.bytes.length : 1;
    return { event, end };
  });
}
