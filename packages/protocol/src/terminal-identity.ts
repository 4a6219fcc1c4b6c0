/**
 * The variables that name the user's own terminal, which the client hands to the session (`tsmosh-server new -e`).
 * SSH does not carry them (no AcceptEnv for them on most hosts), yet programs gate features on them: Claude Code
 * enables the kitty keyboard protocol (Shift+Enter for a newline), notifications and progress only for terminals it
 * recognises by TERM_PROGRAM. They describe the terminal the client draws on, so they are true in the session.
 *
 * TERM is not among them: the session's program writes to tsmosh's mirror, an xterm emulation, whose TERM
 * (xterm-256color) is what decides the bytes the program may send; the client then redraws for the real terminal.
 */
export const TERMINAL_IDENTITY_VARIABLES: readonly string[] = [
  'TERM_PROGRAM',
  'TERM_PROGRAM_VERSION',
  'COLORTERM',
  // iTerm2 sets these as well (its SSH integration sends LC_* variables because hosts accept those).
  'LC_TERMINAL',
  'LC_TERMINAL_VERSION',
];

/** bytes: a longer value is not a terminal's name; refuse it rather than carry it into every program's environment. */
export const TERMINAL_IDENTITY_VALUE_MAX = 256;

/** The identity assignments (`NAME=VALUE`) to pass on from `env`, in a fixed order. */
export function terminalIdentityAssignments(env: Readonly<Record<string, string | undefined>>): string[] {
  const assignments: string[] = [];
  for (const name of TERMINAL_IDENTITY_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '' && value.length <= TERMINAL_IDENTITY_VALUE_MAX && !/[\0-\x1f\x7f]/.test(value)) {
      assignments.push(`${name}=${value}`);
    }
  }
  return assignments;
}
