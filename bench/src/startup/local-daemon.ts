/**
 * The tsmosh daemon of one runtime folder, driven from outside as a user's shell would: keep one alive with a named
 * session (so a `tsmosh --local` finds it running), and end it when the benchmark is done with the folder.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { processMemory } from './process-memory.js';

const run = promisify(execFile);
/** How long a daemon gets to exit after SIGTERM before it is killed (ms): it ends its sessions first. */
const STOP_GRACE_MS = 5_000;
/** Poll step while waiting for a daemon's exit (ms). */
const STOP_POLL_MS = 25;

function serverEnv(runtimeDir: string, env: Readonly<Record<string, string>>): Record<string, string> {
  return { ...env, TSMOSH_RUNTIME_DIR: runtimeDir };
}

/** The daemon's pid in `runtimeDir` (`tsmosh-server status`), or undefined when none answers. */
export async function daemonPid(serverBin: string, runtimeDir: string, env: Readonly<Record<string, string>>): Promise<number | undefined> {
  try {
    const { stdout } = await run(process.execPath, [serverBin, 'status'], { env: serverEnv(runtimeDir, env), timeout: 10_000 });
    const pid = (JSON.parse(stdout) as { pid?: unknown }).pid;
    return typeof pid === 'number' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Starts the daemon (if none runs) by opening a named session that lives until the daemon ends: `sleep` for an hour. */
export async function holdDaemon(serverBin: string, runtimeDir: string, env: Readonly<Record<string, string>>): Promise<void> {
  await run(process.execPath, [serverBin, 'new', '--name', 'startup-bench-hold', '--idle-timeout', '0', '--', 'sleep', '3600'], {
    env: serverEnv(runtimeDir, env),
    timeout: 30_000,
  });
}

/** Ends the daemon of `runtimeDir` if one runs (SIGTERM, then SIGKILL after a grace), and waits until it is gone. */
export async function stopDaemon(serverBin: string, runtimeDir: string, env: Readonly<Record<string, string>>): Promise<void> {
  const pid = await daemonPid(serverBin, runtimeDir, env);
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + STOP_GRACE_MS;
  // A zombie (exited, not yet reaped by whoever adopted it) has no resident memory: it counts as gone.
  while (processMemory(pid) !== undefined) {
    if (Date.now() > deadline) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
      return;
    }
    await new Promise((r) => setTimeout(r, STOP_POLL_MS));
  }
}
