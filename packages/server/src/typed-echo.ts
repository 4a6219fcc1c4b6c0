/**
 * Where a typed character's echo shows, and whether a screen shows it.
 *
 * A shell or an editor echoes a typed character at the cursor: the character under it changes (an insert, an
 * overwrite, vim's x), or the cursor moves. The session acknowledges a typed key once its mark (the
 * cursor and the character under it) changes, unless the cursor left the key's row without the echo
 * (cursorAwayFromKey: tmux between two writes of its other pane; held within a bound), and sends the key's answer unpaced for up to MAX_RESPONSE_FRAMES frames
 * within RESPONSE_WINDOW_MS (session.ts). Beside a flood in tmux both can be spent before the echo exists: the flood's
 * own frames take the unpaced ones, and tmux, once it cannot keep up with its terminal, stops drawing and later
 * redraws the whole screen, an at-rest screen of which can have the cursor in the other pane (a changed mark, no
 * echo). The echo then went as ordinary paced output, 12–34 ms later on the thin link (docs/benchmarks-journal.md, "The
 * first key beside the flood"). So the newest typed key is watched from when it is written until a frame shows its
 * echo (showsEcho), for at most ECHO_WATCH_MS, and that frame is sent at once.
 */
import type { Framebuffer } from '@tsmosh/terminal';

/** A cell of the screen and the character in it ('' for a blank cell or a wide character's second half). */
export interface CursorCell {
  readonly x: number;
  readonly y: number;
  readonly text: string;
}

/**
 * How long (ms) after a typed key is written its cell is watched for the echo. tmux that stopped drawing redraws from
 * a 100 ms timer (tty.c) once an interval passed with nothing drawn; the traced blocked first keys showed 87–152 ms
 * after the key was typed. Two of its intervals and a little: an echo later than that waits on something else (a
 * busy program) and is output like any other. One frame per typed key at most, so a flood gains nothing by it.
 */
export const ECHO_WATCH_MS = 250;

/** The text of cell (x, y) of `screen`; '' outside it. */
export function cellTextOf(screen: Framebuffer, x: number, y: number): string {
  return screen.lines[y]?.cells[x]?.text ?? '';
}

/** The cursor of `screen` and the character under it: a typed key's mark. */
export function cursorCellOf(screen: Framebuffer): CursorCell {
  const { x, y } = screen.cursor;
  return { x, y, text: cellTextOf(screen, x, y) };
}

export function sameCell(a: CursorCell, b: CursorCell): boolean {
  return a.x === b.x && a.y === b.y && a.text === b.text;
}

/** A typed character and where the cursor was when it was written: what its echo is looked for by. */
export interface TypedKey {
  readonly text: string;
  readonly x: number;
  readonly y: number;
}

/** The key `bytes` typed with the cursor at `cursor`, if its echo can be recognised (a printable character). */
export function typedKeyOf(bytes: Uint8Array, cursor: { readonly x: number; readonly y: number }): TypedKey | undefined {
  const text = new TextDecoder().decode(bytes);
  // Backspace (DEL) and anything that is not one printable character leave nothing to recognise.
  if ([...text].length !== 1 || text < ' ' || text === '\x7f') return undefined;
  return { text, x: cursor.x, y: cursor.y };
}

/**
 * Whether a screen whose cursor is `cursor` shows the echo of `key`: the cursor has moved since the key was written,
 * and the character just before it is the one typed (before a wide character's second half, for a wide one). Judged
 * by the character, not by the cell the cursor was in when the key was written: beside a flood in tmux that screen
 * can have the cursor in the other pane, half drawn (docs/benchmarks-journal.md, "Keys beside the flood"). Not recognised: a
 * character typed at the last column (the cursor waits there to wrap), an echo somewhere else than before the
 * cursor; their answer goes as any key's does.
 */
export function showsEcho(key: TypedKey, cursor: { readonly x: number; readonly y: number }, cellText: (x: number, y: number) => string): boolean {
  if (cursor.x === key.x && cursor.y === key.y) return false;
  const before = cellText(cursor.x - 1, cursor.y);
  return before === key.text || (before === '' && cellText(cursor.x - 2, cursor.y) === key.text);
}

/**
 * Whether a screen whose cursor is `cursor` has it away from where the key typed at `mark` would echo, without the
 * echo: on another row, and not just past the typed character (showsEcho; a wrap to the next row, vim's `:` to its
 * command line). tmux beside a flood leaves screens like that between its writes: it redraws the other pane with the
 * cursor there, and the cursor comes back with the next write. The key's mark changed, but the screen is not its
 * answer (docs/benchmarks-journal.md, "The echo acknowledgement beside a flood"). Rows only: a typed character's echo leaves
 * the cursor on its row, and a cursor moved along the row (or a left-right split's other pane) stays an answer, as
 * before. `key` is undefined for a key whose echo cannot be recognised (backspace).
 */
export function cursorAwayFromKey(mark: CursorCell, key: TypedKey | undefined, cursor: CursorCell, cellText: (x: number, y: number) => string): boolean {
  if (cursor.y === mark.y) return false;
  return key === undefined || !showsEcho(key, cursor, cellText);
}
