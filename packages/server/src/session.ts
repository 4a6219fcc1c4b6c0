import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { userInfo } from 'node:os';
import {
  Connection,
  SessionKey,
  Transport,
  type ConnectionStats,
  type OutgoingDatagram,
  type PeerAddress,
} from '@tsmosh/protocol';
import { InputStream, MAX_SCREEN_COLS, MAX_SCREEN_ROWS, ScreenState, type Framebuffer } from '@tsmosh/terminal';
import { ServerError } from './errors.js';
import { PtyHost } from './pty-host.js';

/**
 * One session: a program in a pty, its screen mirrored, synchronized to one client at a time over a
 * Transport<ScreenState, InputStream>. The session owns no socket: datagrams come in through `receive` and go out
 * through the `send` it was given, so the daemon can host many sessions on one UDP port.
 *
 * The loop follows docs/architecture.md: on a pty frame, a datagram or the timer, read `now` once, feed the cores,
 * send what the transport returns, re-arm one timer at the earliest wake-up. An idle session has one timer pending
 * (the transport's heartbeat) and does no other work.
 */

/**
 * If no client has sent one authentic datagram by then (ms after start), the session ends: the CONNECT line was
 * never used (the bootstrap failed or the user gave up), and an orphan shell should not live forever. mosh's value.
 */
export const NO_CLIENT_TIMEOUT_MS = 60_000;
/** Environment knob (ms) that shortens NO_CLIENT_TIMEOUT_MS, for tests; read from the session's environment. */
export const NO_CLIENT_TIMEOUT_ENV = 'TSMOSH_SERVER_NO_CLIENT_TIMEOUT_MS';
/** Seconds of client silence after which the session ends (unset = never), as MOSH_SERVER_NETWORK_TMOUT. */
export const NETWORK_TIMEOUT_ENV = 'TSMOSH_SERVER_NETWORK_TMOUT';
/**
 * Minimum spacing of screen snapshots (ms). A pty in full flood fires many frames per millisecond; a snapshot walks
 * the whole mirror, and the transport sends at most one frame per 20 ms anyway. 8 ms is mosh's collection interval.
 */
export const SNAPSHOT_MIN_INTERVAL_MS = 8;
export const DEFAULT_TERM = 'xterm-256color';
export const DEFAULT_SIZE = { cols: 80, rows: 24 } as const;

/** `failed`: an unexpected error inside this session; it is ended so the daemon and other sessions carry on. */
export type SessionEndReason = 'command-exited' | 'no-client' | 'network-timeout' | 'killed' | 'failed';

