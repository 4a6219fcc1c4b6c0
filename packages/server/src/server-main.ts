import { spawn } from 'node:child_process';
import { closeSync, openSync, renameSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { MAX_PORT_NUMBER, PROTOCOL_MISMATCH_EXIT_STATUS, PROTOCOL_VERSION, REQUIRE_PROTOCOL_ENV, SESSION_NAME_PATTERN, TERMINAL_IDENTITY_VALUE_MAX, TERMINAL_IDENTITY_VARIABLES, adoptMoshEnvironment } from '@tsmosh/protocol';
import {
  DaemonNotRunningError,
  requestControl,
  type NewSessionRequest,
  type NewSessionResult,
  type SessionInfo,
} from './control.js';
import { parseTerminalAnswers, type TerminalCapabilities } from '@tsmosh/terminal';
import { SERVER_VERSION } from './version.js';
import { EXIT_FAILURE, ServerError, UsageError, describeError } from './errors.js';
import { controlSocketPath, daemonLogPath, ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';
import { DAEMON_IDLE_LINGER_ENV, NETWORK_TIMEOUT_ENV, parseIdleLinger, parseNetworkTimeout } from './session-timeouts.js';
import { buildSessionEnvironment, definedVariables, installedLocales } from './session-environment.js';
import { plainIpv4 } from './ipv4-mapped.js';
import { clearOtherGeneration } from './daemon-generation.js';

/**
 * `tsmosh-server`: the command the bootstrap runs on the host over SSH. `new` asks the per-user daemon for a session
 * (starting the daemon if none answers) and prints the one CONNECT line the client side parses.
 */

const USAGE = `usage: tsmosh-server new [--name NAME] [--idle-timeout DURATION] [--forward-agent] [-s] [-p PORT[:PORT2]] [-i ADDR]
                         [-l NAME=VALUE]... [-e NAME=VALUE]... [--terminal-answers FLAGS:VERSION] [-- command...]
       tsmosh-server list [--json] | status | kill NAME|SESSION_ID | daemon
       tsmosh-server --version | --help

  new      start a session in the per-user daemon (started if needed) and print
           TSMOSH CONNECT <port> <key>
  --name   attach to the session of this name if it runs (with a fresh key; its
           current client is told it was taken over), else start it under this name
  --idle-timeout  end the session after this long without any client: 90s, 30m,
           12h, 7d, or 0 = never (the default; also TSMOSH_SERVER_NETWORK_TMOUT)
  --forward-agent  give the session an ssh-agent socket (SSH_AUTH_SOCK) whose connections
           go to the attached client's agent (tsmosh -A); ignored when attaching
  -p       UDP port or inclusive range (default: first free in 60001:60999)
  -i       local address to bind the UDP port to (default: all)
  -s       bind to the address the SSH connection arrived on ($SSH_CONNECTION)
  -l       locale variable from the client, used if this host's locale is not UTF-8
  -e       the client's terminal identity for the session (TERM_PROGRAM, TERM_PROGRAM_VERSION,
           COLORTERM, LC_TERMINAL, LC_TERMINAL_VERSION; nothing else)
  --terminal-answers  what the client's terminal answered at start-up, so the program's first
           queries get its answers: FLAGS (1 kitty keyboard, 2 synchronized output, summed)
           ':' its XTVERSION text (may be empty), e.g. 3:kitty(0.39.1)
  list     sessions of the running daemon: name, command, age, last contact, attached
  status   the daemon's counters, as JSON
  kill     end a session (its client is told and exits)
  daemon   run the daemon in the foreground (normally started by \`new\`)

environment: TSMOSH_RUNTIME_DIR (control socket dir), TSMOSH_SERVER_NETWORK_TMOUT (seconds of client
silence that end a session), TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS (tests: shorter than the 60 s default)`;

const HINT = '(try `tsmosh-server --help`)';
/** How long `new` waits for a daemon it started to answer (ms): a start takes tens of ms; a loaded host more. */
const DAEMON_START_TIMEOUT_MS = 10_000;
/** Poll step while waiting for the daemon's socket (ms). */
const DAEMON_POLL_MS = 25;
/** Deadline for one control request (ms). `new` spawns a pty, which can take a while on a loaded machine. */
const CONTROL_TIMEOUT_MS = 15_000;

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

export interface NewCommandOptions {
  command: string[];
  name?: string;
  idleTimeoutMs?: number;
  forwardAgent?: boolean;
  ports?: { low: number; high: number };
  bindAddress?: string;
  locale: Record<string, string>;
  /** `-e`: the client's terminal identity (TERMINAL_IDENTITY_VARIABLES), set in the session's environment. */
  terminal: Record<string, string>;
  /** `--terminal-answers`: what the client's terminal answered its start-up probe. */
  terminalAnswers?: TerminalCapabilities;
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
      default:
        if (arg.startsWith('-')) throw new UsageError(`tsmosh-server: unknown option ${arg} ${HINT}`);
        throw new UsageError(`tsmosh-server: unexpected argument ${arg}; put the command after -- ${HINT}`);
    }
  }
  return options;
}

