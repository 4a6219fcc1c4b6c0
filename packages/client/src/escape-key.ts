/**
 * The escape key (default Ctrl-^, as mosh): the only way to reach the client itself while every other byte goes to
 * the remote program. After the escape key, `.` quits, Ctrl-Z suspends, `^` sends the escape key itself, and any
 * other byte sends both. Kept free of I/O so every sequence is testable.
 */

/** Ctrl-^ (RS, 0x1E): rarely bound by programs, and mosh users already know it. */
export const DEFAULT_ESCAPE_KEY = 0x1e;
const CTRL_Z = 0x1a;
const CR = 0x0d;
const LF = 0x0a;

/** Keys that cannot be the escape key: the user needs them (interrupt, EOF, newline, redraw). */
const FORBIDDEN_ESCAPE_KEYS = new Map<number, string>([
  [0x03, 'Ctrl-C'],
  [0x04, 'Ctrl-D'],
  [LF, 'Ctrl-J (LF)'],
  [0x0c, 'Ctrl-L'],
  [CR, 'Ctrl-M (CR)'],
]);

export type EscapeKeySetting = { readonly enabled: false } | { readonly enabled: true; readonly byte: number };

/**
 * Reads TSMOSH_ESCAPE_KEY: unset → Ctrl-^; empty → no escape key; otherwise exactly one ASCII character.
 * Throws an Error whose message is one line a user can act on.
 */
export function parseEscapeKey(value: string | undefined): EscapeKeySetting {
  if (value === undefined) return { enabled: true, byte: DEFAULT_ESCAPE_KEY };
  if (value === '') return { enabled: false };
  const code = value.codePointAt(0)!;
  if (value.length !== 1 || code > 0x7f) {
    throw new Error(
      `tsmosh: TSMOSH_ESCAPE_KEY must be one ASCII character (e.g. a literal Ctrl-^), got ${JSON.stringify(value)}; unset it for the default Ctrl-^ or set it empty to disable the escape key.`,
    );
  }
  const forbidden = FORBIDDEN_ESCAPE_KEYS.get(code);
  if (forbidden !== undefined) {
    throw new Error(`tsmosh: TSMOSH_ESCAPE_KEY cannot be ${forbidden}: programs need that key; choose another character.`);
  }
  return { enabled: true, byte: code };
}

/**
 * The escape key for a session whose input is `input`: none when that is not a terminal (a script's file or pipe is
 * data, not a user's keys; ssh's escapes need a terminal too), so a file holding Ctrl-^ . does not end the session.
 */
export function escapeKeyForInput(setting: EscapeKeySetting, input: { readonly isTTY?: boolean }): EscapeKeySetting {
  return input.isTTY === true ? setting : { enabled: false };
}

/** How a person names the key: "Ctrl-^" for control characters, the character itself otherwise. */
export function escapeKeyName(byte: number): string {
  if (byte < 0x20) return `Ctrl-${String.fromCharCode(byte + 0x40)}`;
  if (byte === 0x7f) return 'Ctrl-?';
  return String.fromCharCode(byte);
}

export type EscapeAction =
  | { readonly kind: 'send'; readonly bytes: Uint8Array }
  | { readonly kind: 'quit' }
  | { readonly kind: 'suspend' };

export class EscapeKeyFilter {
  private pending = false;
  /**
   * A printable escape key only counts at the start of a line (after CR or LF), as in mosh, so typing the
   * character in the middle of a word still works. Control-character keys count anywhere.
   */
  private atLineStart = true;

  constructor(private readonly setting: EscapeKeySetting) {}

  /** True after the escape key, while the next byte decides what happens (the front end may show a hint). */
  get awaitingCommand(): boolean {
    return this.pending;
  }

  /** Splits `bytes` into runs to send and client commands, in order. Adjacent sends are merged. */
  feed(bytes: Uint8Array): EscapeAction[] {
    const actions: EscapeAction[] = [];
    let run: number[] = [];
    const flush = (): void => {
      if (run.length > 0) actions.push({ kind: 'send', bytes: Uint8Array.from(run) });
      run = [];
    };
    for (const byte of bytes) {
      if (!this.setting.enabled) {
        run.push(byte);
        continue;
      }
      const escape = this.setting.byte;
      if (this.pending) {
        this.pending = false;
        if (byte === 0x2e /* . */) {
          flush();
          actions.push({ kind: 'quit' });
          continue;
        }
        if (byte === CTRL_Z) {
          flush();
          actions.push({ kind: 'suspend' });
          continue;
        }
        if (byte === 0x5e /* ^ */ || byte === escape) {
          run.push(escape);
        } else {
          run.push(escape, byte);
        }
        this.atLineStart = byte === CR || byte === LF;
        continue;
      }
      const printable = escape >= 0x20 && escape !== 0x7f;
      if (byte === escape && (!printable || this.atLineStart)) {
        this.pending = true;
        continue;
      }
      run.push(byte);
      this.atLineStart = byte === CR || byte === LF;
    }
    flush();
    return actions;
  }
}
