/**
 * The way out when the user's terminal has hung up (its window closed, its SSH connection dropped): everything
 * written to it fails, and the process must still exit cleanly so that its caller's bookkeeping runs (the local
 * session list) and its status is 129, as after SIGHUP.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

/** Swallows the write errors (EIO, as an asynchronous 'error' event) of a terminal that has hung up. */
export function ignoreDeadTerminal(): void {}

/**
 * Node 20 restores each standard descriptor's saved terminal modes as the process exits and aborts (SIGABRT, status
 * 134) when that fails with anything but EPERM, which a hung-up terminal does with EIO (nodejs/node#51519; the check
 * was dropped in nodejs/node#58200, not in Node 20). It skips a closed descriptor, so on the way out each standard
 * descriptor that is not a terminal now is closed: a hung-up terminal fails isatty's query, and a file or a pipe has
 * had everything written to it (both are written synchronously on Linux). One still a terminal (SIGHUP sent by
 * `kill`) is left for Node to restore. Which ones were terminals at start cannot be asked any more: process.stderr,
 * created after the hang-up, no longer says.
 */
export function closeHungUpTerminalOnExit(): void {
  process.once('exit', () => {
    for (const fd of [0, 1, 2]) {
      if (isatty(fd)) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed
      }
    }
  });
}