const DURATION_UNITS_MS: Record<string, number> = { '': 1000, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90`, `90s`, `30m`, `12h`, `7d` (seconds when no unit), `0` or `never` = 0 (never). Milliseconds out. */
export function parseDuration(text: string, option: string): number {
  if (text === 'never') return 0;
  const match = /^(\d{1,9})([smhd]?)$/.exec(text);
  if (match === null) throw new UsageError(`tsmosh-server: ${option} ${text}: expected a duration such as 90s, 30m, 12h, 7d, or 0 for never ${HINT}`);
  return Number(match[1]) * DURATION_UNITS_MS[match[2]!]!;
}

/** `PORT` or `LOW:HIGH`, as mosh-server's -p. */
export function parsePortSpec(spec: string): { low: number; high: number } {
  const match = /^(\d{1,5})(?::(\d{1,5}))?$/.exec(spec);
  const low = match ? Number(match[1]) : NaN;
  const high = match?.[2] !== undefined ? Number(match[2]) : low;
  if (!match || low > MAX_PORT_NUMBER || high > MAX_PORT_NUMBER || high < low || (match[2] !== undefined && low === 0)) {
    throw new UsageError(`tsmosh-server: -p ${spec}: expected PORT or LOW:HIGH with 1 <= LOW <= HIGH <= 65535 ${HINT}`);
  }
  return { low, high };
}

/** The server side of $SSH_CONNECTION (`client_ip client_port server_ip server_port`), IPv4-mapped form unwrapped. */
function sshLocalAddress(env: NodeJS.ProcessEnv): string | undefined {
  const fields = (env.SSH_CONNECTION ?? '').trim().split(/\s+/);
  const address = fields[2] === undefined ? undefined : plainIpv4(fields[2]);
  return address !== undefined && isIP(address) !== 0 ? address : undefined;
}

async function commandNew(args: readonly string[], entryScript: string): Promise<number> {
  const options = parseNewArguments(args);
  // The client's terminal identity wins over whatever this login's environment says (SSH rarely carries it).
  const env = { ...definedVariables(process.env), ...options.terminal };
  // Refuse before touching the daemon: the same check the daemon makes, with this process's view of the locales.
  buildSessionEnvironment({ env, locale: options.locale, installedLocales: installedLocales() });
  const timeout = parseNetworkTimeout(env[NETWORK_TIMEOUT_ENV]);
  if (timeout.warning !== undefined) process.stderr.write(timeout.warning + '\n');
  const runtimeDir = ensureRuntimeDir(resolveRuntimeDir());
  const request: NewSessionRequest = {
    command: options.command,
    env,
    locale: options.locale,
    ...(options.ports !== undefined ? { ports: options.ports } : {}),
    ...(options.bindAddress !== undefined ? { bindAddress: options.bindAddress } : {}),
    ...(process.stdin.isTTY && process.stdout.columns ? { cols: process.stdout.columns, rows: process.stdout.rows } : {}),
    ...(options.name !== undefined ? { name: options.name } : {}),
    ...(options.idleTimeoutMs !== undefined ? { idleTimeoutMs: options.idleTimeoutMs } : {}),
    ...(options.forwardAgent === true ? { forwardAgent: true } : {}),
    ...(options.terminalAnswers !== undefined ? { terminalAnswers: options.terminalAnswers } : {}),
  };
  const result = await requestNewSession(runtimeDir, request, entryScript);
  if (options.name !== undefined && result.name !== options.name) {
    // A daemon from before named sessions ignores the name and starts an unnamed session (no client will use it,
    // so it ends after the no-client timeout).
    throw new ServerError(
      'control-protocol',
      'tsmosh-server: the running daemon predates named sessions; end it (`tsmosh-server status` shows its pid) and retry',
    );
  }
  if (result.notice !== undefined) process.stderr.write(`${result.notice}\n`);
  process.stdout.write(`TSMOSH CONNECT ${result.port} ${result.key}\n`);
  return 0;
}

/**
 * The script that runs `main` as a program: the package's bin, or the self-contained bundle (which passes its own
 * file to main, since this module's place says nothing about where the bundle lies).
 */
const DEFAULT_ENTRY_SCRIPT = fileURLToPath(new URL('../bin/tsmosh-server.js', import.meta.url));

/** Asks the daemon for a session, starting the daemon (with `entryScript daemon`) first if none answers. */
async function requestNewSession(runtimeDir: string, request: NewSessionRequest, entryScript = DEFAULT_ENTRY_SCRIPT): Promise<NewSessionResult> {
  const socketPath = controlSocketPath(runtimeDir);
  await clearOtherGeneration(socketPath);
  const deadline = Date.now() + DAEMON_START_TIMEOUT_MS;
  for (;;) {
    try {
      return await requestControl(socketPath, { op: 'new', request }, CONTROL_TIMEOUT_MS);
    } catch (error) {
      const retry = Date.now() < deadline;
      if (error instanceof DaemonNotRunningError && retry) {
        await startDaemonProcess(runtimeDir, entryScript);
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
async function startDaemonProcess(runtimeDir: string, entryScript = DEFAULT_ENTRY_SCRIPT): Promise<void> {
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
      env: { ...process.env, TSMOSH_RUNTIME_DIR: runtimeDir },
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

async function commandDaemon(): Promise<number> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} ${line}\n`);
  };
  let running;
  try {
    // Only the daemon loads the pty, the mirror and the transport: `new`, `list` and `kill` are control requests.
    const { startDaemon } = await import('./daemon.js');
    running = await startDaemon({ handleSignals: true, exitProcessWhenEmpty: true, idleLingerMs: parseIdleLinger(process.env[DAEMON_IDLE_LINGER_ENV]), log });
  } catch (error) {
    if (error instanceof ServerError && error.code === 'daemon-start') {
      log(`${error.message}; this one exits`);
      return 0;
    }
    throw error;
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

async function commandList(args: readonly string[]): Promise<number> {
  let sessions: readonly SessionInfo[];
  try {
    sessions = await requestControl(controlSocketPath(resolveRuntimeDir()), { op: 'list' }, CONTROL_TIMEOUT_MS);
  } catch (error) {
    // No daemon (after a reboot, typically): for a person, still say what was lost; --json keeps its error.
    if (!(error instanceof DaemonNotRunningError) || args.includes('--json')) throw error;
    const { lostSessionLines } = await import('./lost-sessions.js');
    const lost = lostSessionLines([], process.env, new Date());
    if (lost.length === 0) throw error;
    process.stdout.write(`no daemon is running (no sessions)\n${lost.join('\n')}\n`);
    return 0;
  }
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify(sessions) + '\n');
    return 0;
  }
  process.stdout.write(formatSessionTable(sessions, Date.now()));
  // Named sessions the daemon no longer runs but keeps a record of (session-records.ts): after a reboot, these are
  // what `--session NAME` will start again, and nothing else would show them.
  const { lostSessionLines } = await import('./lost-sessions.js');
  for (const line of lostSessionLines(sessions, process.env, new Date())) process.stdout.write(`${line}\n`);
  return 0;
}

