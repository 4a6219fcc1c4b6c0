/**
 * The rest of an answer after its acknowledgement: server frames that arrive just after a state that acknowledged the
 * user's input are drawn at once, not after the frame pacing's next token.
 *
 * The front end draws a state that moves the echo acknowledgement at once (frontend.ts): it is the user's answer, and
 * beside a flood the pacing's burst is spent. But the acknowledgement can come before the answer is all there: the
 * daemon acknowledges a key once its output has gone quiet for a moment (server session.ts, ECHO_SETTLE_MS), and
 * after Ctrl-C in tmux the first quiet came after the flood's own last lines, while tmux's prompt came 3 ms later in
 * a frame of its own (the daemon sends up to MAX_RESPONSE_FRAMES of a key's answer unpaced within its 50 ms window).
 * That frame waited 16.5 ms for a token on the thin link (docs/benchmarks-journal.md, session 25, thin6; the same in
 * session 21's seed 40). So for ANSWER_DRAW_WINDOW_MS after such a draw, up to ANSWER_DRAWS_AFTER_ACK more frames are
 * drawn as they come. A flood nobody types into is paced as before: the window opens only when the acknowledgement
 * moves, which only the user's own input does, and each of these draws still takes a token.
 *
 * Pure: `now` (ms) is an argument.
 */
import { ECHO_ACK_TIMEOUT_MS } from '@tsmosh/protocol';

/**
 * ms after the acknowledgement's draw: the daemon's answer window (mosh's ECHO_TIMEOUT, 50 ms after the key reached
 * the program), which began before the acknowledgement was sent, so nothing of the answer the daemon sends unpaced
 * arrives later than this after it (give or take the link's jitter).
 */
export const ANSWER_DRAW_WINDOW_MS = ECHO_ACK_TIMEOUT_MS;
/** Frames drawn at once within the window: the daemon's unpaced frames per key (6) less the acknowledging one. */
export const ANSWER_DRAWS_AFTER_ACK = 5;

export class AnswerDraws {
  private until = -Infinity;
  private left = 0;

  /** A state that moved the echo acknowledgement was drawn at `now`. */
  acknowledged(now: number): void {
    this.until = now + ANSWER_DRAW_WINDOW_MS;
    this.left = ANSWER_DRAWS_AFTER_ACK;
  }

  /** A server state arrived at `now` that moves nothing: whether it is drawn at once (and counted) as the answer's rest. */
  drawAtOnce(now: number): boolean {
    if (now >= this.until || this.left === 0) return false;
    this.left--;
    return true;
  }
}
