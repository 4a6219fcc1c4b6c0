/**
 * At most how many lines a chunk of a program's output can add to the scrollback log, read from its bytes before
 * the mirror parses it: what a session that keeps every line (session.ts keepEveryLine) counts for the output read
 * and not yet parsed, so the program waits before the log could run past its client (PtyHost historyRoom).
 *
 * It counted every pending byte as a line: a safe bound, but for `seq` (7 bytes a line) seven times the truth, so
 * the 4,096 lines a text session may run ahead were a few hundred of `seq`, read in small pieces, and the text went at
 * about 11,000 lines a second on loopback whatever the history window. A line leaves the screen's top only when
 * the cursor goes down past the bottom row:
 * - a line feed, vertical tab or form feed: one line each;
 * - a printable character at the end of a row wraps: after a row's worth of characters (`cols` bytes at least: a
 *   character is at least one byte a cell), or after fewer once the cursor was moved to the end of a row, which only
 *   an escape sequence, a tab or a C1 control (U+0080–U+009F, whose UTF-8 starts with 0xC2) can do; so one wrap per
 *   `cols` bytes plus one per such byte, plus one for where the chunk's first row already stood;
 * - an escape sequence or C1 control can also index down a line itself (IND, NEL): one more each.
 * Not bounded (as before, by the log's margin beyond the limit, session.ts KEEP_EVERY_LINE_AHEAD): a sequence that
 * adds many lines in a few bytes (CSI Ps S scrolling up, CSI Ps b repeating a character), and a resize's reflow.
 */
export function lineBound(chunk: Uint8Array, cols: number): number {
  let linesOfControls = 0;
  let moves = 0;
  for (let index = 0; index < chunk.length; index++) {
    const byte = chunk[index]!;
    if (byte === 0x0a || byte === 0x0b || byte === 0x0c) linesOfControls++;
    else if (byte === 0x1b || byte === 0xc2) moves += 2; // a line of its own and a wrap it may make due
    else if (byte === 0x09) moves++;
  }
  return linesOfControls + moves + Math.floor(chunk.length / Math.max(1, cols)) + 1;
}
