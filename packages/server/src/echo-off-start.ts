/**
 * A session for a script's text (`tsmosh host -- sort < file > out`: text output, input not a terminal) starts its
 * program with the pty's echo off. A pty echoes what is written into it, as a screen shows typing; behind ssh a
 * command's stdin is a pipe and nothing is echoed, so `printf 'b\na\n' | tsmosh host -- sort` wrote `b a a b` where
 * ssh writes `a b`.
 *
 * The echo goes off before the program runs: node-pty fixes the pty's modes itself and offers no way to change them
 * before its fork, so the pty's first process is a POSIX shell that runs `stty -echo`, says it has (an APC string
 * the pty host takes out of the output: EchoOffGate), then execs the program. Nothing else writes to the pty by
 * then, so stty cannot wait on anyone (turning the echo off beside a running program could: stty's set_termios
 * takes the tty's write lock, which a program blocked in write() holds while nobody reads the pty; see commit
 * fab8bf9). The pty host holds every write into the pty until the gate has seen the answer, so no byte of input is
 * ever echoed.
 *
 * Exactness: `exec` keeps the process (the pid node-pty reports, the session's leader, its signals and exit status),
 * and execvp's PATH search and argv (argv[0] is `file`, as node-pty gives it). The environment reaches the program
 * through the shell's own, never its arguments: a process's argv is world-readable (/proc/PID/cmdline, `ps`), and
 * the environment holds the user's tokens. A POSIX shell passes its environment on as it got it, with two
 * exceptions, which `env` puts right with arguments that hold nothing private: the names it resets (SHELL_RESETS:
 * `IFS`, `OPTIND`, `PPID`, given back their own values) and names that are not shell identifiers, which it drops
 * (`BASH_FUNC_f%%`, a bash function exported; a name with '.' or '-'), given back by `env NAME=VALUE` (their values
 * are in the arguments then: an exported function's code, or the odd name's value). PWD is node-pty's, the cwd,
 * which the shell keeps. Where that cannot be said to `env` (a name starting with '-', or a program whose name has
 * '=' when env is needed), or the shell or env is missing, the program starts as before, echo on, and
 * `echoOffStart` says why.
 */
import { accessSync, constants as fsConstants } from 'node:fs';

/** The shell that runs stty: the one path POSIX promises. */
export const ECHO_OFF_SHELL = '/bin/sh';
/** `env` by the path every `#!/usr/bin/env` script relies on; its -i starts from an empty environment. */
export const ECHO_OFF_ENV = '/usr/bin/env';
/** The answer's start: APC (ESC _), which no program's output reaches us ahead of (it is the pty's first output). */
const ANSWER_START = '\x1b_tsmosh-echo-off;';
/** The answer's end: ST (ESC \). Between them, stty's exit status in decimal. */
const ANSWER_END = '\x1b\\';
/** Longest answer (bytes): start, a status of up to 3 digits, end. */
const ANSWER_MAX_BYTES = ANSWER_START.length + 3 + ANSWER_END.length;

/**
 * The shell's script. stty is looked up with /bin and /usr/bin added (the program's PATH may lack them; the addition
 * is stty's alone). "$@" is the program (or env, its corrections and the program) and its arguments.
 */
const SCRIPT = `PATH="$PATH:/bin:/usr/bin" stty -echo 2>/dev/null; printf '\\033_tsmosh-echo-off;%d\\033\\\\' "$?"; exec "$@"`;

/** Variables a POSIX shell (dash, bash) sets itself when it starts, whatever value its environment gave them. */
export const SHELL_RESETS: readonly string[] = ['IFS', 'OPTIND', 'PPID'];

/** A name the shell keeps in the environment it passes on (POSIX: letters, digits, '_', not starting with a digit). */
const SHELL_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export type EchoOffStart =
  | { readonly ok: true; readonly file: string; readonly args: readonly string[] }
  | { readonly ok: false; readonly reason: string };

