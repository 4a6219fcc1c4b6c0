/**
 * ssh's own login options on tsmosh's command line: `-o NAME=VALUE`, `-i FILE`, `-J JUMP`, `-l USER` and `-F FILE`,
 * as `ssh` takes them (separate or attached: `-i key`, `-ikey`). None of these letters is a mosh option except `-o`,
 * which mosh uses as a flag (overwrite prediction) that takes no word: a word of ssh's option form after it is ssh's.
 * They are kept in ssh's argument form, handed as they are to OpenSSH under --ssh and turned into the built-in
 * client's command-line overrides otherwise (`resolveOptionsFor`), so both logins read them the same way.
 */
import { homedir } from 'node:os';
import { expandTilde } from './config.js';

/** The ssh flags tsmosh takes, each with the word after it. */
const LOGIN_FLAGS = ['-o', '-i', '-J', '-l', '-F'] as const;
type LoginFlag = (typeof LOGIN_FLAGS)[number];

/** `Keyword=value` or `Keyword value`, as ssh_config(5) writes an option and `ssh -o` takes one. */
const OPTION_FORM = /^[A-Za-z][A-Za-z0-9]*(=|\s+)\S/;

export type LoginOptionRead =
  | { readonly kind: 'option'; readonly arguments: readonly [LoginFlag, string]; readonly nextIndex: number }
  | { readonly kind: 'error'; readonly message: string };

/**
 * Reads the ssh login option at `argv[index]`, if it is one: the flag and its word in separate form, and the index
 * after them. undefined when `argv[index]` is not such an option (a bare `-o` with no option after it is mosh's).
 */
export function readLoginOption(argv: readonly string[], index: number): LoginOptionRead | undefined {
  const arg = argv[index]!;
  const flag = LOGIN_FLAGS.find((candidate) => arg.startsWith(candidate));
  if (flag === undefined) return undefined;
  const attached = arg.length > 2 ? arg.slice(2) : undefined;
  const word = attached ?? argv[index + 1];
  const nextIndex = attached !== undefined ? index + 1 : index + 2;
  if (flag === '-o') {
    if (word === undefined || !OPTION_FORM.test(word)) return undefined;
    return { kind: 'option', arguments: [flag, word], nextIndex };
  }
  if (word === undefined || word === '') {
    const what = { '-i': 'an identity file', '-J': 'a jump host ([user@]host[:port], commas between hops)', '-l': 'a user name', '-F': 'a config file (or none)' }[flag];
    return { kind: 'error', message: `tsmosh: ${flag} needs ${what}, as with ssh` };
  }
  return { kind: 'option', arguments: [flag, word], nextIndex };
}

/** What the built-in client's resolver takes from these options: config lines, the config files, the user. */
export interface LoginResolveOptions {
  /** ssh_config lines that apply to the destination before every file (`-o`, `-i` as IdentityFile, `-J` as ProxyJump). */
  readonly commandLine?: readonly string[];
  /** `-F`: the only config file read (`none`: none), as ssh -F replaces both the user's and the system's. */
  readonly configFiles?: readonly string[];
  /** `-l`: the login user; it wins over `user@` in the destination, as in OpenSSH. */
  readonly user?: string;
}

/** Turns ssh login options (separate form, as readLoginOption gives them) into the resolver's overrides. */
export function resolveOptionsFor(args: readonly string[], home: string = homedir()): LoginResolveOptions {
  const commandLine: string[] = [];
  let configFiles: string[] | undefined;
  let user: string | undefined;
  for (let index = 0; index + 1 < args.length; index += 2) {
    const flag = args[index] as LoginFlag;
    const word = args[index + 1]!;
    if (flag === '-o') commandLine.push(word);
    else if (flag === '-i') commandLine.push(`IdentityFile ${/\s/.test(word) ? `"${word}"` : word}`);
    else if (flag === '-J') commandLine.push(`ProxyJump ${word}`);
    else if (flag === '-l') user ??= word; // the first -l wins, as ssh's first value of any option
    else if (flag === '-F') configFiles ??= word.toLowerCase() === 'none' ? [] : [expandTilde(word, home)];
  }
  return {
    ...(commandLine.length > 0 ? { commandLine } : {}),
    ...(configFiles !== undefined ? { configFiles } : {}),
    ...(user !== undefined ? { user } : {}),
  };
}
