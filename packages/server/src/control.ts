import type { ForwardingStats } from '@tsmosh/forward';
import { isCarriableTerminalVersion, MAX_SCREEN_COLS, MAX_SCREEN_ROWS, type TerminalCapabilities } from '@tsmosh/terminal/front';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { chmodSync, unlinkSync } from 'node:fs';
import { readControlToken, tokenMatches, writeControlToken } from './control-token.js';
import { ServerError, type ServerErrorCode } from './errors.js';
import { isPortNumber } from '@tsmosh/protocol/front';

/**
 * The daemon's control protocol: local requests over a Unix socket in the 0700 runtime directory. One request per
 * connection: the client writes one JSON line, the daemon answers with one JSON line and closes. Every message
 * carries `v`, the protocol version, so a newer `tsmosh-server` meeting an older running daemon can say so instead
 * of misreading it, and every request carries `token`, the daemon's capability token (control-token.ts).
 */

/** 2: requests carry the control token. */
export const CONTROL_PROTOCOL_VERSION = 2;
/** A request line longer than this (bytes) is refused: the largest legitimate one carries an environment. */
const MAX_CONTROL_LINE_BYTES = 1 << 20;

/** What a `new` request asks for. Everything the session needs from the caller travels in it. */
export interface NewSessionRequest {
  /** argv of the command; empty or absent = the user's login shell. */
  readonly command?: readonly string[];
  /** The caller's environment: the session's program inherits it (plus TERM and locale fixes). */
  readonly env: Readonly<Record<string, string>>;
  /** `-l NAME=VALUE` pairs from the client, applied only if `env` has no UTF-8 locale (as mosh-server does). */
  readonly locale?: Readonly<Record<string, string>>;
  /** Inclusive UDP port range; absent = the default range. */
  readonly ports?: { readonly low: number; readonly high: number };
  /** Local address to bind the UDP socket to (`-i`); absent = all addresses. */
  readonly bindAddress?: string;
  readonly cols?: number;
  readonly rows?: number;
  /**
   * Attach to the session of this name if one lives, else create it with this name (`tmux new -A`). On attach the
   * command, environment and ports are ignored: the program is already running.
   */
  readonly name?: string;
  /** Idle timeout (ms): the session ends after this long without hearing any client. 0 = never. Absent = the
   * caller's TSMOSH_SERVER_NETWORK_TMOUT, else never. On attach, a given value replaces the session's. */
  readonly idleTimeoutMs?: number;
  /** Give the session an agent socket and point SSH_AUTH_SOCK at it (-A); ignored on attach. */
  readonly forwardAgent?: boolean;
  /**
   * The program waits for its client rather than the history dropping lines (Session keepEveryLine): on attach, for
   * this client while it is the session's (from the attach on; a later terminal's attach ends it).
   */
  readonly keepEveryLine?: boolean;
  /**
   * The folder the program starts in: the one `new` ran in (an absolute path), as `tmux new` starts in its caller's.
   * Over SSH that is the login's home; for `tsmosh --local`, the user's current folder. Absent (an older `new`), or
   * no longer a folder: the home directory. Ignored on attach, and a restarted session keeps its own.
   */
  readonly directory?: string;
  /** The program starts with its pty's echo off (a script's text session: echo-off-start.ts); ignored on attach. */
  readonly noEcho?: boolean;
  /**
   * What the client's terminal answered its start-up probe (`--terminal-answers`): the new session's mirror answers
   * the program's first queries from it; on attach, the running session's mirror answers from it from now on.
   */
  readonly terminalAnswers?: TerminalCapabilities;
}

export interface NewSessionResult {
  /** The session's stable ID (list, kill); unchanged by an attach, whose fresh key carries a different ID. */
  readonly sessionId: string;
  readonly port: number;
  /** SessionKey.toString(): the CONNECT line's key. Fresh on every call, attach included. */
  readonly key: string;
  readonly name?: string;
  /** True when this joined a running session (named) rather than starting one. */
  readonly attached: boolean;
  /** One line for the user (`new` prints it on stderr): e.g. a named session that was lost and started again. */
  readonly notice?: string;
  /** The daemon's build (server-build.ts), so `new` can say when it is not its own; absent from older daemons. */
  readonly build?: string;
}

