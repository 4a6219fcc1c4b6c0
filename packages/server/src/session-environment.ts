/**
 * The session's environment: which locale decides the character set, whether it is an installed UTF-8 one, the
 * variables a nested terminal must not inherit, and the default program. Moved out of session.ts, which holds the
 * session's life; this module holds what the program starts with.
 */
import { execFile, spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { ctypeSetting, isUtf8LocaleName } from '@tsmosh/terminal/front';
import { ServerError } from './errors.js';

/** The TERM the session's program sees: what @xterm/headless emulates, and what tmux, vim and Ink expect for 256 colours. */
export const DEFAULT_TERM = 'xterm-256color';

const LOCALE_VARIABLES = [
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_NUMERIC',
  'LC_TIME',
  'LC_COLLATE',
  'LC_MONETARY',
  'LC_MESSAGES',
  'LC_PAPER',
  'LC_NAME',
  'LC_ADDRESS',
  'LC_TELEPHONE',
  'LC_MEASUREMENT',
  'LC_IDENTIFICATION',
];

/** The locale that decides the character set, by POSIX precedence (terminal's locale rule); 'C' when unset. */
export function effectiveCtype(env: Readonly<Record<string, string | undefined>>): string {
  return ctypeSetting(env)?.value ?? 'C';
}

export { isUtf8LocaleName };

/**
 * The session's environment: the caller's, with a UTF-8 locale (the caller's own if it has one, else the client's
 * `-l` variables, as mosh-server decides), TERM, and the variables a nested terminal must not inherit removed.
 * Throws ServerError('locale') when neither gives an installed UTF-8 locale.
 */
export function buildSessionEnvironment(options: {
  env: Readonly<Record<string, string>>;
  locale?: Readonly<Record<string, string>>;
  term?: string;
  installedLocales?: ReadonlySet<string> | undefined;
}): Record<string, string> {
  const installed = options.installedLocales;
  const usable = (name: string): boolean =>
    isUtf8LocaleName(name) && (installed === undefined || installed.has(normalizeLocaleName(name)));
  let env: Record<string, string> = { ...options.env };
  const native = effectiveCtype(env);
  if (!usable(native)) {
    const fromClient = options.locale ?? {};
    for (const name of LOCALE_VARIABLES) delete env[name];
    env = { ...env, ...fromClient };
    const client = effectiveCtype(env);
    if (!usable(client)) {
      const installedHint = installed === undefined ? '' : ' (see `locale -a` for the installed ones)';
      throw new ServerError(
        'locale',
        `tsmosh-server: needs a UTF-8 locale, but the environment has ${native}` +
          (Object.keys(fromClient).length > 0 ? ` and -l gives ${client}` : '') +
          `${installedHint}; set LANG to a UTF-8 locale such as C.UTF-8, or pass -l LANG=C.UTF-8`,
      );
    }
  }
  env.TERM = options.term ?? DEFAULT_TERM;
  // Line-drawing through UTF-8 rather than the VT100 alternate character set, which the client does not carry.
  env.NCURSES_NO_UTF8_ACS = '1';
  // The session is not inside the caller's screen/tmux, whatever the environment of `tsmosh-server new` says.
  delete env.STY;
  delete env.TMUX;
  delete env.TMUX_PANE;
  delete env.TSMOSH_KEY;
  return env;
}

/** glibc's normalized name: codeset lower-cased without punctuation (en_US.UTF-8 → en_US.utf8). */
export function normalizeLocaleName(name: string): string {
  const match = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name);
  if (match === null) return name;
  const [, language, codeset, modifier] = match;
  if (codeset === undefined) return name;
  return `${language}.${codeset.toLowerCase().replace(/[^a-z0-9]/g, '')}${modifier ?? ''}`;
}

/**
 * The installed locales (normalized), from `locale -a`; undefined when that cannot run (musl systems have no
 * `locale -a` and accept any UTF-8 name), in which case the name alone decides.
 */
export function installedLocales(): ReadonlySet<string> | undefined {
  const result = spawnSync('locale', ['-a'], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  return parseLocaleList(result.stdout);
}

/** `locale -a`'s output as installedLocales reads it. */
function parseLocaleList(stdout: string): ReadonlySet<string> {
  return new Set(
    stdout
      .split('\n')
      .filter((line) => line !== '')
      .map(normalizeLocaleName),
  );
}

/**
 * installedLocales without blocking: a daemon asks as it starts, so that its first session does not wait the 25–55 ms
 * (measured here) a `locale -a` takes to run.
 */
export function installedLocalesLater(): Promise<ReadonlySet<string> | undefined> {
  return new Promise((resolve) => {
    execFile('locale', ['-a'], { encoding: 'utf8', timeout: 5000 }, (error, stdout) => resolve(error === null ? parseLocaleList(stdout) : undefined));
  });
}

/**
 * The default program: the user's shell ($SHELL, else the password database, else /bin/sh) as a login shell. node-pty
 * cannot set argv[0] to mosh's `-bash` form, so `-l` asks for a login shell instead; bash, zsh, dash, ksh and fish all
 * accept it.
 */
export function defaultCommand(env: Readonly<Record<string, string>>): string[] {
  let shell: string | undefined = env.SHELL;
  if (shell === undefined || shell === '') {
    try {
      shell = userInfo().shell ?? undefined;
    } catch {
      shell = undefined;
    }
  }
  return [shell !== undefined && shell !== '' ? shell : '/bin/sh', '-l'];
}

/** An environment with its unset variables left out: what a program's environment (and the control protocol) holds. */
export function definedVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) if (value !== undefined) result[name] = value;
  return result;
}
