/**
 * How much of the scrollback log one screen state carries (protocol.md §10.4): the history follows the screen in
 * windows, so that a reattach to a long history or a flood under loss never needs one huge diff, and on a path that
 * is the bottleneck it waits for the screen to be still, so it never slows the screen down.
 */

/**
 * Scrollback lines one screen state may add beyond the client's acknowledged state: about 2–20 KB of lines, a few
 * fragments, so a diff still gets through under heavy loss; at the frame rate that is still thousands of lines a
 * second for a client catching up.
 */
export const LOG_LINES_PER_STATE = 256;

/**
 * Wire bytes of log lines one state may add beyond the client's acknowledged state, where they reach further than
 * LOG_LINES_PER_STATE lines: short lines go in longer windows. 16 KiB is what 160 full 80-column lines take (about
 * 100 bytes each), so a window of full lines stays 256 lines; `seq`'s lines take about 8 bytes, so a window of them is
 * about 2,000 lines instead of 256, and a text client (client text-output.ts) gets a flood about as fast as its
 * acknowledgements come back (at 256 lines a state, `seq 1 100000` took 8.6 s on loopback: 11,600 lines a second).
 * Never more bytes than 256 full lines, which the window allowed before: a diff no larger, no more fragments. Only
 * for a session that keeps every line (a text client, which shows no screen to wait): a terminal's windows stay 256
 * lines, since on a thin link the transport has not yet found to be the bottleneck a 16 KiB window queued ahead of
 * a flood's last frame and its prompt (session-thin-link.test.ts: 31 ms against 26).
 */
export const LOG_BYTES_PER_STATE = 16 * 1024;

/**
 * Most lines one state may add, however short: 2,048 empty lines are a few KiB, but each is a line the client
 * decodes and writes. Below the 4,096 lines a session that keeps every line lets its program run ahead of the
 * client's acknowledgement (session.ts KEEP_EVERY_LINE_AHEAD), so one window in flight never stops the program.
 */
export const LOG_LINES_PER_STATE_MAX = 2048;

/**
 * On a path that is the bottleneck, a state adds at most this many lines beyond what was offered before it, so that
 * the history goes in small frames the transport's pacing spreads out: the queue an echo joins is then one small
 * frame, not a 256-line window (about 10 KB of hashes, 80 ms at 1 Mbit/s). 64 lines are a few hundred bytes of `seq`
 * and about 2.5 KB of incompressible lines; at the 20 ms frame interval still 3,200 lines a second.
 */
export const LOG_LINES_PER_FRAME_ON_BOTTLENECK = 64;

export interface HistoryWindow {
  /** Log end the client acknowledged (the base the next diff may assume). */
  readonly acknowledgedEnd: number;
  /** Log end of the newest state already offered to the transport (sent, or waiting to be). */
  readonly offeredEnd: number;
  /** The log's window now: lines [start, end). */
  readonly logStart: number;
  readonly logEnd: number;
  /** The screen in this state differs from the one offered before it (the program is still writing). */
  readonly screenChanged: boolean;
  /**
   * The transport found the path to be the bottleneck (it paces its frames: Transport.congestionLimited). Then a
   * state whose screen changed adds no history beyond what was offered already: every byte of history in that frame
   * would delay the screen (an echo, the prompt after Ctrl-C) on a path that has none to spare. The history follows
   * once the screen is still, LOG_LINES_PER_FRAME_ON_BOTTLENECK lines a state. During a flood that also saves the
   * lines the log's 10,000-line window would drop before the client could use them.
   */
  readonly pathIsBottleneck: boolean;
  /** Lines the log gained since the session's previous state (its previous snapshot): how fast the output runs. */
  readonly linesSincePreviousState: number;
  /**
   * How far LOG_BYTES_PER_STATE of lines reach from the window's base (historyWindowBase), at most
   * LOG_LINES_PER_STATE_MAX lines (ScrollbackLog.endWithinBytes); absent: the window is LOG_LINES_PER_STATE lines.
   */
  readonly byteWindowEnd?: number;
}

/**
 * Whether the next state keeps the history window offered before it, unchanged: the program's output outruns the
 * history. The log has dropped lines that were never offered (it keeps its last SCROLLBACK_RETAINED_LINES, which `seq`
 * fills in milliseconds), and since the state before it the output added more lines than a state may carry
 * (LOG_LINES_PER_STATE): no window could keep up. Any window offered then is a fragment between two gaps, each with
 * its marker line in the user's history, and costs both ends a window of lines per frame (the daemon encoding and
 * sending them, the client decoding and writing them and acknowledging each at once for the next). Held, the user's
 * history gets one marker and then the log's last lines once the output slows, a window per acknowledged state; and a
 * path that is the bottleneck no longer gets an empty window per frame whose jumping start the client wrote as a
 * marker each time. Output the history keeps up with never drops an unoffered line, so it is never held; a client
 * that fell behind in an outage or attached late catches up while the output is slower than a window per state.
 */
export function historyHeld(w: HistoryWindow): boolean {
  return w.logStart > w.offeredEnd && w.linesSincePreviousState > LOG_LINES_PER_STATE;
}

/** Where the next state's window starts: the client's acknowledged log end, or the log's start if it dropped that. */
export function historyWindowBase(w: Pick<HistoryWindow, 'acknowledgedEnd' | 'logStart'>): number {
  return Math.max(w.acknowledgedEnd, w.logStart);
}

/** The log end (a position in [logStart, logEnd]) the next state carries, when not held (historyHeld). */
export function historyWindowEnd(w: HistoryWindow): number {
  const base = historyWindowBase(w);
  let end = Math.max(base + LOG_LINES_PER_STATE, Math.min(w.byteWindowEnd ?? base, base + LOG_LINES_PER_STATE_MAX));
  if (w.pathIsBottleneck) end = Math.min(end, Math.max(w.offeredEnd, w.logStart) + (w.screenChanged ? 0 : LOG_LINES_PER_FRAME_ON_BOTTLENECK));
  return Math.min(w.logEnd, end);
}
