/**
 * tsmosh exchanges UTF-8 with the remote program and draws UTF-8 on the local terminal, so, like mosh, it refuses to
 * start under a locale whose character set is not UTF-8 (the terminal would show mojibake for every non-ASCII cell).
 * Without libc's nl_langinfo we read the variables setlocale(LC_CTYPE, "") consults, in its order of precedence.
 */
import { ctypeSetting, isUtf8LocaleName } from '@tsmosh/terminal/front';
export interface LocaleCheck {
  readonly ok: boolean;
  /** The variable that decided, and its value, for the error line. */
  readonly decidedBy: string;
  /** The variable to set to fix it: the one in force (LC_ALL beats LC_CTYPE beats LANG), else LANG. */
  readonly variable: 'LC_ALL' | 'LC_CTYPE' | 'LANG';
}

export function checkUtf8Locale(env: NodeJS.ProcessEnv): LocaleCheck {
  const setting = ctypeSetting(env);
  if (setting !== undefined) return { ok: isUtf8LocaleName(setting.value), decidedBy: `${setting.name}=${setting.value}`, variable: setting.name };
  return { ok: false, decidedBy: 'no LC_ALL, LC_CTYPE or LANG set (the C locale)', variable: 'LANG' };
}

/**
 * The one line for a non-UTF-8 locale. It names the variable actually in force: advising LANG while LC_ALL=C
 * overrides it cannot work.
 */
export function localeErrorMessage(check: LocaleCheck, program: string): string {
  const fix = check.variable === 'LANG' ? 'set LANG=C.UTF-8' : `set ${check.variable}=C.UTF-8 or unset ${check.variable}`;
  return `${program}: needs a UTF-8 locale, but ${check.decidedBy} is not one; ${fix} (or use another *.UTF-8 locale listed by \`locale -a\`).`;
}
