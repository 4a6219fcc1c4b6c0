import { Attr, BLANK_CELL, blankRow, type Cell, type Framebuffer, type Row } from '@tsmosh/terminal';
import { CARRIER_NOTICE_MS, NOTHING_RECEIVED_NOTICE_MS, formatDuration, type SessionStatus } from './session.js';

/**
 * What the client draws over the remote screen: the status line when the server has gone quiet, and the fit of the
 * remote screen into the local window while a resize is still on its way. Pure functions of their inputs.
 */


/** The status line, or undefined when the server is in touch. */
export function statusMessage(status: SessionStatus, escapeHint: string | undefined, awaitingEscapeCommand: boolean): string | undefined {
  if (awaitingEscapeCommand && escapeHint !== undefined) {
    return `tsmosh: Commands: Ctrl-Z suspends, "." quits, "^" gives literal ${escapeHint}`;
  }
  const overTcp = status.carrier === 'tcp' ? ` (over TCP port ${status.tcpPort})` : '';
  if (status.connected && status.notice !== undefined) return status.notice;
  if (status.connected) {
    // A move between UDP and TCP is said for a few seconds, then the screen is the session's again.
    if (status.carrierSinceMs === undefined || status.carrierSinceMs >= CARRIER_NOTICE_MS) return undefined;
    return status.carrier === 'tcp'
      ? `tsmosh: UDP is blocked; the session goes on over TCP port ${status.tcpPort}.`
      : 'tsmosh: UDP works again; the session is back on UDP.';
  }
  if (!status.everHeard && status.lastContactAgoMs < NOTHING_RECEIVED_NOTICE_MS) return undefined; // replies are normally instant
  const quit = escapeHint === undefined ? '' : ` [To quit: ${escapeHint} .]`;
  if (!status.everHeard) {
    return `tsmosh: Nothing received from server yet (${formatDuration(status.lastContactAgoMs)})${overTcp}.${quit}`;
  }
  return `tsmosh: Last contact ${formatDuration(status.lastContactAgoMs)} ago${overTcp}.${quit}`;
}

/** `fb` with its top row replaced by `message` in bold inverse, padded to the full width (as mosh's bar). */
export function withStatusLine(fb: Framebuffer, message: string): Framebuffer {
  const cells: Cell[] = [];
  const chars = Array.from(message);
  for (let x = 0; x < fb.cols; x++) {
    const ch = chars[x] ?? ' ';
    cells.push({ text: ch, width: 1, fg: BLANK_CELL.fg, bg: BLANK_CELL.bg, attrs: Attr.Bold | Attr.Inverse });
  }
  const lines = fb.lines.slice();
  lines[0] = { cells, wrapped: false };
  // The cursor would blink in the middle of the bar; hide it while it sits on the top row.
  const cursor = fb.cursor.y === 0 ? { ...fb.cursor, visible: false } : fb.cursor;
  return { ...fb, lines, cursor };
}

/**
 * The remote screen cut or padded to the local window. After a local resize the server needs a round trip to send a
 * screen of the new size; drawing a wider screen meanwhile would wrap every row on the real terminal.
 */
export function fitToWindow(fb: Framebuffer, cols: number, rows: number): Framebuffer {
  if (fb.cols === cols && fb.rows === rows) return fb;
  const lines: Row[] = [];
  for (let y = 0; y < rows; y++) {
    const source = fb.lines[y];
    lines.push(source === undefined ? blankRow(cols) : fitRow(source, cols));
  }
  const cursor = {
    ...fb.cursor,
    x: Math.min(fb.cursor.x, cols - 1),
    y: Math.min(fb.cursor.y, rows - 1),
  };
  return { ...fb, cols, rows, lines, cursor };
}

function fitRow(row: Row, cols: number): Row {
  if (row.cells.length === cols) return row;
  const cells = row.cells.slice(0, cols);
  while (cells.length < cols) cells.push(BLANK_CELL);
  // A wide character cut in half at the right edge cannot be drawn; show a blank instead.
  const last = cells[cols - 1]!;
  if (last.width === 2) cells[cols - 1] = BLANK_CELL;
  return { cells, wrapped: row.wrapped && row.cells.length <= cols };
}
