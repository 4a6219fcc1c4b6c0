/**
 * The locale rule shared by the client (which refuses to start under a non-UTF-8 locale) and the server (which
 * gives the session a UTF-8 one): which variable decides the character set, and whether a locale name is UTF-8.
 * Pure: the caller passes the environment.
 */

/** The variables setlocale(LC_CTYPE, "") consults, in POSIX order of precedence. */
export const CTYPE_PRECEDENCE = ['LC_ALL', 'LC_CTYPE', 'LANG'] as const;

/** The variable that decides the character set and its value, or undefined when none is set (the C locale). */
export function ctypeSetting(
  env: Readonly<Record<string, string | undefined>>,
): { readonly name: (typeof CTYPE_PRECEDENCE)[number]; readonly value: string } | undefined {
  for (const name of CTYPE_PRECEDENCE) {
    const value = env[name];
    if (value !== undefined && value !== '') return { name, value };
  }
  return undefined;
}

/** Whether a locale name's codeset is UTF-8 (en_US.UTF-8, C.utf8, de_DE.utf8@euro). */
export function isUtf8LocaleName(name: string): boolean {
  return /\.utf-?8(@|$)/i.test(name);
}
