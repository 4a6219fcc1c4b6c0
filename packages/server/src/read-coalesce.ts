/**
 * Reading a flood every few milliseconds instead of at every one of the program's writes.
 *
 * tmux beside a flood writes its terminal (the daemon's pty) in pieces of a few hundred bytes, about one a
 * millisecond: ~3000 writes for `seq 1 3000000` in a two-pane tmux. The daemon woke for each (libuv polls the pty's
 * master and reads whatever one write left), so in a warm flood its main thread spent a fifth of its time in the
 * kernel, half of that switching in and out (docs/benchmarks-journal.md, "The daemon's CPU per flood: xterm's scroll region
 * and erases"), and the mirror parsed each piece as a write of its own. Once reads have come back to back for a
 * while, the pty host stops polling the master after a read and reads what waits FLOOD_READ_INTERVAL_MS later, in
 * one chunk; a wake that finds nothing (the flood ended) and any input (a key's echo, Ctrl-C's prompt, a small answer
 * follow) put it back to reading each write as it comes.
 *
 * Pure: `now` (ms) is an argument. The host calls `read` for every read (0 bytes: a wake of its own found nothing),
 * `input` for every write into the program, and after each wake's reads asks `nextReadAt`: undefined means read as
 * data comes, a time means stop polling and read again then.
 */
import { ANSWER_WINDOW_MS } from './answer-output.js';

/**
 * The wait between two reads of a flood (ms). tmux, keeping up with `seq`, wrote its terminal at 0.5–1.1 MB/s in the
 * measured floods (mosh-server read it at 0.9–1.1 MB/s, docs/benchmarks-journal.md "tmux's Ctrl-C on the thin link"), so
 * 5 ms lets 2.5–5.5 KB wait: a handful of the kernel's 4095-byte reads, taken in one wake. tmux gives up drawing once
 * the kernel's pty buffer (27–35 KB measured here, see FLOOD_MAX_BYTES) and its own TTY_BLOCK allowance (8 bytes a
 * cell, ~15 KB at 80x24) are full: ~45 KB, which at this interval would need 9 MB/s, eight times the fastest rate
 * measured and more than five times FLOOD_MAX_BYTES's. The end of a flood waits for this interval once (the wake
 * that finds nothing).
 */
export const FLOOD_READ_INTERVAL_MS = 5;

/**
 * Longest gap between two reads (ms) that still continues a run of reads. tmux in a flood writes about every
 * millisecond; 10 ms keeps a run going through a busy turn of the daemon's loop, while a person's keys (and their
 * echoes) are tens of ms apart at the fastest.
 */
export const RUN_GAP_MS = 10;

/**
 * A run is a flood once it has lasted this long (ms): a program's redraw (vim, htop, a listing) comes in one burst
 * of a few ms, read in one turn (pty-drain.ts), and is never waited on; output that keeps coming for longer than the
 * frame pacing's shortest interval (20 ms) is a flood nobody reads line by line.
 */
export const FLOOD_MIN_MS = 20;

/**
 * ...and brings this many bytes within about the last FLOOD_MIN_MS (a decaying sum): 4 KiB in 20 ms, ~200 KB/s, a
 * third of what tmux wrote in the measured floods. A progress bar or a clock writing every few ms is a run, but a
 * slow one (100 bytes every 5 ms is 400 bytes), whose wake-ups cost little. Reading at intervals ends too when the
 * rate falls below it.
 */
export const FLOOD_MIN_BYTES = 4 * 1024;

/**
 * ...and fewer than this (about 1.6 MB/s). Linux's pty held 27–35 KB of a `seq` that was not read (measured here by
 * stopping the reads for 300 ms), so a program writing much faster than this fills it within an interval or two and
 * then waits for the daemon: `seq 1 300000` in bash read at intervals took 700–830 ms to its prompt on the thin link
 * against 443–454 ms polled. Such a program's reads are large anyway (a full read and a drain a turn), so waking
 * for each costs little. tmux's floods (0.5–1.1 MB/s) stay below it.
 */
export const FLOOD_MAX_BYTES = 32 * 1024;

/**
 * How long after input (ms) each read is taken as it comes: the window in which the program's output counts as the
 * input's answer (answer-output.ts, mosh's ECHO_TIMEOUT). A key's echo, Enter's output and Ctrl-C's prompt come
 * within it when the program keeps up; later output is the flood's again, and waits at most one interval.
 */
export const AFTER_INPUT_MS = ANSWER_WINDOW_MS;

export class FloodReads {
  /** When the current run of reads began, and what it has brought; undefined: no run (quiet, or after input). */
  private runStart: number | undefined;
  /** Bytes read within about the last FLOOD_MIN_MS: each read's bytes, decaying by e every FLOOD_MIN_MS. */
  private recentBytes = 0;
  private lastReadAt = -Infinity;
  private inputAt = -Infinity;
  /** The host is reading every FLOOD_READ_INTERVAL_MS (the last `nextReadAt` gave a time). */
  private coalescing = false;

  /** Whether the host is reading at intervals now. */
  get active(): boolean {
    return this.coalescing;
  }

  /** Input was written to the program at `now`: its answer is read as it comes. */
  input(now: number): void {
    this.inputAt = now;
    this.coalescing = false;
  }

  /**
   * `bytes` were read at `now`. 0: a wake of the host's own found nothing waiting, so the flood is over (the next
   * output is read as it comes, and has to make a new run).
   */
  read(bytes: number, now: number): void {
    if (bytes <= 0) {
      this.runStart = undefined;
      this.coalescing = false;
      return;
    }
    // While reading at intervals the gaps are the interval (and a late timer's lateness): still the same flood.
    if (this.runStart === undefined || (!this.coalescing && now > this.lastReadAt + RUN_GAP_MS)) this.runStart = now;
    this.recentBytes = this.recentBytes * Math.exp(-Math.max(0, now - this.lastReadAt) / FLOOD_MIN_MS) + bytes;
    this.lastReadAt = now;
  }

  /**
   * After a wake's reads, at `now`: when the host is to read next (ms), or undefined to read as data comes (poll).
   */
  nextReadAt(now: number): number | undefined {
    if (now < this.inputAt + AFTER_INPUT_MS) {
      this.coalescing = false;
      return undefined;
    }
    const start = this.runStart;
    this.coalescing = start !== undefined && now >= start + FLOOD_MIN_MS && this.recentBytes >= FLOOD_MIN_BYTES && this.recentBytes < FLOOD_MAX_BYTES;
    return this.coalescing ? now + FLOOD_READ_INTERVAL_MS : undefined;
  }

  /** The host went back to reading as data comes for a reason of its own (flow control, exit). */
  stop(): void {
    this.coalescing = false;
  }
}
