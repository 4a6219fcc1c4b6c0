/**
 * ScreenState: what the server synchronizes to the client. The screen itself (an immutable Framebuffer) plus the
 * echo acknowledgement, the input stream position up to which the screen already reflects the keystrokes; the client's
 * prediction engine uses it to tell a confirmed echo from one still in flight. A final state also says why the
 * session is over (`ending`: the command's exit status, a takeover by another client, a kill), so the client can
 * tell its user in one line.
 */
import type { SyncState } from '@tsmosh/protocol';
import { blankFramebuffer, framebuffersEqual, type Framebuffer } from './framebuffer.js';
import { answeredCursorsEqual, decodeScreenDiff, encodeScreenDiff, sessionEndingsEqual, type AnsweredCursor, type SessionEnding } from './screen-diff.js';
import { ScrollbackLog } from './scrollback-log.js';

export type { AnsweredCursor, SessionEnding } from './screen-diff.js';

/**
 * The size of state 0, the blank screen both ends of every link hold before its first update, whatever the session's
 * or the window's size (mosh's 80x24). Each end once made state 0 at its own size (the session's, the client's
 * window): a diff from the server's state 0 then did not apply to the client's, and a session that ended before the
 * client's size reached it (a quick `tsmosh host -- cmd` in a window other than 80x24) lost its last screen and its
 * exit status. The first update carries the real size, like any resize.
 */
export const STATE_ZERO_SIZE = { cols: 80, rows: 24 } as const;

export class ScreenState implements SyncState<ScreenState> {
  /** A blank screen of this size, nothing acknowledged, no history. */
  static initial(cols: number, rows: number): ScreenState {
    return new ScreenState(blankFramebuffer(cols, rows), 0);
  }

  /** State 0 of every link (STATE_ZERO_SIZE): the base both ends hold before the first update. */
  static zero(): ScreenState {
    return ScreenState.initial(STATE_ZERO_SIZE.cols, STATE_ZERO_SIZE.rows);
  }

  constructor(
    readonly framebuffer: Framebuffer,
    readonly echoAck: number = 0,
    /** Set only in a session's final states: why it ended. */
    readonly ending: SessionEnding | undefined = undefined,
    /** The lines that left the top of the screen (scrollback-log.ts). */
    readonly scrollback: ScrollbackLog = ScrollbackLog.empty,
    /**
     * Set when this state carries an echo acknowledgement later than the screen that answered it (the daemon's Enter
     * acknowledgement on the answer frame that follows): where that screen had the cursor (screen-diff.ts).
     */
    readonly answeredCursor: AnsweredCursor | undefined = undefined,
  ) {
    if (!Number.isSafeInteger(echoAck) || echoAck < 0) {
      throw new RangeError(`ScreenState: echoAck must be a non-negative safe integer (an input stream position), got ${echoAck}`);
    }
    if (answeredCursor !== undefined && !(Number.isSafeInteger(answeredCursor.upTo) && answeredCursor.upTo >= 0 && answeredCursor.upTo <= echoAck)) {
      throw new RangeError(`ScreenState: the answered cursor's input position ${answeredCursor.upTo} must lie within the echo ack ${echoAck}`);
    }
  }

  withFramebuffer(framebuffer: Framebuffer): ScreenState {
    return framebuffer === this.framebuffer ? this : new ScreenState(framebuffer, this.echoAck, this.ending, this.scrollback, this.answeredCursor);
  }

  /** The acknowledgement moved to `echoAck`; `answeredCursor` when it is carried later than the screen that answered. */
  withEchoAck(echoAck: number, answeredCursor?: AnsweredCursor): ScreenState {
    if (echoAck === this.echoAck && answeredCursorsEqual(answeredCursor, this.answeredCursor)) return this;
    return new ScreenState(this.framebuffer, echoAck, this.ending, this.scrollback, answeredCursor);
  }

  withEnding(ending: SessionEnding | undefined): ScreenState {
    return sessionEndingsEqual(ending, this.ending) ? this : new ScreenState(this.framebuffer, this.echoAck, ending, this.scrollback, this.answeredCursor);
  }

  withScrollback(scrollback: ScrollbackLog): ScreenState {
    return scrollback === this.scrollback ? this : new ScreenState(this.framebuffer, this.echoAck, this.ending, scrollback, this.answeredCursor);
  }

  /** A screen diff (see screen-diff.ts); empty when the states are equal. */
  diffFrom(existing: ScreenState): Uint8Array {
    const scrollback = { write: (out: Parameters<ScrollbackLog['writeDiff']>[1]) => this.scrollback.writeDiff(existing.scrollback, out) };
    const answered = { base: existing.answeredCursor, next: this.answeredCursor };
    return encodeScreenDiff(existing.framebuffer, existing.echoAck, this.framebuffer, this.echoAck, existing.ending, this.ending, scrollback, answered);
  }

  /** Throws RangeError when `diff` is malformed; rows the diff leaves alone are this state's Row objects. */
  applyDiff(diff: Uint8Array): ScreenState {
    if (diff.length === 0) return this;
    let scrollback = this.scrollback;
    const decoded = decodeScreenDiff(this.framebuffer, this.echoAck, diff, this.ending, {
      read: (reader, diffVersion) => {
        scrollback = this.scrollback.readDiff(reader, undefined, diffVersion);
      },
    }, this.answeredCursor);
    return new ScreenState(decoded.framebuffer, decoded.echoAck, decoded.ending, scrollback, decoded.answeredCursor);
  }

  /** A screen is an absolute state: nothing to drop. */
  subtract(_acked: ScreenState): ScreenState {
    return this;
  }

  equals(other: ScreenState): boolean {
    return (
      this === other ||
      (this.echoAck === other.echoAck &&
        answeredCursorsEqual(this.answeredCursor, other.answeredCursor) &&
        sessionEndingsEqual(this.ending, other.ending) &&
        this.scrollback.equals(other.scrollback) &&
        framebuffersEqual(this.framebuffer, other.framebuffer))
    );
  }
}
