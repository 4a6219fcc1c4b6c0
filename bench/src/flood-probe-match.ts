/**
 * The flood probe's (flood-probe.ts) readings of the client's output: where a flood or a command has really ended.
 * The output is what the client wrote to its terminal: rows drawn with cursor moves and SGR, the scrollback history
 * written as lines, a predicted echo word by word between underline sequences.
 */

/** A prompt no output of the probe's commands contains. */
export const PROMPT = 'PROBE> ';

/**
 * What a renderer writes between the end of one line of text and the start of another: CSI, OSC and two-byte escape
 * sequences, CR, LF, BS. Nothing printable.
 */
const CONTROL = String.raw`\x1b\[[0-9;:?<=>]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[^[\]]|[\r\n\b]`;
/** Select Graphic Rendition: a pen change, which a word of text can follow on the same line. */
const SGR = String.raw`\x1b\[[0-9;:]*m`;
const CONTROLS_ONLY = new RegExp(`^(?:${CONTROL})*$`);
const ENDS_WITH_CONTROL = new RegExp(`(?:${CONTROL})$`);
const STARTS_WITH_CONTROL = new RegExp(`^(?:${CONTROL})`);
const TRAILING_SGRS = new RegExp(`(?:${SGR})*$`);
const LEADING_SGRS = new RegExp(`^(?:${SGR})*`);
/** Characters around a match enough to hold the escape sequences next to it. */
const NEAR = 64;

/**
 * Whether what is written at `at` starts a row: the output begins there, or a control other than a pen change comes
 * just before (pen changes skipped). Not a word after others on its line: `seq 1 N`'s echo, or a predicted echo,
 * which comes word by word between underline sequences.
 */
function startsRow(text: string, at: number): boolean {
  const before = text.slice(Math.max(0, at - NEAR), at).replace(TRAILING_SGRS, '');
  return before === '' || ENDS_WITH_CONTROL.test(before);
}

/**
 * Whether the prompt at `at` is the shell's current one: nothing printed right after it (pen changes skipped). Not a
 * command line in the history (`PROBE> seq 1 N`), nor a prompt with a predicted echo after it.
 */
function promptIsCurrent(text: string, at: number): boolean {
  const after = text.slice(at + PROMPT.length, at + PROMPT.length + NEAR).replace(LEADING_SGRS, '');
  return after === '' || STARTS_WITH_CONTROL.test(after);
}

/**
 * `tag` as a whole row with the shell's current prompt after it (only control sequences between them): the last line
 * of a flood or a command, then the prompt. Not the command's own echo of `tag`, nor its line in the history.
 */
export function lineThenPrompt(tag: string): (text: string) => boolean {
  return (text) => {
    for (let at = text.indexOf(tag); at >= 0; at = text.indexOf(tag, at + 1)) {
      const prompt = text.indexOf(PROMPT, at + tag.length);
      if (prompt < 0) return false;
      if (startsRow(text, at) && CONTROLS_ONLY.test(text.slice(at + tag.length, prompt)) && promptIsCurrent(text, prompt)) return true;
    }
    return false;
  };
}

/**
 * The tty's echo of Ctrl-C (`^C`, drawn over the start of the line it stopped) and the shell's current prompt after
 * it: not the endless flood's own command line, which the flood's history may still be writing.
 */
export function promptAfterCtrlC(text: string): boolean {
  const echo = text.indexOf('^C');
  if (echo < 0) return false;
  for (let at = text.indexOf(PROMPT, echo); at >= 0; at = text.indexOf(PROMPT, at + 1)) if (promptIsCurrent(text, at)) return true;
  return false;
}