export interface SessionInfo {
  readonly sessionId: string;
  readonly name: string | undefined;
  readonly port: number;
  readonly pid: number | undefined;
  readonly command: readonly string[];
  /** Wall-clock start time, ISO 8601. */
  readonly startedAt: string;
  readonly clientAddress: string | undefined;
  /** Milliseconds since the last authentic datagram, or undefined if no client has been heard. */
  readonly lastHeardMsAgo: number | undefined;
  /** A client was heard within the last 15 s. */
  readonly attached: boolean;
  /** Attaches whose client has not spoken yet. */
  readonly pendingAttaches: number;
  /** ms of client silence that end the session; undefined = never. */
  readonly idleTimeoutMs: number | undefined;
  /** Datagrams routed to this session that its Connection dropped (forged, replayed, damaged), by kind. */
  readonly drops: Readonly<Record<string, number>>;
  /**
   * Set by `tsmosh-server list` (never by a daemon) on a session a daemon of another wire generation runs
   * (daemon-generation.ts): the tsmosh that can reattach to it. protocol is undefined for daemons older than the field.
   */
  readonly otherGeneration?: { readonly protocol: number | undefined; readonly version: string; readonly daemonPid: number };
}

export interface EndpointInfo {
  readonly address: string;
  readonly port: number;
  readonly sessions: number;
  readonly datagramsReceived: number;
  /** Datagrams whose clear session ID names no session here (strangers, stale clients). */
  readonly unknownSession: number;
  /** Datagrams too short or malformed to carry a session ID at all. */
  readonly malformed: number;
  /** Datagrams the socket failed to send (unreachable networks, a full buffer). */
  readonly sendErrors: number;
  /** Datagrams whose handling threw (a bug, counted instead of ending the daemon). */
  readonly handlerErrors: number;
  /** Datagrams the kernel dropped for a full receive buffer before the daemon read them; null off Linux. */
  readonly kernelReceiveDrops: number | null;
}

export interface DaemonStatus {
  readonly pid: number;
  readonly version: string;
  /** Its version and, from a bundle, its daemon file's hash (server-build.ts); absent from older daemons. */
  readonly build?: string;
  /** The wire generation (PROTOCOL_VERSION) its sessions speak; absent from daemons older than the field. */
  readonly protocol?: number;
  readonly sessions: number;
  readonly endpoints: readonly EndpointInfo[];
  /** Program output turned away across the live sessions: OSC/DCS strings over budget (escape-string-budget.ts). */
  readonly droppedEscapeStrings: number;
  /** Answers to terminal queries not written back to programs for not being of a safe shape (reply-filter.ts). */
  readonly unsafeRepliesDropped: number;
  /** Combining marks not kept because their cell held its budget already (cell-budget.ts), since the daemon started. */
  readonly droppedCombiningMarks: number;
  /** Agent and port forwarding across the live sessions (docs/forwarding.md). */
  readonly forwarding: ForwardingStats;
}

export type ControlRequest =
  | { readonly v: number; readonly op: 'new'; readonly request: NewSessionRequest }
  | { readonly v: number; readonly op: 'list' }
  | { readonly v: number; readonly op: 'kill'; readonly sessionId: string }
  | { readonly v: number; readonly op: 'status' };

export interface ControlResults {
  new: NewSessionResult;
  list: readonly SessionInfo[];
  kill: { readonly killed: string };
  status: DaemonStatus;
}

export type ControlResponse =
  | { readonly v: number; readonly ok: true; readonly result: unknown }
  | { readonly v: number; readonly ok: false; readonly error: { readonly code: ServerErrorCode; readonly message: string } };

export type ControlHandler = (request: ControlRequest) => Promise<unknown>;

/** Parses and validates one request line; throws ServerError('control-protocol') on anything malformed. */
export function parseControlRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw protocolError('request is not JSON');
  }
  if (!isRecord(value)) throw protocolError('request is not an object');
  if (value.v !== CONTROL_PROTOCOL_VERSION) {
    throw protocolError(
      `request speaks control protocol ${String(value.v)}, this daemon speaks ${CONTROL_PROTOCOL_VERSION}; end the old daemon (kill its pid) and retry`,
    );
  }
  switch (value.op) {
    case 'list':
    case 'status':
      return { v: value.v, op: value.op };
    case 'kill':
      if (typeof value.sessionId !== 'string') throw protocolError('kill needs a string sessionId (a session ID or name)');
      return { v: value.v, op: 'kill', sessionId: value.sessionId };
    case 'new':
      return { v: value.v, op: 'new', request: validateNewSessionRequest(value.request) };
    default:
      throw protocolError(`unknown op ${JSON.stringify(value.op)}`);
  }
}

