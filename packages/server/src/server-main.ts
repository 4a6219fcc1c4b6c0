import { fileURLToPath } from 'node:url';
import { PROTOCOL_MISMATCH_EXIT_STATUS, PROTOCOL_VERSION, REQUIRE_PROTOCOL_ENV, adoptMoshEnvironment } from '@tsmosh/protocol';
import { DaemonNotRunningError, requestControl, type SessionInfo } from './control.js';
import { SERVER_VERSION } from './version.js';
import { EXIT_FAILURE, ServerError, UsageError, describeError } from './errors.js';
import { controlSocketPath, resolveRuntimeDir } from './runtime-dir.js';
import { describeGeneration, killElsewhere, onlyOtherDaemonsLine, otherDaemonStatuses, otherGenerationSessions, relativeTsmosh } from './daemon-generation.js';
import { CONTROL_TIMEOUT_MS, HINT, openNewSession } from './new-session.js';

// What `new` is made of lives in new-session.ts (tsmosh --local runs it in its own process); named here as before.
export { DAEMON_NODE_OPTIONS, parseDuration, parseNewArguments, parsePortSpec, rotateDaemonLog, type NewCommandOptions } from './new-session.js';

/**
 * `tsmosh-server`: the command the bootstrap runs on the host over SSH. `new` asks the per-user daemon for a session
 * (starting the daemon if none answers) and prints the one CONNECT line the client side parses.
 */

const USAGE = `usage: tsmosh-server new [--name NAME] [--idle-timeout DURATION] [--forward-agent] [--keep-every-line] [--no-echo] [-s]
                         [-p PORT[:PORT2]] [-i ADDR] [-l NAME=VALUE]... [-e NAME=VALUE]... [--terminal-answers FLAGS:VERSION] [--size COLSxROWS] [-- command...]
       tsmosh-server list [--json] | status | kill NAME|SESSION_ID | daemon [--log]
       tsmosh-server --version | --help

  new      start a session in the per-user daemon (started if needed) and print
           TSMOSH CONNECT <port> <key>; its command starts in the folder new runs in
  --name   attach to the session of this name if it runs (with a fresh key; its
           current client is told it was taken over), else start it under this name
  --idle-timeout  end the session after this long without any client: 90s, 30m,
           12h, 7d, or 0 = never (the default; also TSMOSH_SERVER_NETWORK_TMOUT)
  --forward-agent  give the session an ssh-agent socket (SSH_AUTH_SOCK) whose connections
           go to the attached client's agent (tsmosh -A); ignored when attaching
  --keep-every-line  the program waits while its client has not taken the last 4,096 lines of
           its history, rather than the history dropping lines (a client that writes text:
           tsmosh with its output not a terminal); when attaching, from the attach on,
           while this client is the session's
  --no-echo  the command starts with its terminal's echo off, so input written to it is not
           echoed into its output (a script's tsmosh, input and output not terminals); ignored
           when attaching
  -p       UDP port or inclusive range (default: first free in 60001:60999)
  -i       local address to bind the UDP port to (default: all)
  -s       bind to the address the SSH connection arrived on ($SSH_CONNECTION)
  -l       locale variable from the client, used if this host's locale is not UTF-8
  -e       the client's terminal identity for the session (TERM_PROGRAM, TERM_PROGRAM_VERSION,
           COLORTERM, LC_TERMINAL, LC_TERMINAL_VERSION; nothing else)
  --terminal-answers  what the client's terminal answered at start-up, so the program's first
           queries get its answers: FLAGS (1 kitty keyboard, 2 synchronized output, summed)
           ':' its XTVERSION text (may be empty), e.g. 3:kitty(0.39.1)
  --size   the client's window, e.g. 120x40: the command starts at that size (default: new's
           own terminal's when it has one, else 80x24)
  list     sessions of the running daemon: name, command, age, last contact, attached
  status   the daemon's counters, as JSON, with the daemons of other tsmosh versions
           running beside it (otherDaemons: pid, version, protocol, sessions, names)
  kill     end a session (its client is told and exits)
  daemon   run the daemon in the foreground (normally started by \`new\`); with --log it writes
           its runtime folder's daemon.log itself instead of stderr

environment: TSMOSH_RUNTIME_DIR (control socket dir), TSMOSH_SERVER_NETWORK_TMOUT (seconds of client
silence that end a session), TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS (tests: shorter than the 60 s default)`;

async function commandNew(args: readonly string[], entryScript: string): Promise<number> {
  const size = process.stdin.isTTY && process.stdout.columns ? { cols: process.stdout.columns, rows: process.stdout.rows } : undefined;
  const outcome = await openNewSession(args, { entryScript, ...(size !== undefined ? { terminalSize: size } : {}) });
  for (const line of outcome.messages) process.stderr.write(`${line}\n`);
  process.stdout.write(`TSMOSH CONNECT ${outcome.port} ${outcome.key}\n`);
  return 0;
}