/** `list` for a person: one header line, then one line per session, columns aligned; the command last. */
export function formatSessionTable(sessions: readonly SessionInfo[], nowMs: number): string {
  if (sessions.length === 0) return 'no sessions\n';
  const rows = sessions.map((session) => [
    session.name ?? '-',
    session.sessionId,
    formatAge(nowMs - Date.parse(session.startedAt)),
    session.lastHeardMsAgo === undefined ? 'never' : `${formatAge(session.lastHeardMsAgo)} ago`,
    session.attached ? `yes (${session.clientAddress ?? '?'})` : session.pendingAttaches > 0 ? 'no (attach pending)' : 'no',
    String(session.port),
    session.command.join(' '),
  ]);
  const header = ['NAME', 'ID', 'AGE', 'LAST CONTACT', 'ATTACHED', 'PORT', 'COMMAND'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string =>
    cells.map((cell, column) => (column === cells.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ') + '\n';
  return line(header) + rows.map(line).join('');
}

/** 45s, 12m, 3h05m, 2d04h: coarse, as a person reads an age. */
function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d${String(hours % 24).padStart(2, '0')}h`;
}

async function commandStatus(): Promise<number> {
  const status = await requestControl(controlSocketPath(resolveRuntimeDir()), { op: 'status' }, CONTROL_TIMEOUT_MS);
  process.stdout.write(JSON.stringify(status) + '\n');
  return 0;
}

async function commandKill(args: readonly string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(`tsmosh-server: kill takes one session name or ID ${HINT}`);
  try {
    await requestControl(controlSocketPath(resolveRuntimeDir()), { op: 'kill', sessionId: args[0]! }, CONTROL_TIMEOUT_MS);
  } catch (error) {
    // No daemon, but a record kept for a restart (after a reboot): killing that session is forgetting it.
    if (!(error instanceof DaemonNotRunningError)) throw error;
    const { SessionRecordStore, resolveStateDir } = await import('./session-records.js');
    if (!new SessionRecordStore(resolveStateDir(process.env)).forget(args[0]!)) throw error;
  }
  return 0;
}

/** Runs the CLI; resolves with the exit status. Every failure prints one line on stderr. */
export interface MainOptions {
  /** The file that runs main as a program, used to start the daemon: default the package's bin. */
  readonly entryScript?: string;
}

/**
 * A client that needs a certain protocol says so in REQUIRE_PROTOCOL_ENV; this server refuses, with
 * PROTOCOL_MISMATCH_EXIT_STATUS, to start or manage sessions for a client it could not talk to, so the client can
 * install a matching server instead (packages/cli/src/install/). `--version`, `--help` and `daemon` ignore it.
 */
export function protocolMismatch(env: NodeJS.ProcessEnv, subcommand: string | undefined): string | undefined {
  const wanted = env[REQUIRE_PROTOCOL_ENV];
  if (wanted === undefined || wanted === '' || !['new', 'list', 'kill', 'status'].includes(subcommand ?? '')) return undefined;
  if (wanted === String(PROTOCOL_VERSION)) return undefined;
  return `tsmosh-server ${SERVER_VERSION} speaks protocol ${PROTOCOL_VERSION}, the client needs ${wanted}`;
}

export default async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  adoptMoshEnvironment(process.env);
  const [subcommand, ...rest] = argv;
  try {
    const mismatch = protocolMismatch(process.env, subcommand);
    if (mismatch !== undefined) {
      process.stderr.write(mismatch + '\n');
      return PROTOCOL_MISMATCH_EXIT_STATUS;
    }
    switch (subcommand) {
      case 'new':
        return await commandNew(rest, options.entryScript ?? DEFAULT_ENTRY_SCRIPT);
      case 'daemon':
        return await commandDaemon();
      case 'list':
        return await commandList(rest);
      case 'status':
        return await commandStatus();
      case 'kill':
        return await commandKill(rest);
      case '--version':
      case '-V':
        process.stdout.write(`tsmosh-server ${SERVER_VERSION} (protocol ${PROTOCOL_VERSION})\n`);
        return 0;
      case '--help':
      case '-h':
        process.stdout.write(USAGE + '\n');
        return 0;
      case undefined:
        throw new UsageError(`tsmosh-server: missing command ${HINT}`);
      default:
        throw new UsageError(`tsmosh-server: unknown command ${subcommand} ${HINT}`);
    }
  } catch (error) {
    if (error instanceof DaemonNotRunningError && subcommand !== 'new') {
      process.stderr.write(`tsmosh-server: no daemon is running (no sessions); \`tsmosh-server new\` starts one\n`);
      return EXIT_FAILURE;
    }
    process.stderr.write(describeError(error, subcommand ?? 'tsmosh-server') + '\n');
    return error instanceof ServerError ? error.exitCode : EXIT_FAILURE;
  }
}
