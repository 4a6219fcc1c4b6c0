/**
 * `tsmosh-server new` without its process: the arguments it takes, and asking the per-user daemon for a session
 * (starting the daemon first if none answers). `tsmosh-server new` prints what openNewSession returns; `tsmosh
 * --local` calls it in its own process, which saves a Node process's start and this code's load on every session
 * (docs/benchmarks.md, Start-up). This module loads nothing of the pty, the mirror or the transport: the daemon's
 * process does, from the entry script it is given.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, renameSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { MAX_PORT_NUMBER, SESSION_NAME_PATTERN, TERMINAL_IDENTITY_VALUE_MAX, TERMINAL_IDENTITY_VARIABLES } from '@tsmosh/protocol/front';
import { isScreenSize, MAX_SCREEN_COLS, MAX_SCREEN_ROWS, parseTerminalAnswers, type TerminalCapabilities } from '@tsmosh/terminal/front';
import { DaemonNotRunningError, requestControl, type NewSessionRequest, type NewSessionResult, type SessionInfo } from './control.js';
import { ServerError, UsageError } from './errors.js';
// The one line a caller of openNewSession prints for its failure, as `tsmosh-server new` does.
export { describeError } from './errors.js';
export { UNNAMED_SESSION_IDLE_TIMEOUT_MS } from './session-timeouts.js';
// Where the install's start command looks for this generation's daemon (cli install/host-scripts.ts).
export { controlSocketName } from './runtime-dir.js';
import { plainIpv4 } from './ipv4-mapped.js';
import { busyOtherDaemons, namedElsewhere, otherGenerationSessions } from './daemon-generation.js';
// How a client's reminder names the tsmosh whose daemon runs a session (cli remote-sessions.ts).
export { describeGeneration, relativeTsmosh } from './daemon-generation.js';
import { daemonBuildNotice, daemonInstance, firstTimeFor, serverBuild } from './server-build.js';
import { controlSocketPath, daemonLogPath, ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';
import { buildSessionEnvironment, definedVariables } from './session-environment.js';
import { NETWORK_TIMEOUT_ENV, parseNetworkTimeout } from './session-timeouts.js';

export const HINT = '(try `tsmosh-server --help`)';
/** How long `new` waits for a daemon it started to answer (ms): a start takes tens of ms; a loaded host more. */
const DAEMON_START_TIMEOUT_MS = 10_000;
/**
 * Poll step while waiting for the daemon's socket (ms): a try on a socket not yet there fails at once (no I/O), and
 * every ms waited past the daemon's start is a ms of the first login's start (was 25: 12 ms on average).
 */
const DAEMON_POLL_MS = 5;
/** Deadline for one control request (ms). `new` spawns a pty, which can take a while on a loaded machine. */
export const CONTROL_TIMEOUT_MS = 15_000;

/**
 * Node options the daemon is started with (by `new`, and by anything else that starts one: the benchmarks, a service
 * unit). Measured on `seq 1 3000000` through one session (docs/benchmarks.md, daemon-cost, has the figures):
 * - `--max-semi-space-size=2` (MiB per semi-space) caps V8's young generation, which otherwise grows to 16 MiB per
 *   semi-space while output floods through the headless mirror. The flood's garbage is short-lived (the live heap
 *   stays near 10 MiB), so the larger space only raised peak RSS: 94 -> 73 MiB VmHWM, for about 4 % more CPU on the
 *   flood. 1 MiB saved 3 MiB more for 8 % more CPU; not worth it.
 * - `--v8-pool-size=1` (threads) gives V8 one background worker instead of one per core (up to 4): each worker's
 *   malloc arena and stack cost about 4 MiB of peak RSS (73 -> 69 MiB), and the daemon's heap is too small for
 *   parallel GC or concurrent compilation to pay; no CPU cost showed on the flood.
 * Rejected: `--lite-mode` (-10 MiB, but 20x the CPU on the flood), `--optimize-for-size` (-3 MiB, +18 % CPU).
 */
export const DAEMON_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=2', '--v8-pool-size=1'];

/**
 * The pid of a daemon whose start the login's start command began beside this `new` (cli install/host-scripts.ts):
 * on a host where none runs, the two Node starts then overlap instead of following each other (docs/benchmarks-journal.md,
 * "`tsmosh host` over SSH as quick to start as mosh"). While that process lives, `new` waits for its socket instead of
 * starting a daemon of its own, which would only lose the start race. Not passed on to the session or a daemon.
 */
