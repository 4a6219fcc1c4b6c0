import { constants } from 'node:os';
import type { SessionExit } from './session.js';

/**
 * The exit status of `tsmosh` and `tsmosh-client`, as ssh's: the remote program's own status when it exited,
 * 128 + the signal's number when a signal ended it (as a shell reports it), and 255 for everything that is tsmosh's
 * own doing (a bad option, no server, the network gone, the session ended on the server), so a script can tell a
 * failing command from a failing connection. A session taken over by another client ends this one with 0.
 */

/** tsmosh's own failures, usage errors included: ssh's 255. */
export const EXIT_TSMOSH_FAILURE = 255;
/** A normal end: the user quit with the escape key, or the program exited 0. */
export const EXIT_OK = 0;

/** 128 + the signal's number, or 255 for a name this platform does not know (it cannot be told apart otherwise). */
export function exitStatusForSignal(signal: string): number {
  const number = (constants.signals as Record<string, number | undefined>)[signal];
  return number === undefined ? EXIT_TSMOSH_FAILURE : 128 + number;
}

/**
 * The status for how a session ended. `terminationSignal`: a signal that ended the client itself (SIGTERM, SIGHUP,
 * a SIGINT sent by `kill`), which wins: the client dies of it as far as its parent is concerned.
 */
export function exitStatusFor(exit: SessionExit | undefined, terminationSignal?: string): number {
  if (terminationSignal !== undefined) return exitStatusForSignal(terminationSignal);
  if (exit === undefined) return EXIT_TSMOSH_FAILURE;
  switch (exit.reason) {
    case 'user':
      return EXIT_OK;
    case 'remote-exit': {
      const ending = exit.ending;
      // A server that ends without saying how (none does today) is taken at its word: a normal end.
      if (ending === undefined) return EXIT_OK;
      // Taken over: the session goes on in another client, as after a quit. Ended by the server (killed, idle
      // timeout, daemon shut down): not the program's doing, so ours, as ssh's 255 when its connection is closed.
      if (ending.kind === 'taken-over') return EXIT_OK;
      if (ending.kind !== 'command-exited') return EXIT_TSMOSH_FAILURE;
      if (ending.signal !== undefined) return exitStatusForSignal(ending.signal);
      return ending.exitCode;
    }
    case 'network-timeout':
    case 'error':
    case 'server-gone':
      return EXIT_TSMOSH_FAILURE;
  }
}

/**
 * The line shown after the terminal is restored, or undefined when the exit status says it all. ssh prints nothing
 * when the remote command exits, whatever its status: the status is the report, and the user saw the command's own
 * last words. A line is kept where it says what the status cannot: a signal (128+N is also what a command exiting
 * with that number gives, and SIGKILL's line names the likely killer), a takeover, a session ended on the server
 * (killed, timed out: 255 alone would not say which), a lost connection, the user's quit, and a signal that ended
 * the client itself.
 */
export function exitLine(exit: SessionExit, terminationSignal?: string): string | undefined {
  if (terminationSignal !== undefined) return `tsmosh: exiting on ${terminationSignal}.`;
  if (exit.reason === 'remote-exit') {
    const ending = exit.ending;
    // No reason given (no server does that today) is taken as exitStatusFor takes it: a normal end.
    if (ending === undefined || (ending.kind === 'command-exited' && ending.signal === undefined)) return undefined;
  }
  return exit.message;
}
