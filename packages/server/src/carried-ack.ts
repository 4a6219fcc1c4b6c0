/**
 * An Enter's echo acknowledgement carried on the answer frame that follows it instead of a frame of its own.
 *
 * Why: an Enter in a shell is answered in several writes: its echo (`\r\n`), then, once the command has started, its
 * output and the prompt. The daemon decides the Enter's acknowledgement once the echo has been quiet ECHO_SETTLE_MS
 * (session.ts advanceEchoAck), which falls during the command, and sent it alone: a frame 2–4 ms after the echo that
 * shows nothing, 17 % of the daemon's CPU in an Enter's window and a receive and draw at the client (docs/benchmarks.md,
 * session 22, enter7), just as the command wants the core. Held instead, it goes with the command's output or the
 * prompt, whichever comes first.
 *
 * What the acknowledgement is for stays: the client judges the guesses of the input it covers against the screen it
 * comes with (prediction.ts). An Enter's only guess is a cursor move to the start of the next row; judged against the
 * output's screen it would be wrong (the output moved the cursor on). So a carried acknowledgement says where the
 * screen it was decided on had the cursor (ScreenState.answeredCursor), and the client judges the cursor guesses it
 * newly covers there: the same verdict as before. Only an Enter alone is held: a typed character's guess is a cell,
 * judged by the cells, which later output may change, and its acknowledgement rides on its echo anyway.
 *
 * Pure: every method takes `now` (ms, the session's clock).
 */
import type { AnsweredCursor, Framebuffer } from '@tsmosh/terminal';
import { ANSWER_WINDOW_MS } from './answer-output.js';

/**
 * The longest (ms after the Enter reached the pty) its acknowledgement waits for a frame to carry it; past it, it goes
 * alone. The key's response window (ANSWER_WINDOW_MS, 50 ms, mosh's ECHO_TIMEOUT): output later than that is not sent
 * as the Enter's answer but paced, so nothing is waiting for it, and mosh itself acknowledges every key 50 ms after it
 * whatever the screen. Waiting costs nothing the user sees: an Enter's guess is a cursor move in a new epoch, never
 * drawn (prediction.ts onCarriageReturn), and a key typed meanwhile carries it with its own acknowledgement.
 */
export const CARRIED_ACK_MAX_MS = ANSWER_WINDOW_MS;

/** Whether a key event's acknowledgement may be carried: an Enter alone (the client guesses only a cursor move for it). */
export function carriableKey(bytes: Uint8Array): boolean {
  return bytes.length === 1 && bytes[0] === 0x0d;
}

/** An acknowledgement decided and not yet sent. */
interface Held {
  readonly position: number;
  /** The screen it was decided on (the answer's screen so far), and its cursor. */
  readonly framebuffer: Framebuffer;
  /** When it goes alone (ms). */
  readonly until: number;
}

export class CarriedAck {
  private held: Held | undefined;

  /** Holds the acknowledgement of input up to `position`, decided on `framebuffer`, until `until` (ms) at the latest. */
  hold(position: number, framebuffer: Framebuffer, until: number): void {
    this.held = { position, framebuffer, until };
  }

  get holding(): boolean {
    return this.held !== undefined;
  }

  /** When the held acknowledgement goes alone (ms); Infinity when none is held. */
  get dueAt(): number {
    return this.held?.until ?? Infinity;
  }

  /**
   * Whether the held acknowledgement goes now whatever else happens: its bound has come, or the screen to be sent is
   * not the one it was decided on (output sent paced, as nobody's answer: it carries the acknowledgement).
   */
  due(now: number, framebuffer: Framebuffer): boolean {
    const held = this.held;
    return held !== undefined && (now >= held.until || framebuffer !== held.framebuffer);
  }

  /**
   * Takes the held acknowledgement for a state showing `framebuffer`: its position, and where the screen it was decided
   * on had its cursor when this screen is another (undefined when nothing is held).
   */
  release(framebuffer: Framebuffer): { readonly position: number; readonly answered: AnsweredCursor | undefined } | undefined {
    const held = this.held;
    if (held === undefined) return undefined;
    this.held = undefined;
    const { x, y } = held.framebuffer.cursor;
    const moved = framebuffer !== held.framebuffer && (framebuffer.cursor.x !== x || framebuffer.cursor.y !== y);
    return { position: held.position, answered: moved ? Object.freeze({ upTo: held.position, x, y }) : undefined };
  }

  /** Forgets the held acknowledgement (the input stream starts again). */
  clear(): void {
    this.held = undefined;
  }
}
