/**
 * A session started for text (a script's `tsmosh host -- cmd < file > out`, the client's `--output=text`) turns its
 * pty's echo off. A pty echoes what is written into it, as a screen shows typing; behind ssh a command's stdin is a
 * pipe and nothing is echoed, so `printf 'b\na\n' | tsmosh host -- sort` wrote `b a a b` where ssh writes `a b`.
 * With a terminal on the client's input in text mode, that terminal keeps its own line editing and echoes locally:
 * the pty's echo would show each line twice.
 *
 * Node has no tcsetattr: `stty -echo` runs with the pty's slave as its standard input (the descriptor the pty host
 * holds open). It runs beside the program, not before it, and stty changes modes with TCSADRAIN, which waits until
 * the program's output so far has been read: the daemon must go on reading meanwhile (run synchronously, it deadlocked
 * with any program that filled the pty first, `seq 1 20000`). So it runs asynchronously and the pty host holds every
 * write into the pty until it is done (PtyHost), so no byte is ever echoed. The program may set its own modes later
 * (a shell's line editor does), as it would on any terminal.
 */
import { spawn } from 'node:child_process';

/**
 * ms `stty` may take before it is given up and the echo left on: a fork and exec, ~2-5 ms, plus the drain of what the
 * program wrote before it, which waits for the daemon's reads (bounded by the history's hold in a session that keeps
 * every line, when its client is slow). Input waits this long at most.
 */
export const STTY_TIMEOUT_MS = 5000;

/** Turns the echo of the pty whose slave is `slaveFd` off; `done` gets why it could not, or undefined, once. */
export function turnEchoOff(slaveFd: number, done: (failure: string | undefined) => void): void {
  let finished = false;
  const finish = (failure: string | undefined): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    done(failure);
  };
  let stderr = '';
  const timer = setTimeout(() => {
    child.kill('SIGKILL');
    finish(`stty did not finish within ${STTY_TIMEOUT_MS} ms`);
  }, STTY_TIMEOUT_MS);
  const child = spawn('stty', ['-echo'], { stdio: [slaveFd, 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.once('error', (error) => finish(error.message));
  child.once('close', (code, signal) => {
    if (code === 0) finish(undefined);
    else finish(stderr.trim() !== '' ? stderr.trim() : `stty ended with ${signal ?? `status ${String(code)}`}`);
  });
}