export const DAEMON_STARTING_ENV = 'TSMOSH_DAEMON_STARTING';
/** `tsmosh-server daemon --log`: a daemon started with no output (as above) writes its runtime folder's log itself. */
export const OWN_LOG_OPTION = '--log';

export interface NewCommandOptions {
  command: string[];
  name?: string;
  idleTimeoutMs?: number;
  forwardAgent?: boolean;
  /** `--keep-every-line`: the program waits for its client rather than the history dropping lines (session.ts keepEveryLine). */
  keepEveryLine?: boolean;
  /** `--no-echo`: the program starts with its pty's echo off (echo-off-start.ts). */
  noEcho?: boolean;
  ports?: { low: number; high: number };
  bindAddress?: string;
  locale: Record<string, string>;
  /** `-e`: the client's terminal identity (TERMINAL_IDENTITY_VARIABLES), set in the session's environment. */
  terminal: Record<string, string>;
  /** `--terminal-answers`: what the client's terminal answered its start-up probe. */
  terminalAnswers?: TerminalCapabilities;
  /** `--size COLSxROWS`: the client's window, the program's first size (over SSH, `new` has no terminal to ask). */
  windowSize?: { cols: number; rows: number };
}

/** `--size COLSxROWS`, e.g. 120x40: a screen the wire carries. Throws UsageError with a one-line reason. */
function parseWindowSize(text: string): { cols: number; rows: number } {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(text);
  const size = match === null ? undefined : { cols: Number(match[1]), rows: Number(match[2]) };
  if (size === undefined || !isScreenSize(size.cols, size.rows)) {
    throw new UsageError(`tsmosh-server: --size ${text}: expected COLSxROWS from 1x1 to ${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS}, e.g. 120x40 ${HINT}`);
  }
  return size;
}

/** Parses the arguments after `new`. Throws UsageError with a one-line reason. */
export function parseNewArguments(args: readonly string[], env: NodeJS.ProcessEnv = process.env): NewCommandOptions {
  const options: NewCommandOptions = { command: [], locale: {}, terminal: {} };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const value = (): string => {
      const next = args[index + 1];
      if (next === undefined) throw new UsageError(`tsmosh-server: ${arg} needs a value ${HINT}`);
      index++;
      return next;
    };
    switch (arg) {
      case '--':
        options.command = args.slice(index + 1);
        if (options.command.length === 0) throw new UsageError(`tsmosh-server: -- must be followed by a command ${HINT}`);
        return options;
      case '-p':
        options.ports = parsePortSpec(value());
        break;
      case '--name':
      case '-n':
        options.name = value();
        if (!SESSION_NAME_PATTERN.test(options.name)) {
          throw new UsageError(
            `tsmosh-server: --name ${JSON.stringify(options.name)}: use up to 64 letters, digits, '.', '_' or '-' (not starting with '.' or '-') ${HINT}`,
          );
        }
        break;
      case '--idle-timeout':
        options.idleTimeoutMs = parseDuration(value(), '--idle-timeout');
        break;
      case '--forward-agent':
        options.forwardAgent = true;
        break;
      case '--keep-every-line':
        options.keepEveryLine = true;
        break;
      case '--no-echo':
        options.noEcho = true;
        break;
      case '-i': {
        const address = value();
        if (isIP(address) === 0) throw new UsageError(`tsmosh-server: -i ${address}: not an IP address ${HINT}`);
        options.bindAddress = address;
        break;
      }
      case '-s': {
        const address = sshLocalAddress(env);
        if (address === undefined) {
          throw new UsageError(`tsmosh-server: -s needs SSH_CONNECTION, which is not set; use -i ADDR instead ${HINT}`);
        }
        options.bindAddress = address;
        break;
      }
      case '-l': {
        const assignment = value();
        const equals = assignment.indexOf('=');
        if (equals <= 0) throw new UsageError(`tsmosh-server: -l ${assignment}: expected NAME=VALUE ${HINT}`);
        options.locale[assignment.slice(0, equals)] = assignment.slice(equals + 1);
        break;
      }
      case '-e': {
        const assignment = value();
        const equals = assignment.indexOf('=');
        const name = assignment.slice(0, equals);
        const setting = assignment.slice(equals + 1);
        if (equals <= 0 || !TERMINAL_IDENTITY_VARIABLES.includes(name)) {
          throw new UsageError(`tsmosh-server: -e ${assignment.slice(0, 40)}: expected NAME=VALUE with NAME one of ${TERMINAL_IDENTITY_VARIABLES.join(', ')} ${HINT}`);
        }
        if (setting.length > TERMINAL_IDENTITY_VALUE_MAX || /[\0-\x1f\x7f]/.test(setting)) {
          throw new UsageError(`tsmosh-server: -e ${name}: the value must be at most ${TERMINAL_IDENTITY_VALUE_MAX} printable characters ${HINT}`);
        }
        options.terminal[name] = setting;
        break;
      }
      case '--terminal-answers': {
        const text = value();
        try {
          options.terminalAnswers = parseTerminalAnswers(text);
        } catch (error) {
          throw new UsageError(`tsmosh-server: --terminal-answers: ${(error as Error).message} ${HINT}`);
        }
        break;
      }
      case '--size':
        options.windowSize = parseWindowSize(value());
        break;
      default:
        if (arg.startsWith('-')) throw new UsageError(`tsmosh-server: unknown option ${arg} ${HINT}`);
        throw new UsageError(`tsmosh-server: unexpected argument ${arg}; put the command after -- ${HINT}`);
    }
  }
  return options;
}

