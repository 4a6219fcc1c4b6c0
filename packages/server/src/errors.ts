/**
 * Errors a user can cause or meet on the server side. Each carries a one-line message that says what happened and
 * what to do, so the CLI prints `error.message` alone and exits with `exitCode`; nothing here needs a stack trace.
 */

/** Exit status for a refused request (port taken, bad locale, unsafe runtime dir, daemon unreachable). */
export const EXIT_FAILURE = 1;
/** Exit status for a malformed command line, as getopt-style tools use. */
const EXIT_USAGE = 2;

export class ServerError extends Error {
  override readonly name: string = 'ServerError';
  /** Machine-readable kind, carried across the control socket so the CLI can reproduce the same error. */
  readonly code: ServerErrorCode;
  readonly exitCode: number;

  constructor(code: ServerErrorCode, message: string, exitCode: number = EXIT_FAILURE) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
  }
}

export type ServerErrorCode =
  | 'usage'
  | 'port-in-use'
  | 'no-free-port'
  | 'bad-address'
  | 'locale'
  | 'runtime-dir'
  | 'state-dir'
  | 'daemon-unreachable'
  | 'daemon-start'
  | 'daemon-generation'
  | 'control-protocol'
  | 'no-such-session'
  | 'spawn'
  | 'shutting-down'
  | 'forbidden'
  | 'internal';

/** A command-line mistake: printed with a usage hint, exit status 2. */
export class UsageError extends ServerError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('usage', message, EXIT_USAGE);
  }
}

/** One line for any error: a ServerError's own message, or the `what: detail` of an unexpected one. */
export function describeError(error: unknown, context: string): string {
  if (error instanceof ServerError) return error.message;
  const detail = error instanceof Error ? error.message : String(error);
  return `tsmosh-server: ${context}: ${detail.split('\n')[0]}`;
}
