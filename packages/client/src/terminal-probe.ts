/**
 * What the user's terminal supports, asked of the terminal itself at start-up. The client writes four queries at
 * once and reads the answers from the terminal's input, taking them out so they never reach the program as if typed:
 *
 *   XTVERSION  `CSI > 0 q`       → `DCS > | name ST`      the terminal's own name and version
 *   kitty      `CSI ? u`         → `CSI ? flags u`        it speaks the kitty keyboard protocol
 *   DECRQM     `CSI ? 2026 $ p`  → `CSI ? 2026 ; Ps $ y`  it knows synchronized output (DEC 2026)
 *   DA1        `CSI c`           → `CSI ? … c`            every terminal answers this one
 *
 * Terminals answer in order, so the DA1 answer, asked last, ends the probe at once: what has not been answered by
 * then never will be (the kitty protocol's own recommended way to detect it). A terminal that answers nothing at
 * all is given PROBE_ANSWER_WAIT_MS. Nothing is guessed: a capability is claimed only when the terminal answered.
 */
import { TERMINAL_VERSION_MAX, type TerminalCapabilities } from '@tsmosh/terminal/front';
import type { ClientRuntime } from './client-runtime.js';
import { NODE_TIMERS } from './node-timers.js';

/** The queries, in the order the answers are expected; DA1 last (see above). */
export const TERMINAL_PROBE_QUERIES = '\x1b[>0q' + '\x1b[?u' + '\x1b[?2026$p' + '\x1b[c';

/** ms: a terminal answers at once; one that has not answered by then does not know these queries, and keys go on. */
export const PROBE_ANSWER_WAIT_MS = 1000;

/**
 * The answers, anchored where an ESC starts. XTVERSION's text is bounded (a longer one is not taken out, and the
 * probe passes it on as input, as it would any unknown bytes). ST is ESC \ or, from some terminals, BEL.
 */
const XTVERSION_ANSWER = new RegExp(`^\\x1bP>\\|([\\x20-\\x7e]{0,${TERMINAL_VERSION_MAX}})(?:\\x1b\\\\|\\x07)`);
const KITTY_ANSWER = /^\x1b\[\?(\d{1,3})u/;
const DECRPM_2026_ANSWER = /^\x1b\[\?2026;(\d)\$y/;
const DA1_ANSWER = /^\x1b\[\?[\d;]{0,64}c/;

/**
 * The beginnings of an answer that may still be completed by the next read, each ending at the end of the text.
 * Bounded like the answers themselves, so garbage cannot make the probe hold input back for long.
 */
const ANSWER_PREFIXES = [
  /^\x1b$/,
  /^\x1b\[$/,
  /^\x1b\[\?[\d;]{0,64}$/, // kitty, DECRPM, DA1
  /^\x1b\[\?2026;\d?\$?$/,
  new RegExp(`^\\x1bP(?:>(?:\\|[\\x20-\\x7e]{0,${TERMINAL_VERSION_MAX}}\\x1b?)?)?$`),
];
/** Longest held-back beginning of an answer (characters): the longest prefix above. */
const MAX_HELD = 4 + TERMINAL_VERSION_MAX + 1;

/**
 * Watches the terminal's input for the answers to TERMINAL_PROBE_QUERIES and takes them out. Until it settles (the
 * DA1 answer, or `settle()` when the wait runs out) a chunk ending in the start of an answer is held back for the
 * next one; after that, input passes untouched.
 */
export class TerminalProbe {
  private settledWith: TerminalCapabilities | undefined;
  private held = '';
  private version = '';
  private kittyKeyboard = false;
  private synchronizedOutput = false;

  /** undefined until settled; then what the terminal answered. */
  get capabilities(): TerminalCapabilities | undefined {
    return this.settledWith;
  }

  /** Terminal input in (one character per byte, latin1); what remains for the program out. */
  filter(input: string): string {
    if (this.settledWith !== undefined) return input;
    const text = this.held + input;
    this.held = '';
    let out = '';
    let at = 0;
    while (at < text.length) {
      const escape = text.indexOf('\x1b', at);
      if (escape < 0) {
        out += text.slice(at);
        break;
      }
      out += text.slice(at, escape);
      const rest = text.slice(escape);
      const taken = this.takeAnswer(rest);
      if (taken > 0) {
        at = escape + taken;
        if (this.settledWith !== undefined) return out + text.slice(at);
        continue;
      }
      if (rest.length <= MAX_HELD && ANSWER_PREFIXES.some((prefix) => prefix.test(rest))) {
        this.held = rest;
        return out;
      }
      out += '\x1b';
      at = escape + 1;
    }
    return out;
  }

  /** No DA1 answer came in time: settles with what did come. Returns input held back, to pass on. */
  settle(): string {
    this.finish();
    const held = this.held;
    this.held = '';
    return held;
  }

  /** The length of the answer `text` starts with (0 if none), recording what it says. */
  private takeAnswer(text: string): number {
    let match = XTVERSION_ANSWER.exec(text);
    if (match !== null) {
      this.version = match[1]!;
      return match[0].length;
    }
    match = KITTY_ANSWER.exec(text);
    if (match !== null) {
      this.kittyKeyboard = true;
      return match[0].length;
    }
    match = DECRPM_2026_ANSWER.exec(text);
    if (match !== null) {
      // Ps 1 set, 2 reset, 3 permanently set: known. 0 not recognised, 4 permanently reset: not usable.
      const mode = Number(match[1]);
      this.synchronizedOutput = mode === 1 || mode === 2 || mode === 3;
      return match[0].length;
    }
    match = DA1_ANSWER.exec(text);
    if (match !== null) {
      this.finish();
      return match[0].length;
    }
    return 0;
  }

  private finish(): void {
    this.settledWith ??= Object.freeze({ kittyKeyboard: this.kittyKeyboard, synchronizedOutput: this.synchronizedOutput, version: this.version });
  }
}

/**
 * Asks the terminal on `input`/`output` before a session exists (the CLI, before it starts the session, so the
 * session's own command gets the answers from its first query): raw mode for the probe, then the mode it found.
 * Keys typed meanwhile are put back on `input` for whoever reads next. undefined when either end is not a terminal.
 */
export function probeTerminal(
  input: NodeJS.ReadStream,
  output: NodeJS.WriteStream,
  waitMs = PROBE_ANSWER_WAIT_MS,
  timer: Pick<ClientRuntime, 'setTimer' | 'clearTimer'> = NODE_TIMERS,
): Promise<TerminalCapabilities | undefined> {
  if (!input.isTTY || !output.isTTY) return Promise.resolve(undefined);
  const wasRaw = input.isRaw;
  const probe = new TerminalProbe();
  let typed = '';
  return new Promise((resolve) => {
    const finish = (): void => {
      timer.clearTimer(wait);
      input.off('data', onData);
      input.pause();
      typed += probe.settle();
      try {
        if (!wasRaw) input.setRawMode(false);
      } catch {
        // stdin closed under us: nothing to restore.
      }
      if (typed !== '') input.unshift(Buffer.from(typed, 'latin1'));
      resolve(probe.capabilities);
    };
    const onData = (chunk: Buffer | string): void => {
      typed += probe.filter(typeof chunk === 'string' ? chunk : chunk.toString('latin1'));
      if (probe.capabilities !== undefined) finish();
    };
    const wait = timer.setTimer(finish, waitMs);
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
    output.write(TERMINAL_PROBE_QUERIES);
  });
}
