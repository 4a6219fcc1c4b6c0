/**
 * The mirror's answers to a program's capability queries, made to reflect the user's own terminal (what its client
 * reported at start-up: TerminalCapabilities, input event `terminal`) as well as what tsmosh itself supports:
 *
 * - XTVERSION (`CSI > 0 q`): the local terminal's own answer, passed through (`DCS > | text ST`), so a program that
 *   recognises terminals by name (Claude Code, tmux's client_termtype) sees kitty, WezTerm or ghostty over tsmosh as
 *   it would locally. No answer while no client has reported one, as before: a name is never invented; nor for a
 *   name that makes programs use what the mirror cannot draw (NAMES_THE_MIRROR_CANNOT_HONOUR).
 * - kitty keyboard flags (`CSI ? u`): answered (with the flags the program pushed, terminal-tracker.ts) unless the
 *   client reported a terminal that does not speak the protocol; then not at all, which is how a program learns a
 *   terminal lacks it. Before any report it is answered, as it always was.
 * - DA1, DA2, DSR and DECRQM (2026, cursor and keypad modes, bracketed paste...) stay xterm's own: they describe the
 *   mirror, the terminal the program really writes to, and tsmosh carries what they claim (2026 holds frames,
 *   pty-host.ts; the key modes travel in the screen state to the local terminal).
 */
import type { Terminal, IDisposable } from '@xterm/headless';
import type { TerminalCapabilities } from '@tsmosh/terminal';
import { firstParam } from './xterm-params.js';

export interface CapabilityAnswers {
  /** What the user's terminal answered, as its client reported it; undefined while no client has. */
  clientTerminal: TerminalCapabilities | undefined;
  dispose(): void;
}

/**
 * Terminal names not passed on, because programs that read them then use what the mirror (xterm.js) lacks: tmux 3.3a
 * turns on left/right margins (DECLRMM, DECSLRM) for iTerm2 and mintty, which xterm.js does not implement, so a
 * split pane's scrolling leaves the mirror's screen wrong (measured: 22 of 23 rows of the other pane differed from
 * tmux's own; kitty, WezTerm, ghostty, foot, XTerm, Konsole and tmux left none); and Claude Code sends iTerm2 inline
 * images for an iTerm2 3.5 name, which the screen state cannot carry. Such a terminal gets no answer, as before.
 */
const NAMES_THE_MIRROR_CANNOT_HONOUR: readonly RegExp[] = [/^iTerm2\b/i, /^mintty\b/i];

/** The XTVERSION text the mirror answers for a client terminal that gave `version`; '' for none. */
export function passedThroughVersion(version: string): string {
  return NAMES_THE_MIRROR_CANNOT_HONOUR.some((name) => name.test(version)) ? '' : version;
}

/** The answer to XTVERSION for a terminal that gave `version`. */
export function xtversionAnswer(version: string): string {
  return `\x1bP>|${version}\x1b\\`;
}

/**
 * Installs the answers on `term`. Install after trackTerminal: xterm runs the newest handler first, so the kitty
 * query reaches the tracker's answer only when this one lets it through.
 */
export function answerCapabilityQueries(term: Terminal): CapabilityAnswers {
  const parser = term.parser;
  const disposables: IDisposable[] = [];
  const answers: CapabilityAnswers = {
    clientTerminal: undefined,
    dispose: () => {
      for (const d of disposables.splice(0)) d.dispose();
    },
  };
  disposables.push(
    parser.registerCsiHandler({ prefix: '>', final: 'q' }, (params) => {
      // Only Ps 0 (or none) asks for the version; xterm.js itself does not answer XTVERSION.
      if (firstParam(params, 0) !== 0) return true;
      const version = passedThroughVersion(answers.clientTerminal?.version ?? '');
      // The reply goes through xterm's own channel (onData), in order with the other answers, and the reply filter.
      if (version !== '') term.input(xtversionAnswer(version), false);
      return true;
    }),
    parser.registerCsiHandler({ prefix: '?', final: 'u' }, () => {
      const client = answers.clientTerminal;
      // true: handled here, so the tracker does not answer; false: the tracker answers with the flags.
      return client !== undefined && !client.kittyKeyboard;
    }),
  );
  return answers;
}