function validateNewSessionRequest(value: unknown): NewSessionRequest {
  if (!isRecord(value)) throw protocolError('new needs a request object');
  const { command, env, locale, ports, bindAddress, cols, rows, name, idleTimeoutMs, forwardAgent, keepEveryLine, noEcho, directory, terminalAnswers } = value;
  if (name !== undefined && typeof name !== 'string') throw protocolError('name must be a string');
  if (terminalAnswers !== undefined && !isTerminalCapabilities(terminalAnswers)) {
    throw protocolError('terminalAnswers must be {kittyKeyboard: boolean, synchronizedOutput: boolean, version: printable ASCII}');
  }
  if (forwardAgent !== undefined && typeof forwardAgent !== 'boolean') throw protocolError('forwardAgent must be a boolean');
  if (keepEveryLine !== undefined && typeof keepEveryLine !== 'boolean') throw protocolError('keepEveryLine must be a boolean');
  if (directory !== undefined && !(typeof directory === 'string' && directory.startsWith('/'))) throw protocolError('directory must be an absolute path');
  if (noEcho !== undefined && typeof noEcho !== 'boolean') throw protocolError('noEcho must be a boolean');
  if (idleTimeoutMs !== undefined && !(Number.isSafeInteger(idleTimeoutMs) && (idleTimeoutMs as number) >= 0)) {
    throw protocolError('idleTimeoutMs must be a non-negative integer (0 = never)');
  }
  if (command !== undefined && !(Array.isArray(command) && command.every((part) => typeof part === 'string'))) {
    throw protocolError('command must be an array of strings');
  }
  if (!isStringRecord(env)) throw protocolError('env must be an object of strings');
  if (locale !== undefined && !isStringRecord(locale)) throw protocolError('locale must be an object of strings');
  if (ports !== undefined) {
    if (!isRecord(ports) || !isPortOrZero(ports.low) || !isPortOrZero(ports.high) || ports.low > ports.high) {
      throw protocolError('ports must be {low, high} with 0 <= low <= high <= 65535');
    }
  }
  if (bindAddress !== undefined && typeof bindAddress !== 'string') throw protocolError('bindAddress must be a string');
  for (const [name, size] of [['cols', cols], ['rows', rows]] as const) {
    if (size !== undefined && !(Number.isInteger(size) && (size as number) > 0 && (size as number) <= (name === 'cols' ? MAX_SCREEN_COLS : MAX_SCREEN_ROWS))) {
      throw protocolError(`${name} must be an integer from 1 to ${name === 'cols' ? MAX_SCREEN_COLS : MAX_SCREEN_ROWS}`);
    }
  }
  return value as unknown as NewSessionRequest;
}

function isTerminalCapabilities(value: unknown): value is TerminalCapabilities {
  return (
    isRecord(value) &&
    typeof value.kittyKeyboard === 'boolean' &&
    typeof value.synchronizedOutput === 'boolean' &&
    typeof value.version === 'string' &&
    isCarriableTerminalVersion(value.version)
  );
}

/**
 * Listens on `socketPath`, one JSON request line per connection, answering only requests that carry the token it
 * writes beside the socket. The socket is 0600 whatever the umask.
 */
export async function listenControl(socketPath: string, handle: ControlHandler): Promise<Server> {
  const token = writeControlToken(socketPath);
  const server = createServer((socket) => serveOne(socket, token, handle));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  return server;
}