/**
 * The script that runs `main` as a program: the package's bin, or the self-contained bundle (which passes its own
 * file to main, since this module's place says nothing about where the bundle lies).
 */
const DEFAULT_ENTRY_SCRIPT = fileURLToPath(new URL('../bin/tsmosh-server.js', import.meta.url));

async function commandList(args: readonly string[]): Promise<number> {
  const runtimeDir = resolveRuntimeDir();
  const [own, others] = await Promise.all([
    requestControl(controlSocketPath(runtimeDir), { op: 'list' }, CONTROL_TIMEOUT_MS).catch((error: unknown) => {
      if (error instanceof DaemonNotRunningError) return error;
      throw error;
    }),
    otherGenerationSessions(runtimeDir),
  ]);
  const theirs = others.flatMap((other) => other.sessions);
  let sessions: readonly SessionInfo[];
  if (own instanceof DaemonNotRunningError) {
    // No daemon (after a reboot, typically): for a person, still say what was lost; --json keeps its error, unless
    // a daemon of another generation holds sessions.
    if (theirs.length === 0 && args.includes('--json')) throw own;
    const { lostSessionLines } = await import('./lost-sessions.js');
    const lost = lostSessionLines(theirs, process.env, new Date());
    if (lost.length === 0 && theirs.length === 0) throw own;
    sessions = [];
    const none = theirs.length === 0 ? 'no daemon is running (no sessions)' : 'no daemon of this tsmosh is running (no sessions of its own)';
    if (!args.includes('--json')) process.stdout.write(`${none}\n${lost.map((line) => `${line}\n`).join('')}`);
  } else {
    sessions = own;
  }
  if (args.includes('--json')) {
    process.stdout.write(JSON.stringify([...sessions, ...theirs]) + '\n');
    return 0;
  }
  if (!(own instanceof DaemonNotRunningError)) {
    process.stdout.write(formatSessionTable(sessions, Date.now()));
    // Named sessions the daemon no longer runs but keeps a record of (session-records.ts): after a reboot, these are
    // what `--session NAME` will start again, and nothing else would show them.
    const { lostSessionLines } = await import('./lost-sessions.js');
    for (const line of lostSessionLines([...sessions, ...theirs], process.env, new Date())) process.stdout.write(`${line}\n`);
  }
  for (const other of others) {
    if (other.sessions.length === 0) continue;
    const { daemon } = other;
    process.stdout.write(
      `\nUnder ${relativeTsmosh(daemon)} tsmosh (${daemon.version}, ${describeGeneration(daemon)}, daemon pid ${daemon.pid}): reattach with that tsmosh, or end one with \`--kill NAME\`:\n`,
    );
    process.stdout.write(formatSessionTable(other.sessions, Date.now()));
  }
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

/**
 * The daemon's counters, with the daemons of other generations that run beside it (`otherDaemons`: after an upgrade,
 * an older tsmosh's daemon holding sessions this one cannot reattach). With none of this generation running but one
 * of another, one line says so instead of "no daemon is running".
 */
async function commandStatus(): Promise<number> {
  const runtimeDir = resolveRuntimeDir();
  const [own, others] = await Promise.all([
    requestControl(controlSocketPath(runtimeDir), { op: 'status' }, CONTROL_TIMEOUT_MS).catch((error: unknown) => {
      if (error instanceof DaemonNotRunningError) return error;
      throw error;
    }),
    otherGenerationSessions(runtimeDir),
  ]);
  const otherDaemons = otherDaemonStatuses(others);
  if (own instanceof DaemonNotRunningError) {
    if (otherDaemons.length === 0) throw own;
    process.stderr.write(`${onlyOtherDaemonsLine(otherDaemons)}\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(JSON.stringify({ ...own, otherDaemons }) + '\n');
  return 0;
}

async function commandKill(args: readonly string[]): Promise<number> {
  if (args.length !== 1) throw new UsageError(`tsmosh-server: kill takes one session name or ID ${HINT}`);
  const runtimeDir = resolveRuntimeDir();
  // A session a daemon of another generation runs is ended there (daemon-generation.ts). Asked first: this
  // generation's daemon, not running it, would forget its saved record instead (the other daemon's, in the same
  // state folder).
  if (await killElsewhere(runtimeDir, args[0]!)) return 0;
  try {
    await requestControl(controlSocketPath(runtimeDir), { op: 'kill', sessionId: args[0]! }, CONTROL_TIMEOUT_MS);
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
        // Only the daemon loads the pty, the mirror and the transport: `new`, `list` and `kill` are control requests.
        return await (await import('./daemon-command.js')).runDaemonCommand(rest);
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
