/**
 * Offering the program's screen only between its writes, never half-drawn.
 *
 * A program that redraws part of the screen moves the cursor there, draws, and moves it back: tmux beside a flood
 * moves it into the flooding pane for every redraw and then back to the pane being typed in. Linux hands a pty's
 * output out at most 4095 bytes a read, so one such redraw may come in several reads, and a screen taken between two
 * of them has the cursor in the middle of the other pane. Sent to the client, that screen was the base its
 * prediction engine placed the next key's guess on (in the wrong pane), and paired with the acknowledgement of a
 * typed key's echo it made a right guess look wrong (the cursor not where the echo put it): on the thin link beside
 * `seq` in tmux most keys' guesses were erased or dropped and the keys waited a round trip for the real echo
 * (docs/benchmarks.md, "A thin link").
 *
 * Two signs say a screen is between two of the program's writes ("at rest"). The read ended a write: it came back
 * shorter than a full read, so it took everything the kernel held (or the next read found nothing, pty-drain.ts). A
 * flood read at intervals (read-coalesce.ts) comes as one chunk of several reads, at rest by the same sign: its last
 * read was short. Waiting between reads does not change what that says (the kernel held nothing more when it was
 * read); the program's writes that came during the wait are in the chunk, whole or cut by the last full read.
 * And no partial scroll region is in force: tmux sets one to scroll a pane and resets it, and puts the cursor back,
 * at the end of its update; its own writes, a few hundred bytes each, end anywhere in between, so in the traced
 * thin-link runs one short read in seven ended with the cursor still in the flooding pane. A region the program
 * keeps (a progress bar's reserved line) is learned once a hold runs out with it in force, and counts as at rest
 * from then on, until the region is reset. Screens that are not at rest are held back, as a DEC 2026 synchronized
 * frame is, for at most MID_WRITE_MAX_HOLD_MS, so a program whose output never pauses (a flood the daemon reads
 * behind) still shows.
 */
import { FULL_PTY_READ_BYTES } from './pty-drain.js';

/**
 * Longest (ms) the screen offered may lag the mirror while no read ended at rest. tmux, keeping up with a flood,
 * came to rest every 1–2 ms in the traced runs, and a redraw that spans full reads is read in one turn (pty-drain.ts)
 * and parsed within a few ms; 20 ms is longer than that on a busy machine and no longer than the frame pacing's
 * shortest interval, so a flood read behind still shows at the rate frames can go.
 */
export const MID_WRITE_MAX_HOLD_MS = 20;

/** One read of the program's output, from when it was read until the mirror has parsed it. */
export interface OutputRead {
  /** Nothing more was waiting after it: it ends one of the program's writes. */
  endsWrite: boolean;
  parsed: boolean;
  /** Once parsed: a scroll region not learned as the program's own was in force (a redraw under way). */
  drawing: boolean;
}

/**
 * Which parsed reads may show (pure: `now` in ms is an argument). The host calls `read` for each read in order,
 * `nothingAfter` when a read finds the kernel empty, `parsed` as the mirror finishes each read (with the partial
 * scroll region then in force, if any), and offers the mirror's screen whenever one of them returns true (or
 * `expire` does, at `holdDeadline`).
 */
export class WriteBoundary {
  private last: OutputRead | undefined;
  /** When the screen offered began lagging the mirror (the first read parsed mid-write since the last offer). */
  private heldSince: number | undefined;
  /** A partial scroll region the program keeps while at rest (learned when a hold ran out with it in force). */
  private restingRegion: string | undefined;
  /** The partial scroll region after the newest parsed read. */
  private region: string | undefined;

  /**
   * A read of `bytes` bytes: it ends a write if it is shorter than a full read. A chunk joined from several reads
   * (a flood read at intervals, read-coalesce.ts) says itself whether its last read found everything (`endsWrite`):
   * its size says nothing then.
   */
  read(bytes: number, endsWrite: boolean = bytes < FULL_PTY_READ_BYTES): OutputRead {
    const read = { endsWrite, parsed: false, drawing: false };
    this.last = read;
    return read;
  }

  /**
   * The kernel held nothing after the newest read: it ends a write. True when it is parsed already and its screen
   * is held back only for want of that: offer it now.
   */
  nothingAfter(): boolean {
    const read = this.last;
    if (read === undefined || read.endsWrite) return false;
    read.endsWrite = true;
    if (!read.parsed || read.drawing || this.heldSince === undefined) return false;
    this.heldSince = undefined;
    return true;
  }

  /**
   * The mirror has parsed `read` (reads are parsed in order), and `region` is the scroll region in force when it is
   * narrower than the screen: whether the screen now may be offered.
   */
  parsed(read: OutputRead, now: number, region?: string): boolean {
    read.parsed = true;
    this.region = region;
    if (region === undefined) this.restingRegion = undefined;
    read.drawing = region !== undefined && region !== this.restingRegion;
    if ((read.endsWrite && !read.drawing) || this.expire(now)) {
      this.heldSince = undefined;
      return true;
    }
    this.heldSince ??= now;
    return false;
  }

  /** Offer the screen now whatever was read (the program exited, the screen was resized). */
  release(): void {
    this.heldSince = undefined;
  }

  /** Whether the screen offered lags the mirror now. */
  get holding(): boolean {
    return this.heldSince !== undefined;
  }

  /** When a held screen is to be offered even if no read comes (ms); undefined when nothing is held. */
  get holdDeadline(): number | undefined {
    return this.heldSince === undefined ? undefined : this.heldSince + MID_WRITE_MAX_HOLD_MS;
  }

  /**
   * At `now`, whether the hold has run out (also the host's timer): if so it is over, the screen is to be offered,
   * and a partial scroll region in force is the program's own.
   */
  expire(now: number): boolean {
    if (this.heldSince === undefined || now < this.heldSince + MID_WRITE_MAX_HOLD_MS) return false;
    this.heldSince = undefined;
    if (this.region !== undefined) this.restingRegion = this.region;
    return true;
  }
}

/**
 * The screen offered to the session. The host offers a screen (tells the session a new one may be taken) after each
 * read at rest and when a hold runs out, but takes it from the mirror only when the session asks and nothing is held:
 * a mirror snapshot walks the whole screen, and in a flood the host offers every 0.2–2 ms while the session sends a
 * frame every 20 ms or more. If a newer read began a hold before the session asked, the screen offered is gone and
 * the one kept is older (on the thin link beside a flood about 13 times a run, up to 60 ms older:
 * docs/benchmarks.md); `behindOffer` says so, and the session then waits for the next offer, which the hold's bound
 * makes at most MID_WRITE_MAX_HOLD_MS away, instead of sending the older screen.
 */
export class OfferedScreen<S> {
  /** Whether the screen kept is at least as new as the newest offer. */
  private taken = true;

  constructor(private screen: S) {}

  /** A new screen was offered (the mirror's, now). */
  offer(): void {
    this.taken = false;
  }

  /** The screen to give the session: `current()` when nothing is held (it is then kept), else the one kept. */
  take(holding: boolean, current: () => S): S {
    if (!holding) {
      this.screen = current();
      this.taken = true;
    }
    return this.screen;
  }

  /** The screen kept (the last one taken). */
  get kept(): S {
    return this.screen;
  }

  /** While `holding`: whether a screen offered since the last one taken is held back (the one kept is older). */
  behindOffer(holding: boolean): boolean {
    return holding && !this.taken;
  }
}
