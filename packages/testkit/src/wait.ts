/**
 * Waiting on real things (sockets, processes, ptys) in tests. Simulated sessions never wait: they step their
 * Simulation under a ManualClock instead.
 */

/** ms a wait may take before it fails: a bound that turns a hang into a failure on a loaded machine, not a speed claim. */
export const WAIT_BOUND_MS = 20_000;
/** ms between two looks at a condition: short against any bound, long enough not to spin. */
const POLL_INTERVAL_MS = 10;

/** Polls `condition` until it holds; throws `timed out waiting for <what>` after `boundMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, boundMs = WAIT_BOUND_MS): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }
}

/** Whether process `pid` runs (and is ours to signal: EPERM counts as gone, it is not the process we started). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Ends a process a test started: SIGTERM, then SIGKILL if it is still there after the wait bound. */
export async function stopProcess(pid: number | undefined): Promise<void> {
  if (pid === undefined || !isAlive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + WAIT_BOUND_MS;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
  if (isAlive(pid)) process.kill(pid, 'SIGKILL');
}
