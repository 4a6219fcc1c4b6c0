/**
 * Where the edge between two separately read key events must survive the trip to the server.
 *
 * The client reads the user's terminal once per keystroke (or per paste) and makes each read one input event; keys
 * typed within one send interval, or during an outage, reach the server together. A program that parses its keys per
 * read can misread some of them when they arrive in one read: Ink (Claude Code's UI) takes Esc followed by a key as
 * Alt+key and a control byte inside a run of text as text, and tmux runs no key binding for a key that follows two
 * others by less than its `assume-paste-time`. The server writes such events apart (server input-pacing.ts); the
 * wire keeps their edge (input-stream.ts) and merges runs of plain text, which no program reads differently.
 */

/** Whether every byte is printable: no C0 control (Enter, Tab, Esc, Ctrl+letter), no DEL (Backspace). */
export function isPlainText(bytes: Uint8Array): boolean {
  for (const byte of bytes) if (byte < 0x20 || byte === 0x7f) return false;
  return true;
}

/**
 * Whether two key events read one after the other must stay separate events: unless both are plain text (a fast
 * typist's letters, which any program reads the same in one read or many).
 */
export function keyBoundaryMatters(before: Uint8Array, after: Uint8Array): boolean {
  return !isPlainText(before) || !isPlainText(after);
}

/** Whether the event ends in Esc, which a program holds for a while to see whether a sequence follows. */
export function endsWithEscape(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x1b;
}
