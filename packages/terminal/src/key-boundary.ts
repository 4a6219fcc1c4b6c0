/**
 * Where the edge between two separately read key events must survive the trip to the server.
 *
 * The client reads the user's terminal once per keystroke (or per paste) and makes each read one input event; keys
 * typed within one send interval, or during an outage, reach the server together. A program that parses its keys per
 * read can misread some of them when they arrive in one read: Ink (Claude Code's UI) takes Esc followed by a key as
 * Alt+key and a control byte inside a run of text as text, and tmux runs no key binding for a key that follows two
 * others by less than its `assume-paste-time`. The server writes such events apart (server input-pacing.ts); the
 * wire keeps their edge (input-stream.ts) and merges the rest (runs of plain text, a paste's chunks, mouse reports),
 * which no program reads differently.
 */

/**
 * The longest event (bytes) taken for one key: a key's sequence, even with modifiers and kitty's associated text, is
 * well under it. A longer event is text read in bulk (a paste's chunk, or keys the client read together), which no
 * program reads as a key binding, so it merges with its neighbours like plain text.
 */
export const MAX_KEY_EVENT_BYTES = 32;

/** Whether every byte is printable: no C0 control (Enter, Tab, Esc, Ctrl+letter), no DEL (Backspace). */
export function isPlainText(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte < 0x20 || byte === 0x7f) return false;
  return true;
}

/**
 * Whether the event is nothing but mouse reports (SGR `ESC [ < b ; x ; y M|m`, or X10's `ESC [ M` and three bytes): a
 * wheel or a drag sends dozens a second, every program parses them whole in any company, and tmux never takes them
 * for a paste; keeping them apart would only make a scroll lag.
 */
export function isMouseReports(bytes: Uint8Array): boolean {
  let i = 0;
  while (i < bytes.length) {
    if (bytes[i] !== 0x1b || bytes[i + 1] !== 0x5b) return false;
    if (bytes[i + 2] === 0x4d) {
      if (i + 6 > bytes.length) return false;
      i += 6;
      continue;
    }
    if (bytes[i + 2] !== 0x3c) return false;
    let j = i + 3;
    while (j < bytes.length && ((bytes[j]! >= 0x30 && bytes[j]! <= 0x39) || bytes[j] === 0x3b)) j++;
    if (j === i + 3 || (bytes[j] !== 0x4d && bytes[j] !== 0x6d)) return false;
    i = j + 1;
  }
  return bytes.length > 0;
}

/** Whether the event is a key that a program may read differently in company: short, not plain text, not mouse reports. */
function isKeyLike(bytes: Uint8Array): boolean {
  return bytes.length <= MAX_KEY_EVENT_BYTES && !isPlainText(bytes) && !isMouseReports(bytes);
}

/**
 * Whether two key events read one after the other must stay separate events: after the Escape key (a lone Esc)
 * whatever follows (Esc and the next byte in one read are Alt+key), and otherwise when either is a control key, Esc
 * or a key's sequence. Plain text (a fast typist's letters), a paste's chunks and mouse reports read the same in one
 * read or many; and an event that ends inside an escape sequence (a paste or a key cut by the client's read) goes on in
 * the next one, which must then reach the program with it, as it would have locally.
 */
export function keyBoundaryMatters(before: Uint8Array, after: Uint8Array): boolean {
  if (isLoneEscape(before)) return true;
  if (endsInsideSequence(before)) return false;
  return isKeyLike(before) || isKeyLike(after);
}

/** Whether the event is the Escape key alone, which a program holds for a while to see whether a sequence follows. */
export function isLoneEscape(bytes: Uint8Array): boolean {
  return bytes.length === 1 && bytes[0] === 0x1b;
}

/**
 * Whether the event ends inside an escape sequence: its last Esc ends it, or begins a CSI (`ESC [`) or SS3 (`ESC O`)
 * without its final byte, or a string (OSC, DCS, APC) without its terminator.
 */
export function endsInsideSequence(bytes: Uint8Array): boolean {
  const start = bytes.lastIndexOf(0x1b);
  if (start < 0) return false;
  const kind = bytes[start + 1];
  if (kind === undefined) return true;
  if (kind === 0x4f) return start + 2 === bytes.length;
  if (kind === 0x5b) {
    for (let i = start + 2; i < bytes.length; i++) if (bytes[i]! < 0x20 || bytes[i]! > 0x3f) return false;
    return true;
  }
  // A string goes on until BEL, or ST (whose own Esc, the last one, would have been found instead).
  if (kind === 0x5d || kind === 0x50 || kind === 0x5f) return !bytes.subarray(start + 2).includes(0x07);
  return false;
}
