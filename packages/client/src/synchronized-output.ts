/**
 * Synchronized output (DEC private mode 2026) on the user's terminal: a terminal that supports it shows a repaint
 * wrapped in `CSI ? 2026 h` … `CSI ? 2026 l` all at once, never half drawn. The client asks the terminal with DECRQM
 * at start-up and wraps its repaints only when the answer says the mode is known: sending it blindly could leave an
 * unaware terminal printing garbage or, worse, one that misreads it waiting for an end it never sees.
 */

/** DECRQM for mode 2026: "is synchronized output supported?" */
export const SYNCHRONIZED_OUTPUT_QUERY = '\x1b[?2026$p';
const BEGIN_SYNCHRONIZED_UPDATE = '\x1b[?2026h';
const END_SYNCHRONIZED_UPDATE = '\x1b[?2026l';

/** ms: a terminal answers at once; one that has not answered by then does not know DECRQM, and keys go on through. */
export const SYNCHRONIZED_OUTPUT_ANSWER_WAIT_MS = 1000;

// DECRPM: CSI ? 2026 ; Ps $ y, Ps 1 set, 2 reset, 3 permanently set, 4 permanently reset, 0 not recognised.
const REPLY = /\x1b\[\?2026;(\d)\$y/;
const REPLY_PREFIX = '\x1b[?2026;';

/**
 * Watches the terminal's input for the answer to SYNCHRONIZED_OUTPUT_QUERY and takes it out, so it never reaches the
 * program as if typed. Until `settle()` (the answer, or the wait running out) a chunk ending in the start of an
 * answer is held back for the next one; after it, input passes untouched.
 */
export class SynchronizedOutputProbe {
  /** undefined: not known yet; then whether the terminal supports mode 2026. */
  supported: boolean | undefined = undefined;
  private held = '';

  /** Terminal input in; what remains for the program out. */
  filter(input: string): string {
    if (this.supported !== undefined) return input;
    let text = this.held + input;
    this.held = '';
    const match = REPLY.exec(text);
    if (match !== null) {
      const mode = Number(match[1]);
      this.supported = mode === 1 || mode === 2 || mode === 3;
      return text.slice(0, match.index) + text.slice(match.index + match[0].length);
    }
    // Hold back a possible beginning of the answer split across reads (at most its few bytes).
    for (let keep = Math.min(text.length, REPLY_PREFIX.length + 3); keep > 0; keep--) {
      const tail = text.slice(text.length - keep);
      if (REPLY_PREFIX.startsWith(tail) || (tail.startsWith(REPLY_PREFIX) && /^\x1b\[\?2026;\d?\$?$/.test(tail))) {
        this.held = tail;
        text = text.slice(0, text.length - keep);
        break;
      }
    }
    return text;
  }

  /** No answer came in time: the terminal does not support it. Returns input held back, to pass on. */
  settle(): string {
    if (this.supported === undefined) this.supported = false;
    const held = this.held;
    this.held = '';
    return held;
  }

  /** `frame` wrapped for an atomic repaint when the terminal supports it. */
  wrap(frame: string): string {
    return this.supported === true && frame !== '' ? `${BEGIN_SYNCHRONIZED_UPDATE}${frame}${END_SYNCHRONIZED_UPDATE}` : frame;
  }
}