/** Removes a socket file left by a daemon that died without cleaning up. Only call when nothing answers on it. */
export function removeStaleSocket(socketPath: string): void {
  try {
    unlinkSync(socketPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function serveOne(socket: Socket, token: string, handle: ControlHandler): void {
  let buffered = '';
  let answered = false;
  socket.setEncoding('utf8');
  const reply = (response: ControlResponse): void => {
    if (answered) return;
    answered = true;
    socket.end(JSON.stringify(response) + '\n');
  };
  socket.on('error', () => socket.destroy());
  socket.on('data', (chunk: string) => {
    if (answered) return;
    buffered += chunk;
    const newline = buffered.indexOf('\n');
    if (newline < 0) {
      if (buffered.length > MAX_CONTROL_LINE_BYTES) reply(errorResponse(protocolError('request line too long')));
      return;
    }
    const line = buffered.slice(0, newline);
    let request: ControlRequest;
    try {
      request = parseControlRequest(line);
      if (!tokenMatches(token, (JSON.parse(line) as { token?: unknown }).token)) {
        throw new ServerError('forbidden', 'tsmosh-server: control request without the daemon\'s token refused; only its own user may use it');
      }
    } catch (error) {
      reply(errorResponse(error));
      return;
    }
    handle(request).then(
      (result) => reply({ v: CONTROL_PROTOCOL_VERSION, ok: true, result }),
      (error: unknown) => reply(errorResponse(error)),
    );
  });
}

function errorResponse(error: unknown): ControlResponse {
  if (error instanceof ServerError) {
    return { v: CONTROL_PROTOCOL_VERSION, ok: false, error: { code: error.code, message: error.message } };
  }
  const message = `tsmosh-server: daemon failed: ${error instanceof Error ? error.message : String(error)}; see the daemon log`;
  return { v: CONTROL_PROTOCOL_VERSION, ok: false, error: { code: 'internal', message } };
}

/** Thrown by `requestControl` when no daemon listens on the socket (absent file, refused, or stale). */
export class DaemonNotRunningError extends ServerError {
  override readonly name = 'DaemonNotRunningError';
  constructor(socketPath: string) {
    super('daemon-unreachable', `tsmosh-server: no daemon answers on ${socketPath}`);
  }
}

type RequestBody =
  | { op: 'new'; request: NewSessionRequest }
  | { op: 'list' }
  | { op: 'kill'; sessionId: string }
  | { op: 'status' };

/**
 * Sends one request and resolves with its result; rejects with the daemon's ServerError, with DaemonNotRunningError
 * when nothing listens, or with a 'daemon-unreachable' error after `timeoutMs` without an answer.
 */
export function requestControl<K extends keyof ControlResults>(
  socketPath: string,
  body: Extract<RequestBody, { op: K }>,
  timeoutMs: number,
): Promise<ControlResults[K]> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(socketPath);
    let buffered = '';
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      action();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          reject(
            new ServerError(
              'daemon-unreachable',
              `tsmosh-server: the daemon on ${socketPath} did not answer within ${timeoutMs} ms; check its log in the same directory`,
            ),
          ),
        ),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.on('connect', () => {
      // The token is read once connected, not before: a daemon writes its token before it listens, so this is the
      // listener's. Read before connecting, it could be missing (a daemon just starting) when the connect succeeds.
      let token: string;
      try {
        token = readControlToken(socketPath);
      } catch (error) {
        finish(() => reject(error));
        return;
      }
      socket.write(JSON.stringify({ v: CONTROL_PROTOCOL_VERSION, token, ...body }) + '\n');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'ECONNREFUSED') {
        finish(() => reject(new DaemonNotRunningError(socketPath)));
      } else {
        finish(() =>
          reject(new ServerError('daemon-unreachable', `tsmosh-server: control socket ${socketPath}: ${error.message}`)),
        );
      }
    });
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      finish(() => {
        try {
          resolve(decodeResponse(line) as ControlResults[K]);
        } catch (error) {
          reject(error);
        }
      });
    });
    socket.on('end', () =>
      finish(() =>
        reject(new ServerError('control-protocol', `tsmosh-server: the daemon on ${socketPath} closed without answering`)),
      ),
    );
  });
}

function decodeResponse(line: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw protocolError('daemon answered with something that is not JSON');
  }
  if (!isRecord(value) || value.v !== CONTROL_PROTOCOL_VERSION) {
    throw protocolError(
      'the running daemon speaks another control protocol version; end it (see `tsmosh-server status` or its pid in the log) and retry',
    );
  }
  if (value.ok === true) return value.result;
  const error = isRecord(value.error) ? value.error : {};
  throw new ServerError(
    (typeof error.code === 'string' ? error.code : 'internal') as ServerErrorCode,
    typeof error.message === 'string' ? error.message : 'tsmosh-server: the daemon refused the request',
  );
}

function protocolError(detail: string): ServerError {
  return new ServerError('control-protocol', `tsmosh-server: control protocol: ${detail}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((entry) => typeof entry === 'string');
}

/** A port in a range request: 0 (with 0 as the other end: any free port) up to MAX_PORT_NUMBER. */
function isPortOrZero(value: unknown): value is number {
  return value === 0 || isPortNumber(value);
}
