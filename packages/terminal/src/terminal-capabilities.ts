/**
 * What the user's own terminal answered when the client asked it at start-up (client terminal-probe.ts), as the
 * client tells the server (input stream event `terminal`, docs/protocol.md §10.1). The server answers the program's
 * capability queries from it, so a program sees the terminal the user really has: XTVERSION with the local
 * terminal's own name, `CSI ? u` only when the local terminal speaks the kitty keyboard protocol.
 *
 * Only what the terminal itself said is carried; nothing is inferred from names or environment variables.
 */
export interface TerminalCapabilities {
  /** The terminal answered `CSI ? u`: it speaks the kitty keyboard protocol. */
  readonly kittyKeyboard: boolean;
  /** The terminal reported DEC mode 2026 (synchronized output) as known. */
  readonly synchronizedOutput: boolean;
  /** Its XTVERSION answer (the text of `DCS > | text ST`), '' when it gave none. */
  readonly version: string;
}

/**
 * Longest XTVERSION text carried (characters). Real answers are short ("kitty(0.39.1)", "WezTerm 20240203-110809-
 * 5046fc22", "XTerm(390)", "tmux 3.5a"); the text goes into a program's input as part of an answer, so it is bounded.
 */
export const TERMINAL_VERSION_MAX = 128;

/**
 * Whether `version` may be carried and passed on: printable ASCII only (no ESC or other control that could end the
 * answer early and type into the program), at most TERMINAL_VERSION_MAX characters.
 */
export function isCarriableTerminalVersion(version: string): boolean {
  return version.length <= TERMINAL_VERSION_MAX && /^[\x20-\x7e]*$/.test(version);
}

/** Wire flag bits of the `terminal` input event. */
export const TERMINAL_FLAG_KITTY_KEYBOARD = 1;
export const TERMINAL_FLAG_SYNCHRONIZED_OUTPUT = 2;
export const TERMINAL_FLAGS_KNOWN = TERMINAL_FLAG_KITTY_KEYBOARD | TERMINAL_FLAG_SYNCHRONIZED_OUTPUT;

export function terminalFlags(capabilities: TerminalCapabilities): number {
  return (capabilities.kittyKeyboard ? TERMINAL_FLAG_KITTY_KEYBOARD : 0) | (capabilities.synchronizedOutput ? TERMINAL_FLAG_SYNCHRONIZED_OUTPUT : 0);
}

/**
 * The command-line form (`tsmosh-server new --terminal-answers`): the wire flags in decimal, ':', the XTVERSION text.
 * `3:kitty(0.39.1)`, `0:` for a terminal that answered none of them.
 */
export function formatTerminalAnswers(capabilities: TerminalCapabilities): string {
  return `${terminalFlags(capabilities)}:${capabilities.version}`;
}

/** Reads formatTerminalAnswers' form; throws RangeError saying what is wrong. */
export function parseTerminalAnswers(text: string): TerminalCapabilities {
  const match = /^(\d{1,2}):(.*)$/s.exec(text);
  if (match === null) throw new RangeError(`expected FLAGS:VERSION (flags a number), got ${JSON.stringify(text.slice(0, 40))}`);
  const flags = Number(match[1]);
  if ((flags & ~TERMINAL_FLAGS_KNOWN) !== 0) throw new RangeError(`flags ${flags} hold unknown bits (known: ${TERMINAL_FLAGS_KNOWN})`);
  const version = match[2]!;
  if (!isCarriableTerminalVersion(version)) throw new RangeError(`the version must be printable ASCII of at most ${TERMINAL_VERSION_MAX} characters`);
  return Object.freeze({ kittyKeyboard: (flags & TERMINAL_FLAG_KITTY_KEYBOARD) !== 0, synchronizedOutput: (flags & TERMINAL_FLAG_SYNCHRONIZED_OUTPUT) !== 0, version });
}
