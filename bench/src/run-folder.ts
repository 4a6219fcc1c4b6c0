/**
 * Every temporary folder a bench process makes lives in one folder of its run, removed when the process exits and
 * when SIGINT, SIGTERM or SIGHUP end it: a bench killed mid-run (Ctrl-C, a timeout) leaves nothing in the system's
 * temporary folder, as a test run does not (test/helpers/temp-run.ts). Bench processes it starts (a session's
 * command, a relay) find the run's folder in TSMOSH_BENCH_RUN_FOLDER and make theirs inside it. Before the folder
 * goes, what the run started and left running there is stopped: a bench killed mid-scenario skips the scenario's
 * own clean-up, and a daemon it left would write its session records into the folder again. A run killed with
 * SIGKILL cannot clean up: the next run removes such a folder, its pid being in the name.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processesMatching } from './proc-scan.js';

export const RUN_FOLDER_ENV = 'TSMOSH_BENCH_RUN_FOLDER';
const RUN_FOLDER_PREFIX = 'tsmosh-bench-run-';
/** The signals a person or a supervisor ends a bench with; each is re-raised once the folder is gone. */
const ENDING_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the run's leftover processes get to exit on SIGTERM before SIGKILL (ms): a daemon ends in a few ms. */
const LEFTOVER_EXIT_WAIT_MS = 2000;
/** Between two looks at /proc while they exit (ms). */
const LEFTOVER_POLL_MS = 50;

let owned: string | undefined;

/** A fresh folder named `prefix`XXXXXX inside the run's folder (made on first use). */
export function benchTempDir(prefix: string): string {
  return mkdtempSync(join(runFolder(), prefix));
}

/** The run's folder: the parent bench's when this process was started by one, else this process's own. */
export function runFolder(env: NodeJS.ProcessEnv = process.env): string {
  const inherited = env[RUN_FOLDER_ENV];
  if (inherited !== undefined && inherited !== '') return inherited;
  if (owned !== undefined) return owned;
  removeDeadRunFolders(tmpdir());
  const folder = mkdtempSync(join(tmpdir(), `${RUN_FOLDER_PREFIX}${process.pid}-`));
  owned = folder;
  env[RUN_FOLDER_ENV] = folder;
  const remove = (): void => {
    stopLeftovers(folder);
    rmSync(folder, { recursive: true, force: true });
  };
  process.on('exit', remove);
  for (const signal of ENDING_SIGNALS) {
    process.once(signal, () => {
      // A script with its own handler (it stops its child first) exits by itself, and 'exit' removes the folder;
      // alone, this one removes it and dies of the signal as the process would have.
      if (process.listenerCount(signal) > 0) return;
      remove();
      process.kill(process.pid, signal);
    });
  }
  return folder;
}

/**
 * The processes other than this one that belong to the run in `folder` (Linux's /proc; none found elsewhere): working
 * there, or with an environment variable naming it or a path inside it (TSMOSH_BENCH_RUN_FOLDER, inherited by
 * whatever the run started; a daemon's TSMOSH_RUNTIME_DIR, set for sessions started over SSH).
 */
export function processesOfRun(folder: string): number[] {
  const inside = (text: string): boolean => text === folder || text.includes(`${folder}/`);
  return processesMatching(({ cwd, environment }) => inside(cwd) || environment.some((variable) => inside(variable.slice(variable.indexOf('=') + 1))));
}

/** SIGTERM to the run's leftover processes, then SIGKILL to those still there after LEFTOVER_EXIT_WAIT_MS. */
function stopLeftovers(folder: string): void {
  const signalAll = (pids: readonly number[], signal: NodeJS.Signals): void => {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone
      }
    }
  };
  let left = processesOfRun(folder);
  if (left.length === 0) return;
  signalAll(left, 'SIGTERM');
  // Synchronous: this runs in 'exit' and in signal handlers, where nothing asynchronous happens any more.
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited < LEFTOVER_EXIT_WAIT_MS && left.length > 0; waited += LEFTOVER_POLL_MS) {
    Atomics.wait(pause, 0, 0, LEFTOVER_POLL_MS);
    left = processesOfRun(folder);
  }
  signalAll(left, 'SIGKILL');
}

/** Removes the run folders in `parent` whose bench process is gone (one killed with SIGKILL). */
export function removeDeadRunFolders(parent: string, isAlive: (pid: number) => boolean = processIsAlive): string[] {
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = new RegExp(`^${RUN_FOLDER_PREFIX}(\\d+)-`).exec(name);
    if (match === null || isAlive(Number(match[1]))) continue;
    try {
      rmSync(join(parent, name), { recursive: true, force: true });
      removed.push(name);
    } catch {
      // Another user's (the pid is not one this user can see): theirs to remove.
    }
  }
  return removed;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, another user's (a pid reused by it); only ESRCH says it is gone.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
