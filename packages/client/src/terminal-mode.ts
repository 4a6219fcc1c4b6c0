/**
 * Whether the terminal is still in the raw mode the client set, read from the tty itself (`stty -a`): after a stop
 * it did not ask for (kill -STOP from outside), that tells an untouched terminal (nobody took it meanwhile: the
 * screen is ours as drawn, and pushing its rows into the history on resume would put them there twice) from one a
 * job-control shell had: a shell that takes the terminal back puts its own modes on it, and its line editor keeps
 * signals on (isig), where Node's raw mode turns them off with canonical input and echo.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';

/** How long (ms) `stty` may take: a fork and exec, well under this; beyond it the answer is "unknown". */
const STTY_TIMEOUT_MS = 1_000;

/**
 * From `stty -a` output: true when signals, canonical input and echo are all off (Node's raw mode), false when any is
 * on, undefined when the text does not say.
 */
export function sttySaysRaw(output: string): boolean | undefined {
  const words = new Set(output.split(/[\s;]+/));
  let raw = true;
  for (const flag of ['isig', 'icanon', 'echo']) {
    if (words.has(flag)) raw = false;
    else if (!words.has(`-${flag}`)) return undefined;
  }
  return raw;
}

/**
 * Whether the tty open on `fd` is in raw mode now; undefined when it cannot be read (no stty, not a tty).
 * stty gets the tty opened anew, not `fd`: a child's stdin shares our open file, and Node's spawn makes a child's
 * stdio blocking, which would make our own reads of the terminal blocking too (keys were lost so in a test).
 */
export function ttyStillRaw(fd: number): boolean | undefined {
  let own: number | undefined;
  try {
    // Linux reopens the device through /proc (a new open file); elsewhere the controlling terminal, the same one.
    own = openSync(process.platform === 'linux' ? `/proc/self/fd/${fd}` : '/dev/tty', constants.O_RDONLY | constants.O_NOCTTY);
    const result = spawnSync('stty', ['-a'], { stdio: [own, 'pipe', 'ignore'], timeout: STTY_TIMEOUT_MS, encoding: 'utf8' });
    if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
    return sttySaysRaw(result.stdout);
  } catch {
    return undefined;
  } finally {
    if (own !== undefined) closeSync(own);
  }
}