/** `file` and `args` started with the echo off, in `env` (the program's whole environment, as node-pty gets it). */
export function echoOffStart(
  file: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  canRun: (path: string) => boolean = isExecutable,
): EchoOffStart {
  // What the shell would lose or change, given back by env's arguments (nothing private: see the comment above).
  const corrections: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (SHELL_IDENTIFIER.test(name) && !SHELL_RESETS.includes(name)) continue;
    // env would take a first argument starting with '-' for an option.
    if (name === '' || name.startsWith('-')) return { ok: false, reason: `the environment variable ${JSON.stringify(name)} cannot be passed through env` };
    corrections.push(`${name}=${value}`);
  }
  const needed = corrections.length > 0 ? [ECHO_OFF_SHELL, ECHO_OFF_ENV] : [ECHO_OFF_SHELL];
  for (const path of needed) if (!canRun(path)) return { ok: false, reason: `${path} is not there to start the program` };
  // env takes its first argument without '=' for the program: a name with one would be read as an assignment.
  if (corrections.length > 0 && file.includes('=')) {
    return { ok: false, reason: `the program's name ${JSON.stringify(file)} has '=' in it, which env would read as a variable` };
  }
  // $0 of the script is the shell's name; the program's argv[0] is `file`, as execvp gives it.
  const program = corrections.length > 0 ? [ECHO_OFF_ENV, ...corrections, file] : [file];
  return { ok: true, file: ECHO_OFF_SHELL, args: ['-c', SCRIPT, 'sh', ...program, ...args] };
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** What EchoOffGate.take found: the output that follows the answer (or all of it), and the answer once it is in. */
export interface GateResult {
  /** Output for the mirror: what came after the answer, or everything when there was no answer. */
  readonly output: Uint8Array;
  /** Set once, when the gate opens: undefined when the echo is off, else why it is not. */
  readonly opened?: { readonly failure: string | undefined };
}

/**
 * Takes the wrapper's answer out of the start of the pty's output. Until it is complete the bytes are kept; bytes
 * that cannot be the answer open the gate with a failure and are given back whole (the wrapper did not run: the
 * output is the program's).
 */
export class EchoOffGate {
  private kept = new Uint8Array(0);
  private isOpen = false;

  get open(): boolean {
    return this.isOpen;
  }

  take(data: Uint8Array): GateResult {
    if (this.isOpen) return { output: data };
    const joined = new Uint8Array(this.kept.byteLength + data.byteLength);
    joined.set(this.kept);
    joined.set(data, this.kept.byteLength);
    const text = Buffer.from(joined.buffer, joined.byteOffset, Math.min(joined.byteLength, ANSWER_MAX_BYTES)).toString('latin1');
    const match = /^\x1b_tsmosh-echo-off;(\d{1,3})\x1b\\/.exec(text);
    if (match !== null) {
      const status = Number(match[1]);
      return this.opened(joined.subarray(match[0].length), status === 0 ? undefined : `stty -echo ended with status ${status}`);
    }
    if (couldStartAnswer(text)) {
      this.kept = joined;
      return { output: new Uint8Array(0) };
    }
    return this.opened(joined, 'the pty\'s first output was not the echo-off answer');
  }

  /** Opens the gate without an answer (the program exited, or the answer took too long): gives back what was kept. */
  giveUp(failure: string): GateResult {
    if (this.isOpen) return { output: new Uint8Array(0) };
    return this.opened(this.kept, failure);
  }

  private opened(output: Uint8Array, failure: string | undefined): GateResult {
    this.isOpen = true;
    this.kept = new Uint8Array(0);
    return { output, opened: { failure } };
  }
}

/** Whether `text` (everything so far) is the start of an answer not yet complete. */
function couldStartAnswer(text: string): boolean {
  if (text.length <= ANSWER_START.length) return ANSWER_START.startsWith(text);
  if (!text.startsWith(ANSWER_START)) return false;
  const rest = text.slice(ANSWER_START.length);
  // Digits, then possibly the first byte of ST; the full answer was matched already.
  return /^\d{0,3}\x1b?$/.test(rest) && rest.length < 3 + ANSWER_END.length;
}