const DURATION_UNITS_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90`, `90s`, `30m`, `12h`, `7d` (seconds when no unit), `0` or `never` = 0 (never). Milliseconds out. */
/** What parseDuration takes, as its refusal says it (the tsmosh CLI checks --idle-timeout by it and says the same). */
export const DURATION_EXPECTED = 'expected a duration such as 90s, 30m, 12h, 7d, or 0 for never';

export function parseDuration(text: string, option: string): number {
  if (text === 'never') return 0;
  const match = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (match === null) throw new UsageError(`tsmosh-server: ${option} ${text}: ${DURATION_EXPECTED} ${HINT}`);
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
}

/** What parsePortSpec takes, as its refusal says it (the tsmosh CLI checks -p by it and says the same). */
export const PORT_SPEC_EXPECTED = 'expected PORT or LOW:HIGH with 1 <= LOW <= HIGH <= 65535';

/** `PORT` or `LOW:HIGH`, as mosh-server's -p. */
export function parsePortSpec(spec: string): { low: number; high: number } {
  const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(spec);
  const low = match ? Number(match[1]) : NaN;
  const high = match?.[2] !== undefined ? Number(match[2]) : low;
  if (!match || low > MAX_PORT_NUMBER || high > MAX_PORT_NUMBER || high < low || (match[2] !== undefined && low === 0)) {
    throw new UsageError(`tsmosh-server: -p ${spec}: ${PORT_SPEC_EXPECTED} ${HINT}`);
  }
  return { low, high };
}

/** The server side of $SSH_CONNECTION (`client_ip client_port server_ip server_port`), IPv4-mapped form unwrapped. */
function sshLocalAddress(env: NodeJS.ProcessEnv): string | undefined {
  const fields = (env.SSH_CONNECTION ?? '').trim().split(/\s+/);
  const address = fields[2] === undefined ? undefined : plainIpv4(fields[2]);
  return address !== undefined && isIP(address) !== 0 ? address : undefined;
}

/** What `new` gives its caller: the CONNECT line's port and key, and lines for the user (warnings, notices). */
export interface NewSessionOutcome {
  readonly port: number;
  readonly key: string;
  readonly messages: readonly string[];
}

/** How openNewSession runs: where the daemon's entry is, and what this caller knows better than `new` would. */
export interface OpenNewSessionOptions {
  /** The file that runs tsmosh-server as a program: `node DAEMON_NODE_OPTIONS entryScript daemon` starts a daemon. */
  readonly entryScript: string;
  /** The session's first size when `--size` does not give it (`new` passes its own terminal's, when it has one). */
  readonly terminalSize?: { readonly cols: number; readonly rows: number };
  /** The environment the session inherits and the runtime folder is found by; default process.env. */
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * Everything `tsmosh-server new ARGS` does but printing: validates the arguments and the locale, asks the daemon of
 * this user's runtime folder for a session, starting it from `entryScript` if none answers. Throws UsageError or
 * ServerError with a one-line message.
 */
export async function openNewSession(args: readonly string[], how: OpenNewSessionOptions): Promise<NewSessionOutcome> {
  const { entryScript, env: processEnv = process.env } = how;
  const options = parseNewArguments(args, processEnv);
  // The client's own window wins over `new`'s terminal (an `ssh -t` login's pty, which has the client's size too).
  const terminalSize = options.windowSize ?? how.terminalSize;
  const messages: string[] = [];
  // The client's terminal identity wins over whatever this login's environment says (SSH rarely carries it).
  const env = { ...definedVariables(withoutStartingDaemon(processEnv)), ...options.terminal };
  // Refuse a locale that is not UTF-8 before touching the daemon. Whether it is installed is the daemon's check alone
  // (it reads `locale -a` once, while it starts, and refuses in the same line): a call here cost every login 25–55 ms
  // of a forked `locale -a`, and a host without the locale only pays a daemon that lingers a moment after refusing.
  buildSessionEnvironment({ env, locale: options.locale, installedLocales: undefined });
  const timeout = parseNetworkTimeout(env[NETWORK_TIMEOUT_ENV]);
  if (timeout.warning !== undefined) messages.push(timeout.warning);
  const runtimeDir = ensureRuntimeDir(resolveRuntimeDir(processEnv));
  const directory = startDirectory();
  const request: NewSessionRequest = {
    command: options.command,
    env,
    locale: options.locale,
    ...(options.ports !== undefined ? { ports: options.ports } : {}),
    ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
    ...(terminalSize !== undefined ? { cols: terminalSize.cols, rows: terminalSize.rows } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.forwardAgent === true ? { forwardAgent: true } : {}),
    ...(options.keepEveryLine === true ? { keepEveryLine: true } : {}),
    ...(options.noEcho === true ? { noEcho: true } : {}),
    ...(directory !== undefined ? { directory } : {}),
    ...(options.terminalAnswers !== undefined ? { terminalAnswers: options.terminalAnswers } : {}),
  };
  const result = await requestNewSession(runtimeDir, request, entryScript, processEnv);
  if (options.name !== undefined && result.name === undefined) {
    // A daemon from before named sessions ignores the name and starts an unnamed session (no client will use it,
    // so it ends after the no-client timeout). A named session asked for by its ID answers with its own name.
    throw new ServerError(
      'control-protocol',
      'tsmosh-server: the running daemon predates named sessions; end it (`tsmosh-server status` shows its pid) and retry',
    );
  }
  if (result.notice !== undefined) messages.push(result.notice);
  const ours = serverBuild(entryScript);
  const buildNotice = daemonBuildNotice(ours, result.build);
  if (buildNotice !== undefined && firstTimeFor(runtimeDir, daemonInstance(controlSocketPath(runtimeDir)), ours, result.build)) messages.push(buildNotice);
  return { port: result.port, key: result.key, messages };
}

/**
 * The sessions of this user's daemons, as `list --json` gets them ([] when no daemon runs): this generation's, then
 * those of daemons of other generations (marked otherGeneration), in the caller's process: for `tsmosh --local`,
 * whose reminders would otherwise start a `tsmosh-server list` process (a Node start) per run, and would take a
 * session an older tsmosh still runs for one that ended.
 */
export async function listDaemonSessions(env: NodeJS.ProcessEnv = process.env): Promise<readonly SessionInfo[]> {
  const runtimeDir = resolveRuntimeDir(env);
  const [own, others] = await Promise.all([
    requestControl(controlSocketPath(runtimeDir), { op: 'list' }, CONTROL_TIMEOUT_MS).catch((error: unknown) => {
      if (error instanceof DaemonNotRunningError) return [];
      throw error;
    }),
    otherGenerationSessions(runtimeDir),
  ]);
  return [...own, ...others.flatMap((other) => other.sessions)];
}

/** The environment without DAEMON_STARTING_ENV, which is for this `new` alone. */
function withoutStartingDaemon(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (env[DAEMON_STARTING_ENV] === undefined) return env;
  const { [DAEMON_STARTING_ENV]: _starting, ...rest } = env;
  return rest;
}

/** Whether the daemon the start command began (DAEMON_STARTING_ENV) is still on its way: its process lives. */
export function startingDaemonAlive(env: NodeJS.ProcessEnv): boolean {
  const text = env[DAEMON_STARTING_ENV];
  const pid = text !== undefined && /^[1-9]\d{0,9}$/.test(text) ? Number(text) : undefined;
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    // Gone (ESRCH), or another user's process under a reused pid (EPERM): no daemon of ours is starting.
    return false;
  }
}

/** Asks the daemon for a session, starting the daemon (with `entryScript daemon`) first if none answers. */
async function requestNewSession(runtimeDir: string, request: NewSessionRequest, entryScript: string, env: NodeJS.ProcessEnv): Promise<NewSessionResult> {
  const socketPath = controlSocketPath(runtimeDir);
  // Daemons of other generations run beside this one's (daemon-generation.ts): the idle ones are retired, and a
  // named session one of them runs is not started a second time here.
  const others = await busyOtherDaemons(runtimeDir);
  if (request.name !== undefined) {
    const refusal = await namedElsewhere(request.name, others);
    if (refusal !== undefined) throw refusal;
  }
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  for (;;) {
    try {
      return await requestControl(socketPath, { op: 'new', request }, CONTROL_TIMEOUT_MS);
    } catch (error) {
      const retry = Date.now() < deadline;
      if (error instanceof DaemonNotRunningError && startingDaemonAlive(env)) {
        if (!retry) throw new ServerError('daemon-start', `tsmosh-server: the daemon (pid ${env[DAEMON_STARTING_ENV]}) did not start within ${DAEMON_START_TIMEOUT_MS / 1000} s; see ${daemonLogPath(runtimeDir)}`);
        await new Promise((resolve) => setTimeout(resolve, DAEMON_POLL_MS));
      } else if (error instanceof DaemonNotRunningError && retry) {
        await startDaemonProcess(runtimeDir, entryScript, withoutStartingDaemon(env));
      } else if (error instanceof ServerError && error.code === 'shutting-down' && retry) {
        // The daemon is exiting after its last session; once its socket is gone the next try starts a new one.
        await new Promise((resolve) => setTimeout(resolve, DAEMON_POLL_MS));
      } else {
        throw error;
      }
    }
  }
}

/**
 * daemon.log is started afresh (the old one kept as daemon.log.1) when a daemon starts and finds it larger than
 * this (bytes). A daemon writes a few lines per session, so this holds months of them; without a bound the log of
 * a host used for years would only grow.
 */
const DAEMON_LOG_ROTATE_BYTES = 1024 * 1024;

/** Moves the log aside when it has outgrown `limitBytes`; one previous log is kept, older ones are replaced. */
export function rotateDaemonLog(logPath: string, limitBytes = DAEMON_LOG_ROTATE_BYTES): void {
  let size: number;
  try {
    size = statSync(logPath).size;
  } catch {
    return; // no log yet
  }
  if (size > limitBytes) renameSync(logPath, `${logPath}.1`);
}

/**
 * Starts `tsmosh-server daemon` detached (own session, no terminal, stdio to the log) and waits until the control
 * socket answers. Two racing `new`s may both start one; the daemon's start lock lets one win, the other exits, and
 * both callers find the winner on the socket.
 */
async function startDaemonProcess(runtimeDir: string, entryScript: string, env: NodeJS.ProcessEnv): Promise<void> {
  const socketPath = controlSocketPath(runtimeDir);
  const logPath = daemonLogPath(runtimeDir);
  rotateDaemonLog(logPath);
  const logFd = openSync(logPath, 'a', 0o600);
  try {
    // The entry script, not this module: importing the module alone does not run main().
    const child = spawn(process.execPath, [...DAEMON_NODE_OPTIONS, entryScript, 'daemon'], {
      detached: true,
      stdio: ['ignore', logFd, logFd],
      cwd: '/',
      // The environment as given: the daemon resolves the same runtime folder from it. Setting TSMOSH_RUNTIME_DIR
      // here would make it a daemon given a folder of its own, whose named sessions are recorded inside that
      // folder (session-records.ts), which is $XDG_RUNTIME_DIR or /tmp: emptied at boot, so no session would
      // survive a reboot, and a daemon begun by the login's start command (which does not set it) would look
      // elsewhere than one begun here.
      env,
    });
    child.on('error', () => {});
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  for (;;) {
    try {
      await requestControl(socketPath, { op: 'status' }, DAEMON_START_TIMEOUT_MS);
      return;
    } catch (error) {
      if (!(error instanceof DaemonNotRunningError)) throw error;
    }
    if (Date.now() > deadline) {
      throw new ServerError(
        'daemon-start',
        `tsmosh-server: the daemon did not start within ${DAEMON_START_TIMEOUT_MS / 1000} s; see ${logPath}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, DAEMON_POLL_MS));
  }
}

/** The folder `new` runs in, where the session's program starts (control.ts directory); undefined if it was removed. */
function startDirectory(): string | undefined {
  try {
    return process.cwd();
  } catch {
    return undefined; // ENOENT: the folder was deleted under us; the daemon then starts the program in the home directory
  }
}
