/**
 * A change nobody sees: the program switched only how the user's terminal encodes input (bash's bracketed paste on
 * before each prompt, mouse reporting, focus events, application cursor keys or keypad, the kitty keyboard flags,
 * modifyOtherKeys), and nothing on the screen moved.
 *
 * Why it matters: bash answers an Enter with its bracketed-paste switch (`CSI ? 2004 h`, 8 bytes) and then its prompt,
 * two writes 0.1–0.3 ms apart when nothing else runs. When the daemon reads them apart, each went as an answer frame
 * of its own (session.ts, responseSettleAt), and the switch's frame cost both ends a whole frame (snapshot, diff,
 * seal, send; open, decode, apply, a draw) on the 2-core path just as bash wanted a core to write the prompt: in the
 * lossy-link shell traces the prompt then came 1.5–4.6 ms after the switch instead of with it. A frame that changes
 * nothing the user can see waits for the output to settle (ECHO_SETTLE_MS) like the last frame of an answer, and the
 * prompt, when it follows, carries it: the same screens reach the client, one frame fewer.
 */
import { answeredCursorsEqual, framebuffersEqual, sessionEndingsEqual, type ScreenState } from '@tsmosh/terminal';

/**
 * Whether `next` differs from `shown` only in terminal modes that change how keys, pastes, the mouse and focus are
 * reported: the same cells, cursor, title, bell, clipboard, notifications, progress, history, echo acknowledgement
 * and ending, and the same reverse video (which shows). False for equal states: nothing to hold.
 */
export function onlyInputModesChanged(shown: ScreenState, next: ScreenState): boolean {
  if (shown === next) return false;
  const a = shown.framebuffer;
  const b = next.framebuffer;
  if (a.modes === b.modes || a.modes.reverseVideo !== b.modes.reverseVideo) return false;
  if (shown.echoAck !== next.echoAck || !answeredCursorsEqual(shown.answeredCursor, next.answeredCursor) || !sessionEndingsEqual(shown.ending, next.ending)) return false;
  if (!shown.scrollback.equals(next.scrollback)) return false;
  // Everything but the modes: `b` with `a`'s modes (rows compare by object first, so an unchanged screen is 24 checks).
  return !framebuffersEqual(a, b) && framebuffersEqual(a, { ...b, modes: a.modes });
}
