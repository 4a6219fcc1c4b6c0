/**
 * Reading what a flooding program has already written, in one turn of the event loop instead of one read per turn.
 *
 * libuv reads a pty's master once per turn of the event loop: a read that returns less than its 64 KiB buffer ends
 * the turn's reading, and Linux hands out a pty's output at most 4095 bytes a read (the line discipline's buffer).
 * So a daemon whose turn is long (the mirror's parse, a snapshot and a frame per turn: 20–50 ms on a busy 2-core host)
 * takes 4 KB per turn while the program behind the pty may write a megabyte a second. The kernel's buffer (27–35 KB
 * here, read-coalesce.ts) then fills, and a program that watches its own output backlog gives up drawing: tmux stops
 * drawing once more than 8 bytes a cell wait for its terminal (tty.c, TTY_BLOCK) and draws again only at a 100 ms
 * timer once a whole interval passed with nothing to draw, so Ctrl-C in a flood waited 100–200 ms for tmux's prompt
 * (docs/benchmarks.md, "thin link"). Reading on while the kernel holds more keeps that buffer empty; the mirror's
 * own backlog stays bounded by PtyHost's flow control.
 */
import { readSync } from 'node:fs';

/**
 * bytes: a read this large filled the line discipline's buffer (N_TTY_BUF_SIZE 4096; a read gets at most 4095 of
 * it), so more is probably waiting. Smaller reads (an echo, a prompt) took all there was: no extra read for them.
 */
export const FULL_PTY_READ_BYTES = 4095;

/** bytes read at most in one drain: 64 KiB, the kernel's buffer, so one turn never takes more than it could hold. */
export const MAX_DRAIN_BYTES = 64 * 1024;

/** bytes asked for per read: more than a pty read ever gives, so one read takes all the line discipline has. */
const READ_BYTES = 16 * 1024;
/** One scratch buffer for every drain (reads are synchronous); each chunk handed on is a copy of its own size. */
const scratch = new Uint8Array(READ_BYTES);
/** readWaiting's buffer: a whole drain's reads side by side (drainWaiting's reads, in order), handed on as one copy. */
const whole = new Uint8Array(MAX_DRAIN_BYTES);

/** What a drain read: its bytes, and whether it ended because the kernel held no more (a short or empty read). */
export interface DrainResult {
  readonly bytes: number;
  /** The last read found everything there was: the program had written nothing more (write-boundary.ts). */
  readonly emptied: boolean;
}

/**
 * Reads from the non-blocking descriptor `fd` while it has data, handing each chunk (in order) to `take`, until a
 * read comes back short or empty (EAGAIN: nothing waits; EIO: the program's side is closed), `maxBytes` are read, or
 * `take` returns false (the reader's backlog is full). Never throws for a read error: what the descriptor says then
 * is for its owner's own reads to report.
 */
export function drainWaiting(fd: number, take: (chunk: Uint8Array) => boolean, maxBytes: number = MAX_DRAIN_BYTES): DrainResult {
  let total = 0;
  while (total < maxBytes) {
    const length = Math.min(READ_BYTES, maxBytes - total);
    let n: number;
    try {
      n = readSync(fd, scratch, 0, length, null);
    } catch {
      return { bytes: total, emptied: true };
    }
    if (n <= 0) return { bytes: total, emptied: true };
    total += n;
    const short = n < Math.min(FULL_PTY_READ_BYTES, length);
    if (!take(scratch.slice(0, n)) || short) return { bytes: total, emptied: short };
  }
  return { bytes: total, emptied: false };
}

/** What readWaiting read: the bytes of all its reads in one chunk, and whether the last found everything there was. */
export interface WaitingRead {
  readonly data: Uint8Array;
  /** As DrainResult's: the program had written nothing more when the last read was made. */
  readonly emptied: boolean;
}

/**
 * drainWaiting's reads joined into one chunk (a copy of their size): for a reader that reads a flood at intervals
 * (read-coalesce.ts), so the mirror parses one write a wake instead of one per 4095-byte read. Reads at most
 * `maxBytes` (capped at MAX_DRAIN_BYTES); never throws for a read error, as drainWaiting.
 */
export function readWaiting(fd: number, maxBytes: number = MAX_DRAIN_BYTES): WaitingRead {
  let total = 0;
  const { emptied } = drainWaiting(
    fd,
    (chunk) => {
      whole.set(chunk, total);
      total += chunk.byteLength;
      return true;
    },
    Math.min(maxBytes, MAX_DRAIN_BYTES),
  );
  return { data: whole.slice(0, total), emptied };
}
