/**
 * `tsmosh-server daemon`: the only command that loads the pty, the mirror and the transport. It is a module of its
 * own so that the self-contained bundle can carry it as a file of its own (scripts/build-bundles.mjs): `new`, `list`,
 * `kill` and `status`, one of which runs on the host at every login, load only the control client.
 *
 * It reports its own failures (one line, its exit status) rather than throwing them to server-main: in the bundle
 * the two are separate files, each with its own copy of ServerError, so an `instanceof` across them would fail.
 */
import { openSync, writeSync } from 'node:fs';
import { startDaemon } from './daemon.js';
import { EXIT_FAILURE, ServerError, describeError } from './errors.js';
import { DAEMON_NODE_OPTIONS, OWN_LOG_OPTION, rotateDaemonLog } from './new-session.js';
import { daemonLogPath, ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';
import { DAEMON_IDLE_LINGER_ENV, parseIdleLinger } from './session-timeouts.js';

/**
 * `args`: `--log` (OWN_LOG_OPTION) when the daemon was started with no output to write to (by the start command of a
 * login, new-session.ts says why): it opens the runtime folder's daemon.log itself, once it has checked the folder
 * as `new` would. Otherwise it writes to stderr, which `new` points at that log.
 */
export async function runDaemonCommand(args: readonly string[] = []): Promise<number> {
  let write = (text: string): void => void process.stderr.write(text);
  if (args.includes(OWN_LOG_OPTION)) {
    // A folder that is not safe fails here, with nowhere to say so: the `new` waiting for this daemon sees it gone and
    // starts one itself, which says why in its one line.
    const logPath = daemonLogPath(ensureRuntimeDir(resolveRuntimeDir()));
    rotateDaemonLog(logPath);
    const fd = openSync(logPath, 'a', 0o600);
    write = (text) => {
      try {
        writeSync(fd, text);
      } catch {
        // A full disk loses log lines, never the sessions.
      }
    };
    // What Node would print on its way down goes to the log too (stderr leads nowhere); the crash itself is unchanged.
    process.on('uncaughtExceptionMonitor', (error) => write(`${new Date().toISOString()} uncaught: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`));
  }
  const log = (line: string): void => write(`${new Date().toISOString()} ${line}\n`);
  let running;
  try {
    running = await startDaemon({ handleSignals: true, exitProcessWhenEmpty: true, idleLingerMs: parseIdleLinger(process.env[DAEMON_IDLE_LINGER_ENV]), log });
  } catch (error) {
    if (error instanceof ServerError && error.code === 'daemon-start') {
      log(`${error.message}; this one exits`);
      return 0;
    }
    write(describeError(error, 'daemon') + '\n');
    return error instanceof ServerError ? error.exitCode : EXIT_FAILURE;
  }
  // Started by hand (a service unit, `node tsmosh-server.js daemon`) the options may be missing: say what it costs.
  const nodeOptions = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)];
  const missing = DAEMON_NODE_OPTIONS.filter((option) => !nodeOptions.includes(option));
  if (missing.length > 0) {
    log(`node runs without ${missing.join(' ')}: peak memory under output floods will be up to 25 MiB higher; start it as \`node ${DAEMON_NODE_OPTIONS.join(' ')} tsmosh-server.js daemon\` (as \`new\` does)`);
  }
  await running.closed;
  // Sessions are gone; exit now rather than wait for stray handles (a pty's final read) to drain.
  process.exit(0);
}
