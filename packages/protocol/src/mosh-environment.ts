/**
 * mosh's environment variables that have a tsmosh twin with the same meaning and value syntax. A user's shell
 * profile written for mosh keeps working: where the TSMOSH_ name is unset, the MOSH_ one is read. (MOSH_KEY is not a
 * twin: a mosh key is another format and another protocol.)
 */
export const MOSH_ENVIRONMENT_TWINS: readonly (readonly [moshName: string, tsmoshName: string])[] = [
  ['MOSH_ESCAPE_KEY', 'TSMOSH_ESCAPE_KEY'],
  ['MOSH_PREDICTION_DISPLAY', 'TSMOSH_PREDICTION_DISPLAY'],
  ['MOSH_SERVER_NETWORK_TMOUT', 'TSMOSH_SERVER_NETWORK_TMOUT'],
];

/** Copies each set MOSH_ twin into its unset TSMOSH_ name, in place (a program calls it once, on its environment). */
export function adoptMoshEnvironment(env: Record<string, string | undefined>): void {
  for (const [moshName, tsmoshName] of MOSH_ENVIRONMENT_TWINS) {
    const value = env[moshName];
    if (value !== undefined && value !== '' && (env[tsmoshName] === undefined || env[tsmoshName] === '')) env[tsmoshName] = value;
  }
}