/** What the session needs from its pty: the PtyHost (node-pty + HeadlessMirror), or a stand-in in unit tests. */
export interface SessionPty {
  readonly pid: number;
  write(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** The mirror's screen now. Called only when the screen may have changed. */
  snapshot(): Framebuffer;
  /** Called when the mirrored screen may have changed (a frame the pty host judged complete). */
  onFrame(listener: () => void): void;
  onExit(listener: (exitCode: number, signal: number | undefined) => void): void;
  /** Ends the program (SIGHUP, as a closed terminal would) and frees the pty. Idempotent. */
  dispose(): void;
}

export interface SessionInit {
  readonly key: SessionKey;
  readonly pty: SessionPty;
  /** Sends one datagram; the owner routes it to its UDP socket. */
  readonly send: (datagram: OutgoingDatagram) => void;
  readonly cols?: number;
  readonly rows?: number;
  /** ms; undefined = never. */
  readonly networkTimeoutMs?: number;
  readonly noClientTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Monotonic milliseconds; the only clock the session reads. */
  readonly clock?: () => number;
  /** The one timer the session keeps; tests pass a manual one alongside a manual clock. */
  readonly timer?: SessionTimer;
}

export interface SessionTimer {
  set(callback: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
}

const realTimer: SessionTimer = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Session {
  readonly key: SessionKey;
  readonly sessionId: string;
  readonly ended: Promise<SessionEndReason>;
  readonly startedAt = new Date();
  private readonly transport: Transport<ScreenState, InputStream>;
  private readonly pty: SessionPty;
  private readonly send: (datagram: OutgoingDatagram) => void;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly startedAtMs: number;
  private readonly networkTimeoutMs: number | undefined;
  private readonly noClientTimeoutMs: number;
  private resolveEnded!: (reason: SessionEndReason) => void;
  /** The input state whose events have all been fed to the pty. */
  private processedInput: InputStream = InputStream.empty();
  private screenDirty = false;
  private lastSnapshotAt = -Infinity;
  private readonly timers: SessionTimer;
  private timer: unknown;
  private timerDue = Infinity;
  private endReason: SessionEndReason | undefined;
  private finished = false;
  private stepping = false;

  constructor(init: SessionInit) {
    this.key = init.key;
    this.sessionId = init.key.sessionIdHex;
    this.pty = init.pty;
    this.send = init.send;
    this.clock = init.clock ?? (() => performance.now());
    this.timers = init.timer ?? realTimer;
    this.log = init.log ?? (() => {});
    this.networkTimeoutMs = init.networkTimeoutMs;
    this.noClientTimeoutMs = init.noClientTimeoutMs ?? NO_CLIENT_TIMEOUT_MS;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.startedAtMs = this.clock();
    const connection = new Connection({
      role: 'server',
      key: init.key,
      random: (length: number) => new Uint8Array(randomBytes(length)),
      initialSeq: initialSequenceFromWallClock(),
    });
    this.transport = new Transport<ScreenState, InputStream>({
      connection,
      initialLocal: ScreenState.initial(init.cols ?? DEFAULT_SIZE.cols, init.rows ?? DEFAULT_SIZE.rows),
      initialRemote: InputStream.empty(),
    });
    this.pty.onFrame(() => {
      this.screenDirty = true;
      this.step();
    });
    this.pty.onExit((exitCode, signal) => {
      this.log(`session ${this.sessionId}: command exited (code ${exitCode}${signal ? `, signal ${signal}` : ''})`);
      this.beginShutdown('command-exited');
    });
    this.step();
  }

  get pid(): number {
    return this.pty.pid;
  }

  get clientAddress(): PeerAddress | undefined {
    return this.transport.connection.remoteAddress;
  }

  get lastHeardMsAgo(): number | undefined {
    const heard = this.transport.connection.lastHeardAt;
    return heard === undefined ? undefined : Math.max(0, this.clock() - heard);
  }

  /** The session's datagram counters, including every kind of drop (docs/protocol.md). */
  get connectionStats(): ConnectionStats {
    return this.transport.connection.stats;
  }

  /** Feeds one datagram addressed to this session. Never throws: the Connection drops and counts bad ones. */
  receive(bytes: Uint8Array, from: PeerAddress): void {
    if (this.finished) return;
    const now = this.clock();
    const before = this.transport.connection.remoteAddress;
    this.transport.receive(bytes, from, now);
    const after = this.transport.connection.remoteAddress;
    if (after !== undefined && (before === undefined || before.host !== after.host || before.port !== after.port)) {
      this.log(`session ${this.sessionId}: attached to client at ${after.host}:${after.port}`);
    }
    this.step(now);
  }

  /** Ends the session: the client is told through the transport shutdown, then the program is ended. */
  kill(): void {
    this.beginShutdown('killed');
  }

  private beginShutdown(reason: SessionEndReason): void {
    if (this.endReason !== undefined || this.finished) return;
    this.endReason = reason;
    const now = this.clock();
    if (this.transport.connection.remoteAddress === undefined) {
      // No client ever heard from: nobody to tell, so there is nothing to wait for.
      this.finish();
      return;
    }
    this.transport.startShutdown(now);
    this.step(now);
  }

  private step(now: number = this.clock()): void {
    if (this.finished || this.stepping) return;
    this.stepping = true;
    try {
      this.feedInput(now);
      this.takeSnapshot(now);
      for (const datagram of this.transport.tick(now)) this.send(datagram);
      if (this.checkEnd(now)) return;
      this.arm(now, this.nextWakeup(now));
    } catch (error) {
      // A bug here must not take the daemon, and every other session, down with it: end only this session.
      this.log(`session ${this.sessionId}: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      this.endReason = 'failed';
      this.finish();
    } finally {
      this.stepping = false;
    }
  }

  /** Writes every input event the client sent since the last step into the pty, then acknowledges their echo. */
  private feedInput(now: number): void {
    const remote = this.transport.remote;
    if (remote === this.processedInput) return;
    const events = remote.eventsSince(this.processedInput);
    for (const event of events) {
      if (event.kind === 'keys') {
        if (this.endReason === undefined) this.pty.write(event.bytes);
      } else if (isValidSize(event.cols, event.rows)) {
        this.pty.resize(event.cols, event.rows);
        this.screenDirty = true;
      } else {
        // Authentic but impossible (a client bug): ignore it rather than end the session.
        this.log(`session ${this.sessionId}: ignoring resize to ${event.cols}x${event.rows}`);
      }
    }
    this.processedInput = remote;
    const echoAck = this.transport.remoteNum;
    const local = this.transport.local;
    if (local.echoAck !== echoAck) this.transport.setLocal(local.withEchoAck(echoAck), now);
  }

  private takeSnapshot(now: number): void {
    if (!this.screenDirty || now - this.lastSnapshotAt < SNAPSHOT_MIN_INTERVAL_MS) return;
    this.screenDirty = false;
    this.lastSnapshotAt = now;
    const local = this.transport.local;
    this.transport.setLocal(local.withFramebuffer(this.pty.snapshot()), now);
  }

  private checkEnd(now: number): boolean {
    if (this.endReason !== undefined) {
      if (this.transport.shutdownAcknowledged || this.transport.shutdownTimedOut) {
        this.finish();
        return true;
      }
      return false;
    }
    const heard = this.transport.connection.lastHeardAt;
    if (heard === undefined && now - this.startedAtMs >= this.noClientTimeoutMs) {
      this.log(`session ${this.sessionId}: no client connected within ${this.noClientTimeoutMs} ms; ending`);
      this.endReason = 'no-client';
      this.finish();
      return true;
    }
    if (heard !== undefined && this.networkTimeoutMs !== undefined && now - heard >= this.networkTimeoutMs) {
      this.log(`session ${this.sessionId}: client silent for ${this.networkTimeoutMs} ms (${NETWORK_TIMEOUT_ENV}); ending`);
      this.beginShutdown('network-timeout');
      return this.finished;
    }
    return false;
  }

  private nextWakeup(now: number): number {
    let due = this.transport.nextWakeup(now);
    if (this.screenDirty) due = Math.min(due, this.lastSnapshotAt + SNAPSHOT_MIN_INTERVAL_MS);
    if (this.endReason === undefined) {
      const heard = this.transport.connection.lastHeardAt;
      if (heard === undefined) due = Math.min(due, this.startedAtMs + this.noClientTimeoutMs);
      else if (this.networkTimeoutMs !== undefined) due = Math.min(due, heard + this.networkTimeoutMs);
    }
    return due;
  }

  /** Keeps exactly one timer, at `due` (absolute ms). */
  private arm(now: number, due: number): void {
    if (this.timer !== undefined && due === this.timerDue) return;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timerDue = due;
    // setTimeout's delay is a 32-bit signed int of ms; clamp so a far wake-up neither overflows nor spins.
    const delay = Math.min(Math.max(0, Math.ceil(due - now)), 2 ** 31 - 1);
    this.timer = this.timers.set(() => {
      this.timer = undefined;
      this.timerDue = Infinity;
      this.step();
    }, delay);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer !== undefined) this.timers.clear(this.timer);
    this.timer = undefined;
    this.pty.dispose();
    const reason = this.endReason ?? 'killed';
    this.log(`session ${this.sessionId}: ended (${reason})`);
    this.resolveEnded(reason);
  }
}

function isValidSize(cols: number, rows: number): boolean {
  return Number.isInteger(cols) && Number.isInteger(rows) && cols >= 1 && rows >= 1 && cols <= MAX_SCREEN_COLS && rows <= MAX_SCREEN_ROWS;
}

/**
 * The starting sequence number docs/protocol.md asks for: wall-clock ms × 2^20, so a key reused after a restart
 * never repeats a nonce and the peer's forward-only replay window accepts the new numbers.
 */
export function initialSequenceFromWallClock(): bigint {
  return BigInt(Date.now()) << 20n;
}

/** Parses TSMOSH_SERVER_NETWORK_TMOUT: positive integer seconds. Invalid values come back with a warning line. */
export function parseNetworkTimeout(value: string | undefined): { timeoutMs?: number; warning?: string } {
  if (value === undefined || value === '') return {};
  if (!/^\d+$/.test(value.trim()) || Number(value) <= 0 || !Number.isSafeInteger(Number(value))) {
    return {
      warning: `tsmosh-server: ignoring ${NETWORK_TIMEOUT_ENV}=${JSON.stringify(value)}: it must be a positive whole number of seconds`,
    };
  }
  return { timeoutMs: Number(value) * 1000 };
}

/** Reads the test knob that shortens the no-client timeout; anything but a positive integer is ignored. */
export function parseNoClientTimeout(value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value.trim()) || Number(value) <= 0) return NO_CLIENT_TIMEOUT_MS;
  return Number(value);
}

const LOCALE_VARIABLES = [
  'LANG',
  'LANGUAGE',
  'LC_ALL',
  'LC_CTYPE',
  'LC_NUMERIC',
  'LC_TIME',
  'LC_COLLATE',
  'LC_MONETARY',
  'LC_MESSAGES',
  'LC_PAPER',
  'LC_NAME',
  'LC_ADDRESS',
  'LC_TELEPHONE',
  'LC_MEASUREMENT',
  'LC_IDENTIFICATION',
];

/** The locale that decides the character set, by POSIX precedence. */
export function effectiveCtype(env: Readonly<Record<string, string | undefined>>): string {
  for (const name of ['LC_ALL', 'LC_CTYPE', 'LANG']) {
    const value = env[name];
    if (value !== undefined && value !== '') return value;
  }
  return 'C';
}

export function isUtf8LocaleName(name: string): boolean {
  return /\.utf-?8(@|$)/i.test(name);
}

/**
 * The session's environment: the caller's, with a UTF-8 locale (the caller's own if it has one, else the client's
 * `-l` variables, as mosh-server decides), TERM, and the variables a nested terminal must not inherit removed.
 * Throws ServerError('locale') when neither gives an installed UTF-8 locale.
 */
export function buildSessionEnvironment(options: {
  env: Readonly<Record<string, string>>;
  locale?: Readonly<Record<string, string>>;
  term?: string;
  installedLocales?: ReadonlySet<string> | undefined;
}): Record<string, string> {
  const installed = options.installedLocales;
  const usable = (name: string): boolean =>
    isUtf8LocaleName(name) && (installed === undefined || installed.has(normalizeLocaleName(name)));
  let env: Record<string, string> = { ...options.env };
  const native = effectiveCtype(env);
  if (!usable(native)) {
    const fromClient = options.locale ?? {};
    for (const name of LOCALE_VARIABLES) delete env[name];
    env = { ...env, ...fromClient };
    const client = effectiveCtype(env);
    if (!usable(client)) {
      const installedHint = installed === undefined ? '' : ' (see `locale -a` for the installed ones)';
      throw new ServerError(
        'locale',
        `tsmosh-server: needs a UTF-8 locale, but the environment has ${native}` +
          (Object.keys(fromClient).length > 0 ? ` and -l gives ${client}` : '') +
          `${installedHint}; set LANG to a UTF-8 locale such as C.UTF-8, or pass -l LANG=C.UTF-8`,
      );
    }
  }
  env.TERM = options.term ?? DEFAULT_TERM;
  // Line-drawing through UTF-8 rather than the VT100 alternate character set, which the client does not carry.
  env.NCURSES_NO_UTF8_ACS = '1';
  // The session is not inside the caller's screen/tmux, whatever the environment of `tsmosh-server new` says.
  delete env.STY;
  delete env.TMUX;
  delete env.TMUX_PANE;
  delete env.TSMOSH_KEY;
  return env;
}

/** glibc's normalized name: codeset lower-cased without punctuation (en_US.UTF-8 → en_US.utf8). */
export function normalizeLocaleName(name: string): string {
  const match = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name);
  if (match === null) return name;
  const [, language, codeset, modifier] = match;
  if (codeset === undefined) return name;
  return `${language}.${codeset.toLowerCase().replace(/[^a-z0-9]/g, '')}${modifier ?? ''}`;
}

/**
 * The installed locales (normalized), from `locale -a`; undefined when that cannot run (musl systems have no
 * `locale -a` and accept any UTF-8 name), in which case the name alone decides.
 */
export function installedLocales(): ReadonlySet<string> | undefined {
  const result = spawnSync('locale', ['-a'], { encoding: 'utf8', timeout: 5000 });
  if (result.status !== 0 || typeof result.stdout !== 'string') return undefined;
  return new Set(
    result.stdout
      .split('\n')
      .filter((line) => line !== '')
      .map(normalizeLocaleName),
  );
}

/**
 * The default program: the user's shell ($SHELL, else the password database, else /bin/sh) as a login shell. node-pty
 * cannot set argv[0] to mosh's `-bash` form, so `-l` asks for a login shell instead; bash, zsh, dash, ksh and fish all
 * accept it.
 */
export function defaultCommand(env: Readonly<Record<string, string>>): string[] {
  let shell: string | undefined = env.SHELL;
  if (shell === undefined || shell === '') {
    try {
      shell = userInfo().shell ?? undefined;
    } catch {
      shell = undefined;
    }
  }
  return [shell !== undefined && shell !== '' ? shell : '/bin/sh', '-l'];
}

/** How a session's program is started. */
export interface PtySpawnOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly cols: number;
  readonly rows: number;
}

/** The production pty: node-pty plus the HeadlessMirror, with flow control and the DEC 2026 bound. */
export function spawnSessionPty(options: PtySpawnOptions): SessionPty {
  return new PtyHost({
    command: options.file,
    args: options.args,
    env: options.env,
    cwd: options.cwd,
    cols: options.cols,
    rows: options.rows,
    ...(options.env.TERM !== undefined ? { termName: options.env.TERM } : {}),
  });
}
