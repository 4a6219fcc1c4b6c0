/**
 * How much of its input the client lets the transport carry beyond what the server has acknowledged: a sliding window
 * over the input stream's positions (one per key byte).
 *
 * The transport sends a state as one instruction, fragmented into datagrams sent back to back. A 200 KB paste was one
 * ~150-datagram burst: more than a bottleneck's queue holds (the thin link's 64 KB) or a local socket buffer takes
 * while its process is still sending, and under 10 % loss all of them arrive in one try with a chance of ~1e-7; each
 * resend was the whole burst again, so the paste stalled until the client gave up on UDP. With a window, data frames
 * carry what the window newly admits (from the state the server is assumed to hold) and a resend carries at most the
 * window, so large input goes through any link steadily and in order.
 *
 * The window starts at a few datagrams and doubles each time a full window is acknowledged with no resend in between
 * (a clean path takes more in flight) until the first resend; from then on it grows by one chunk per clean window and
 * halves on a resend while it limits the input (bounded both ways), as TCP's slow start and congestion avoidance do.
 * Under 10 % loss per datagram it settles at a few datagrams: a window of n datagrams arrives whole with a chance of
 * 0.9^n, and each failed try resends it all, so n·0.9^n (what a try brings) is flat from 4 to 12 while the bytes spent
 * per byte delivered (0.9^-n) grow from 1.5 to 3.5 (doubling alone went up to 32 KB there and sent 3.6 bytes per byte
 * of a 200 KB paste). Typing never fills it, so a key always goes in the very next frame as before.
 *
 * Pure: the caller passes the acknowledged position, the stream's end and the transport's resend count.
 */

/**
 * The smallest window (positions ≈ bytes): one input chunk (input-chunks.ts INPUT_CHUNK_BYTES), one datagram; under
 * 10 % loss per datagram, nine tries in ten get through.
 */
export const INPUT_WINDOW_MIN_BYTES = 1024;
/**
 * The first window (bytes): four datagrams, which all arrive in two tries of three at 10 % loss, and which a queue
 * or socket buffer of any link takes in one burst.
 */
export const INPUT_WINDOW_INITIAL_BYTES = 4096;
/**
 * The largest window (bytes): half the thin link's 64 KB bottleneck queue, so a window's burst never fills it, and
 * ~26 datagrams in one burst, which the in-process link proxy's socket took without drops where 150 overflowed it.
 * At 300 ms RTT it carries ~100 KB/s, a 200 KB paste in about two seconds.
 */
export const INPUT_WINDOW_MAX_BYTES = 32768;

/** What the window grows by per clean window after the first resend (bytes): one input chunk (INPUT_CHUNK_BYTES). */
export const INPUT_WINDOW_STEP_BYTES = 1024;

export class InputWindow {
  private windowBytes = INPUT_WINDOW_INITIAL_BYTES;
  /** Whether a resend has been seen while the window limited the input: then it grows a step at a time. */
  private sawResend = false;
  /** The transport's resend count last seen. */
  private resendsSeen = 0;
  /**
   * The end of the window most recently cut short (input held back beyond it), until acknowledged: a full window in
   * flight, whose clean acknowledgement grows the window. Undefined when no window limits.
   */
  private fullWindowEnd: number | undefined;

  /** The window now (bytes), for tests and diagnostics. */
  get bytes(): number {
    return this.windowBytes;
  }

  /**
   * The position up to which the transport may carry input: `ackedEnd` (where the state the server acknowledged
   * ends) plus the window. `streamEnd`: where the whole input stream ends; `resends`: the transport's resend counter
   * (TransportStats.resends), whose growth while a window limits shrinks the window.
   */
  limit(ackedEnd: number, streamEnd: number, resends: number): number {
    if (resends !== this.resendsSeen) {
      this.resendsSeen = resends;
      if (this.fullWindowEnd !== undefined) {
        this.windowBytes = Math.max(INPUT_WINDOW_MIN_BYTES, Math.floor(this.windowBytes / 2));
        this.sawResend = true;
        // The clean acknowledgement that would grow it must be of a window sent after this resend.
        this.fullWindowEnd = undefined;
      }
    }
    if (this.fullWindowEnd !== undefined && ackedEnd >= this.fullWindowEnd) {
      const grown = this.sawResend ? this.windowBytes + INPUT_WINDOW_STEP_BYTES : this.windowBytes * 2;
      this.windowBytes = Math.min(INPUT_WINDOW_MAX_BYTES, grown);
      this.fullWindowEnd = undefined;
    }
    const limit = ackedEnd + this.windowBytes;
    if (limit < streamEnd) this.fullWindowEnd ??= limit;
    return limit;
  }
}
