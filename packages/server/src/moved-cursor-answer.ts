/**
 * A control key answered by where the cursor now rests, beside output that never goes quiet.
 *
 * A key that is not a typed character (Ctrl-B o, an arrow key) is acknowledged once the program's output has been
 * quiet ECHO_SETTLE_MS, or at the echo timeout (session.ts). Beside a flood nothing is ever quiet: tmux's pane switch
 * (Ctrl-B o, the cursor moved to the other pane) was on the client's screen 12–19 ms before its acknowledgement came
 * at the daemon's 50 ms timeout, and the first key typed in the new pane waited for that acknowledgement (its guess
 * hidden behind the `o`'s, judged only then: docs/benchmarks-journal.md, the thin link's first key). Here a key is answered
 * too once MOVED_FRAMES frames in a row (screens the pty offered at rest, between writes) have the cursor on one
 * row other than the row it was on when the key was written: the program put it there and keeps it there while it
 * writes. A flood in one pane leaves the cursor on the row it scrolls at, so it never answers the key itself.
 *
 * Keys with Enter or a line feed in them are left out: a command's output moves the cursor down row by row and is not
 * all there at its second frame.
 */
import type { CursorCell } from './typed-echo.js';

/**
 * Frames in a row (offered screens) with the cursor resting on the new row before it counts as the answer. One could
 * be a read that ended mid-write past the pty host's hold (its bound, 20 ms); two at rest on the same row are the
 * program's. tmux beside a flood offers a frame every 0.2–20 ms, so the second follows the first within the hold.
 */
export const MOVED_FRAMES = 2;

/** Whether a key's answer may be judged by where the cursor rests (not a typed character, no Enter or line feed). */
export function answerableByCursor(bytes: Uint8Array): boolean {
  return !bytes.includes(0x0d) && !bytes.includes(0x0a);
}

/** Follows the cursor over the frames after a key was written: whether it moved to another row and rests there. */
export class MovedCursorWatch {
  private row: number | undefined;
  private frames = 0;

  /** `from`: the cursor when the key was written. */
  constructor(private readonly from: Pick<CursorCell, 'y'>) {}

  /** A frame the pty offered, its cursor at `cursor`. */
  frame(cursor: Pick<CursorCell, 'y'>): void {
    if (cursor.y === this.from.y) {
      this.row = undefined;
      this.frames = 0;
    } else if (cursor.y === this.row) {
      this.frames++;
    } else {
      this.row = cursor.y;
      this.frames = 1;
    }
  }

  /** The cursor has rested on another row for MOVED_FRAMES frames in a row. */
  get answered(): boolean {
    return this.frames >= MOVED_FRAMES;
  }
}
