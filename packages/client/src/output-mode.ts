/**
 * How the client writes the session to its standard output (--output): drawn for a terminal, or as text
 * (text-output.ts). Here apart from the text writer so the command line's parser (front.ts) loads none of it.
 */

/** What the client does: draw the screen (a terminal), or write the session's lines as text (a file, a pipe). */
export type OutputMode = 'terminal' | 'text';

/** The --output values, `auto` (the default) first: text when standard output is not a terminal. */
export const OUTPUT_MODES = ['auto', 'text', 'terminal'] as const;
export type OutputSetting = (typeof OUTPUT_MODES)[number];

/** The mode `setting` (default auto) asks for on `output`: auto is text unless `output` is a terminal. */
export function outputModeFor(setting: OutputSetting | undefined, output: { readonly isTTY?: boolean }): OutputMode {
  if (setting === 'text' || setting === 'terminal') return setting;
  return output.isTTY === true ? 'terminal' : 'text';
}

/**
 * What a session started for `mode` asks of `tsmosh-server new`: text wants every line (the program waits for this
 * client rather than the history dropping lines it lacks), and with `input` not a terminal (a script's pipe or
 * file) a program that does not echo its input, as behind ssh (server echo-off-start.ts). A terminal on the input
 * keeps the pty's echo: what is typed reaches the text as on a screen.
 */
export function textSessionArguments(mode: OutputMode, input: { readonly isTTY?: boolean }): string[] {
  if (mode !== 'text') return [];
  return input.isTTY === true ? ['--keep-every-line'] : ['--keep-every-line', '--no-echo'];
}
