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
