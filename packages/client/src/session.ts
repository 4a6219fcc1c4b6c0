import { EventEmitter } from 'node:events';
import {
  Connection,
  type DueTimer,
  clockDerivedInitialSeq,
  isPortNumber,
  SHUTDOWN_STATE_NUM,
  SessionKey,
  Transport,
  TSMOSH_CLIENT_TIMING,
  type Instruction,
  type OutgoingDatagram,
  type PeerAddress,
  type RandomSource,
  type TransportConnection,
  type TransportStats,
} from '@tsmosh/protocol';
import { InputStream, isScreenSize, MAX_SCREEN_COLS, MAX_SCREEN_ROWS, ScreenState, ScrollbackLog, type AnsweredCursor, type Framebuffer, type SessionEnding, type TerminalCapabilities } from '@tsmosh/terminal';
import { ClientForwarding, type ChannelEndpoint, type ForwardingOptions } from '@tsmosh/forward';
import { clientTrace } from './latency-trace.js';
import { InputWindow } from './input-window.js';
import type { CarrierKind, CarrierMode } from './carrier.js';
import { NODE_CLIENT_RUNTIME, dueTimer, type ClientCarrier, type ClientRuntime } from './client-runtime.js';

/**
 * `connect()`: the embeddable client. It owns the one clock, timer and set of sockets that drive the pure protocol
 * core (a `Transport<InputStream, ScreenState>` in the client role) and reports what the user would see as events.
 * The terminal front end (frontend.ts) and `tsmosh-client` are built on exactly this.
 */

/**
 * Client-side collection interval (ms): how long the transport waits after a keystroke for more before sending
 * (none; why: TSMOSH_CLIENT_TIMING, the client's transport departures, in @tsmosh/protocol timing.ts).
 */
export const CLIENT_COLLECTION_INTERVAL_MS = TSMOSH_CLIENT_TIMING.collectionIntervalMs;
/** Give up when nothing at all came back from the server within this long of starting (ms); mosh waits 15 s. */
export const DEFAULT_FIRST_CONTACT_TIMEOUT_MS = 10_000;
/** The server counts as silent (status line shown) after this long without a datagram (ms); mosh uses 6.5 s. */
export const SERVER_SILENT_AFTER_MS = 6_500;
/** Before any reply, the "nothing received yet" notice may show after this long (ms): a loopback reply takes ~1 ms. */
export const NOTHING_RECEIVED_NOTICE_MS = 1_000;
/** While the server is silent, 'status' fires this often (ms) so a "Last contact N seconds ago" line can count. */
const STATUS_REFRESH_MS = 1_000;
/**
 * A state adding at least this many scrollback lines is acknowledged at once (lines): the server sends a long
 * history one window per acknowledged state (its smallest window is 256 lines), while an echo's line or two need no
 * datagram of their own.
 */
const HISTORY_CATCH_UP_LINES = 128;
/** close() waits at most this long (ms) for the server to acknowledge the shutdown before giving up on it. */
const SHUTDOWN_GRACE_MS = 3_000;
/** After the server announced its shutdown, keep running at most this long (ms) to get our acknowledgement out. */
const REMOTE_SHUTDOWN_ACK_GRACE_MS = 500;

/**
 * The session's end when a new server process answers under its key, holding none of its state (the peer restarted:
 * Transport.takePeerRestart). The input already acknowledged is no longer held here (pushInput subtracts it), so it
 * could not be sent again, and should not be: the program it went to is gone. Servers never do this (a session
 * started again from its record gets a new key), so it is a clean end, not a resync.
 */
export const SERVER_RESTARTED_MESSAGE =
  'tsmosh: a new server process answered under this session\'s key, without the session (the server was restarted); the session cannot go on: start a new one.';

export type ExitReason =
  /** The server shut the session down: its command exited, another client took it over, or it was killed
   * (`SessionExit.ending` says which). */
  | 'remote-exit'
  /** close() was called (the user quit). */
  | 'user'
  /** No reply from the server within the first-contact timeout, or silence beyond `networkTimeoutMs`. */
  | 'network-timeout'
  /** Name resolution or socket failure. */
  | 'error'
  /**
   * A check by another path (session-watch.ts) found the session gone from the server: its daemon died; or a new
   * server process answered under the session's key without its state (SERVER_RESTARTED_MESSAGE).
   */
  | 'server-gone';

export interface SessionExit {
  readonly reason: ExitReason;
  /** One line for a person: what happened and, where it helps, what to do. */
  readonly message: string;
  /** For 'remote-exit': why the server ended the session, when it said (exit status and signal, takeover, kill). */
  readonly ending?: SessionEnding;
}

export interface SessionStatus {
  /** Whether anything authentic has ever come back from the server. */
  readonly everHeard: boolean;
  /** Heard from the server within SERVER_SILENT_AFTER_MS. */
  readonly connected: boolean;
  /** ms since the last authentic datagram (or since the session started, when none came yet). */
  readonly lastContactAgoMs: number;
  /** Smoothed round-trip time (ms), when measured on this session's datagrams. */
  readonly srttMs: number | undefined;
  /**
   * The best round-trip estimate (ms) grounded in a measurement: `srttMs` once measured, before that the seed
   * given as `initialRttMs` (the SSH login's round trip); undefined when there is neither.
   */
  readonly estimatedRttMs: number | undefined;
  /** The UDP source port datagrams currently leave from (changes when the client hops). */
  readonly localPort: number | undefined;
  /** Which way datagrams travel now: 'tcp' when UDP is blocked (carrier.ts). */
  readonly carrier: CarrierKind;
  /** ms since the session last moved between UDP and TCP; undefined when it never moved. */
  readonly carrierSinceMs: number | undefined;
  /** The daemon's TCP port, for a line that names it. */
  readonly tcpPort: number;
  /** A recent forwarding problem, one line, for the status line (FORWARD_NOTICE_MS). */
  readonly notice?: string | undefined;
}

export interface ConnectOptions {
  /** Server host name or address. */
  readonly host: string;
  /** The daemon's UDP port, from `TSMOSH CONNECT <port> <key>`. */
  readonly port: number;
  /** The printable session key from the CONNECT line (or a parsed SessionKey). */
  readonly key: string | SessionKey;
  /** The local window size, sent to the server as the first input event. */
  readonly cols: number;
  readonly rows: number;
  /** Give up if nothing comes back within this long (ms). Default DEFAULT_FIRST_CONTACT_TIMEOUT_MS. */
  readonly firstContactTimeoutMs?: number;
  /** After first contact, give up when the server is silent this long (ms). Default: never (as mosh). */
  readonly networkTimeoutMs?: number;
  /**
   * A round-trip time already measured to this host (ms), e.g. during the SSH login: the RTT estimate starts there
   * instead of at a guess, so the first frames are paced and resent for the real link.
   */
  readonly initialRttMs?: number;
  /** 'udp' only, 'tcp' only, or 'auto' (default): UDP, and TCP while UDP is blocked (carrier.ts). */
  readonly transport?: CarrierMode;
  /** The daemon's TCP port for the fallback; default the UDP port's number (the daemon listens on both). */
  readonly tcpPort?: number;
  /** Agent and port forwarding (-A, -L, -R); none by default. */
  readonly forwarding?: ForwardingOptions;
  /** Clock, timer, randomness, name resolution and carrier; the Node ones by default (client-runtime.ts). */
  readonly runtime?: Partial<ClientRuntime>;
}

/** A forwarding notice (a -L port that cannot be bound, a refused -R) stays on the status line this long (ms). */
const FORWARD_NOTICE_MS = 6_000;

/** After a move between UDP and TCP, the status line says so for this long (ms). */
export const CARRIER_NOTICE_MS = 4_000;

export interface ClientSessionEvents {
  /** A new remote state; `stateNum` 0 is the blank initial state, anything else came from the server. */
  screen: [framebuffer: Framebuffer, stateNum: number];
  status: [status: SessionStatus];
  exit: [exit: SessionExit];
  /** One line about forwarding for the user (also shown on the status line for FORWARD_NOTICE_MS). */
  notice: [text: string];
}

export class ClientSession extends EventEmitter<ClientSessionEvents> {
  private transport: Transport<InputStream, ScreenState> | undefined;
  private connection: Connection | undefined;
  private endpoint: ClientCarrier | undefined;
  private forwarding: ClientForwarding | undefined;
  private channels: ChannelEndpoint | undefined;
  private notice: { readonly text: string; readonly at: number } | undefined;
  private pumpQueued = false;
  private input = InputStream.empty();
  /** How much of `input` the transport may carry beyond what the server acknowledged (input-window.ts). */
  private readonly inputWindow = new InputWindow();
  private lastRemoteNum = -1;
  /** The session's one timer, at its next pump. */
  private readonly timer: DueTimer;
  private readonly runtime: ClientRuntime;
  private readonly startedAt: number;
  /** What the last 'status' event showed a person (emitStatusIfChanged); undefined before the first. */
  private lastShownStatus: ShownStatus | undefined;
  private exitInfo: SessionExit | undefined;
  /** Set by close(): when the shutdown handshake began. */
  private closingSince: number | undefined;
  private remoteShutdownSeenAt: number | undefined;
  private readonly exited: Promise<SessionExit>;
  private resolveExited!: (exit: SessionExit) => void;
  private readonly key: SessionKey;
  private readonly firstContactTimeoutMs: number;
  private readonly networkTimeoutMs: number | undefined;
  private size: { cols: number; rows: number };

  /** Use connect(). */
  constructor(private readonly options: ConnectOptions) {
    super();
    this.runtime = { ...NODE_CLIENT_RUNTIME, ...options.runtime };
    this.timer = dueTimer(this.runtime, () => this.pump(this.runtime.now()));
    this.startedAt = this.runtime.now();
    this.key = typeof options.key === 'string' ? SessionKey.parse(options.key) : options.key;
    if (!isPortNumber(options.port)) {
      throw new RangeError(`tsmosh: port must be an integer 1-65535, got ${String(options.port)}`);
    }
    checkSize(options.cols, options.rows);
    this.size = { cols: options.cols, rows: options.rows };
    this.firstContactTimeoutMs = options.firstContactTimeoutMs ?? DEFAULT_FIRST_CONTACT_TIMEOUT_MS;
    this.networkTimeoutMs = options.networkTimeoutMs;
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
    // The server sizes its pty from our first input event, so the window size goes out before any keystroke.
    this.input = this.input.append({ kind: 'resize', cols: options.cols, rows: options.rows });
    void this.start().catch((error: unknown) => this.finish('error', `tsmosh: ${describe(error)}`));
  }

  /** Resolves when the session has ended, however it ended. */
  get done(): Promise<SessionExit> {
    return this.exited;
  }

  /** The newest screen received (blank until the first update). */
  get screen(): Framebuffer {
    return this.transport?.remote.framebuffer ?? ScreenState.initial(this.size.cols, this.size.rows).framebuffer;
  }

  /** The lines that have left the top of the remote screen, as far as received (scrollback-log.ts). */
  get scrollback(): ScrollbackLog {
    return this.transport?.remote.scrollback ?? ScrollbackLog.empty;
  }

  /**
   * How much of the input stream the current screen reflects (the server's echo acknowledgement), in input-stream
   * positions: every key byte and every resize is one position, counted from the session's start.
   */
  get echoAck(): number {
    return this.transport?.remote.echoAck ?? 0;
  }

  /** Where the screen that answered the acknowledged input had the cursor, when the ack came later (ScreenState.answeredCursor). */
  get answeredCursor(): AnsweredCursor | undefined {
    return this.transport?.remote.answeredCursor;
  }

  /** The transport's counters (resends, datagrams...), for TSMOSH_CLIENT_STATS_FILE; undefined before the socket opened. */
  get transportStats(): Readonly<TransportStats> | undefined {
    return this.transport?.stats;
  }

  /**
   * The echo-acknowledgement position at which the screen will reflect `byteCount` key bytes written now: where
   * the input stream will end after them. Exact, whatever state numbers the transport spends on acks.
   */
  inputPositionAfter(byteCount: number): number {
    return this.input.end + byteCount;
  }

  /** Input events this client still holds in memory, acknowledged ones included (for tests and diagnostics). */
  get heldInputEvents(): number {
    return this.input.loggedEvents;
  }

  get status(): SessionStatus {
    return this.computeStatus(this.runtime.now());
  }

  /** Sends keystrokes (raw bytes as the terminal produced them). Reliable and in order. */
  write(bytes: Uint8Array | string): void {
    if (this.exitInfo !== undefined || this.closingSince !== undefined) return;
    const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    if (data.length === 0) return;
    this.pushInput({ kind: 'keys', bytes: data });
  }

  /**
   * Tells the server what the user's terminal answered at start-up (terminal-probe.ts), so it answers the program's
   * capability queries as that terminal would. Reliable and in order with the keys, like them.
   */
  reportTerminal(capabilities: TerminalCapabilities): void {
    if (this.exitInfo !== undefined || this.closingSince !== undefined) return;
    this.pushInput({ kind: 'terminal', capabilities });
  }

  resize(cols: number, rows: number): void {
    checkSize(cols, rows);
    if (this.exitInfo !== undefined || this.closingSince !== undefined) return;
    if (cols === this.size.cols && rows === this.size.rows) return;
    this.size = { cols, rows };
    this.pushInput({ kind: 'resize', cols, rows });
  }

  /** Forces a fresh UDP source port now, as if the network had changed. */
  async changeSourcePort(): Promise<void> {
    await this.endpoint?.hopPort(this.runtime.now());
  }

  /**
   * Ends the session: the shutdown handshake with the server, waiting for its acknowledgement at most
   * SHUTDOWN_GRACE_MS, and resolves when the session has exited with reason 'user'.
   */
  close(): Promise<SessionExit> {
    if (this.exitInfo !== undefined) return this.exited;
    if (this.closingSince === undefined) {
      const now = this.runtime.now();
      this.closingSince = now;
      if (this.transport === undefined) {
        this.finish('user', 'tsmosh: exiting on user request.');
      } else {
        this.transport.startShutdown(now);
        this.pump(now);
      }
    }
    return this.exited;
  }

  /**
   * Ends the session at once without a word to the server, which is known to be gone (session-watch.ts): exits with
   * reason 'server-gone' and `message`.
   */
  abandon(message: string): void {
    this.finish('server-gone', message);
  }

  private async start(): Promise<void> {
    const { host, port } = this.options;
    const address = await this.runtime.resolveHost(host);
    if (this.exitInfo !== undefined) return;
    const serverAddress: PeerAddress = { host: address, port };
    const random = (length: number): Uint8Array => this.runtime.random(length);
    const connection = new Connection({
      role: 'client',
      key: this.key,
      random,
      // Clock-derived, so a client restarted with the same key never reuses a nonce (and the server's replay
      // window accepts it).
      initialSeq: clockDerivedInitialSeq(this.runtime.wallClockMs()),
      ...(this.options.initialRttMs !== undefined && Number.isFinite(this.options.initialRttMs) && this.options.initialRttMs > 0
        ? { initialRttMs: this.options.initialRttMs }
        : {}),
      serverAddress,
    });
    this.connection = connection;
    this.transport = new Transport<InputStream, ScreenState>({
      connection,
      initialLocal: InputStream.empty(),
      initialRemote: ScreenState.zero(),
      // The client's departures from the default timing (no collection interval, the echo ack's hold), stated once.
      timing: TSMOSH_CLIENT_TIMING,
    });
    // Always, even with nothing to forward: the server learns at once that this client serves no agent or -R
    // connections, so such connections on the host fail at once instead of waiting for it.
    const forwarding = new ClientForwarding(this.options.forwarding ?? {}, (text) => this.showNotice(text));
    this.forwarding = forwarding;
    await forwarding.listen();
    // The channels start from the connection's round-trip guess (the SSH login's, already checked there).
    const channels = forwarding.endpointFor({ maxPacketBytes: connection.channelPacketBytes(), initialRttMs: connection.rtt.srtt, wake: () => this.pumpSoon() });
    this.channels = channels;
    connection.channelSink = (payload, now) => channels.receive(payload, now);
    this.endpoint = await this.runtime.openCarrier({
      mode: this.options.transport ?? 'auto',
      serverAddress,
      tcpPort: this.options.tcpPort ?? port,
      listener: (bytes, from) => this.onDatagram(bytes, from),
      now: this.runtime.now(),
      clock: () => this.runtime.now(),
    });
    if (this.exitInfo !== undefined) {
      await this.endpoint.close();
      return;
    }
    const now = this.runtime.now();
    this.transport.setLocal(this.windowed(this.transport), now);
    if (this.closingSince !== undefined) this.transport.startShutdown(now);
    this.pump(now);
  }

  private pushInput(event: Parameters<InputStream['append']>[0]): void {
    // Without the prefix the server has acknowledged (mosh's rationalize_states): kept whole, every key of a long
    // session stayed in memory, about 230 bytes each (docs/benchmarks-journal.md, "The client's memory over a long session").
    const acked = this.transport?.acknowledgedLocal;
    this.input = (acked === undefined ? this.input : this.input.subtract(acked)).append(event);
    if (this.transport === undefined) return; // start() hands the whole stream over once the socket is open
    const now = this.runtime.now();
    // The user's own input: someone waits for its answer (a second copy a few ms later on a lossy link).
    this.transport.setLocal(this.windowed(this.transport), now, { awaited: true });
    this.pump(now);
  }

  /**
   * The part of the input the transport may carry now: all of it while it fits the window beyond what the server
   * acknowledged (typing, always), else a prefix (a paste goes a window at a time; input-window.ts).
   */
  private windowed(transport: Transport<InputStream, ScreenState>): InputStream {
    const limit = this.inputWindow.limit(transport.acknowledgedLocal.end, this.input.end, transport.stats.resends);
    // Never less than the transport already holds: a window that shrank (a resend) must not take back input that may
    // already be on its way; the transport's states only grow.
    return this.input.prefix(Math.max(limit, transport.local.end));
  }

  /** After an acknowledgement: input held back beyond the window goes as far as the window now admits. */
  private slideInputWindow(transport: Transport<InputStream, ScreenState>, now: number): void {
    if (transport.local.end >= this.input.end) return;
    const offered = this.windowed(transport);
    if (offered.end !== transport.local.end) transport.setLocal(offered, now);
  }

  /** A datagram from the carrier; whether it was this session's (authentic), which the carrier's UDP/TCP choice needs. */
  private onDatagram(bytes: Uint8Array, from: PeerAddress): boolean {
    const transport = this.transport;
    if (transport === undefined || this.exitInfo !== undefined) return false;
    const now = this.runtime.now();
    const historyBefore = transport.remote.scrollback.end;
    const acceptedBefore = this.connection?.stats.datagramsAccepted ?? 0;
    clientTrace?.mark('received', bytes.length);
    transport.receive(bytes, from, now);
    if (transport.takePeerRestart() !== undefined) {
      // Before the next tick, whose diff from the new process's initial state (position 0) our trimmed input cannot make.
      this.finish('server-gone', SERVER_RESTARTED_MESSAGE);
      return true;
    }
    this.slideInputWindow(transport, now);
    if (transport.remoteNum !== this.lastRemoteNum) {
      clientTrace?.mark('state');
      this.lastRemoteNum = transport.remoteNum;
      // A state that brought a window's worth of history means more is held back until the server hears our ack
      // (server session.ts, logLinesPerState): acknowledge now rather than after the ack delay.
      // The acknowledgement leaves before the screen is handed on: a text client writes the window's lines out first,
      // which took 12-18 ms a window on a loaded machine (TSMOSH_TRACE of `seq 1 30000` into a pipe), all of it in
      // the server's wait for the next window.
      if (transport.remote.scrollback.end - historyBefore >= HISTORY_CATCH_UP_LINES) {
        transport.acknowledgeNow(now);
        this.sendDue(now);
      }
      // The state number lets a front end tell the blank initial state (0) from the server's first real one.
      this.emit('screen', transport.remote.framebuffer, transport.remoteNum);
    }
    this.pump(now);
    return (this.connection?.stats.datagramsAccepted ?? 0) > acceptedBefore;
  }

  /** Sends what the transport has due now (a frame, a resend, an acknowledgement). */
  private sendDue(now: number): void {
    const transport = this.transport;
    const endpoint = this.endpoint;
    if (transport === undefined || endpoint === undefined || this.exitInfo !== undefined) return;
    const datagrams = transport.tick(now);
    // Marked before the send: a datagram to an IP literal leaves inside it, and the server may log its arrival first.
    if (datagrams.length > 0) clientTrace?.mark('sent');
    for (const datagram of datagrams) endpoint.send(datagram.bytes, datagram.to, now);
  }

  /** One loop turn: send what the core wants sent, decide whether we are done, re-arm the one timer. */
  private pump(now: number): void {
    const transport = this.transport;
    const endpoint = this.endpoint;
    if (transport === undefined || endpoint === undefined || this.exitInfo !== undefined) return;
    this.sendDue(now);
    // Forwarded streams take what is left after the keystrokes.
    if (this.channels !== undefined) {
      for (const packet of this.channels.poll(now)) {
        const datagram = this.connection!.sendChannelPacket(packet, now);
        if (datagram !== undefined) endpoint.send(datagram.bytes, datagram.to, now);
      }
    }
    // Before the status: a move to TCP decided here shows in this turn's status.
    try {
      void endpoint.maintain(now, transport.lastRoundTripSuccessAt)?.catch(() => undefined);
    } catch {
      // Ignored as when maintain() was async (its throw a rejection): the next pump tries again.
    }

    if (transport.counterpartyShutdown && this.closingSince === undefined) {
      this.remoteShutdownSeenAt ??= now;
      // Our acknowledgement of the server's shutdown has to leave before we go, or the server waits it out.
      if (transport.counterpartyShutdownAckSent || now >= this.remoteShutdownSeenAt + REMOTE_SHUTDOWN_ACK_GRACE_MS) {
        const ending = transport.remote.ending;
        this.finish('remote-exit', describeEnding(ending), ending);
        return;
      }
    }
    if (this.closingSince !== undefined) {
      if (transport.shutdownAcknowledged || transport.counterpartyShutdown) {
        this.finish('user', 'tsmosh: exiting on user request.');
        return;
      }
      if (transport.shutdownTimedOut || now >= this.closingSince + SHUTDOWN_GRACE_MS) {
        this.finish('user', 'tsmosh: exiting on user request (the server did not acknowledge; it will time out).');
        return;
      }
    }
    const heardAt = this.connection!.lastHeardAt;
    if (heardAt === undefined && now >= this.startedAt + this.firstContactTimeoutMs) {
      this.finish(
        'network-timeout',
        this.options.transport === 'tcp'
          ? `tsmosh: no reply from the server at ${this.options.host} on TCP port ${this.endpoint?.tcpPort}; check the key, and that TCP port ${this.endpoint?.tcpPort} is open on the server's firewall.`
          : endpoint.triedTcp
            ? `tsmosh: no reply from the server at ${this.options.host} on UDP port ${this.options.port} nor TCP port ${endpoint.tcpPort}; check the key, and that one of them is open on the server's firewall.`
            : `tsmosh: no reply from the server at ${this.options.host} on UDP port ${this.options.port}; check the key, and that UDP port ${this.options.port} is open on the server's firewall (or TCP port ${endpoint.tcpPort}, with --transport=auto or tcp).`,
      );
      return;
    }
    if (heardAt !== undefined && this.networkTimeoutMs !== undefined && now >= heardAt + this.networkTimeoutMs) {
      this.finish('network-timeout', `tsmosh: no contact with the server for ${formatDuration(now - heardAt)}; giving up.`);
      return;
    }
    this.emitStatusIfChanged(now);
    this.arm(now, transport, endpoint);
  }

  private arm(now: number, transport: Transport<InputStream, ScreenState>, endpoint: ClientCarrier): void {
    let wake = Math.min(transport.nextWakeup(now), endpoint.nextMaintenanceAt(now, transport.lastRoundTripSuccessAt), this.channels?.nextWakeup(now) ?? Infinity);
    if (this.notice !== undefined && this.notice.at + FORWARD_NOTICE_MS > now) wake = Math.min(wake, this.notice.at + FORWARD_NOTICE_MS);
    const noticeEndsAt = endpoint.current.since + CARRIER_NOTICE_MS;
    if (endpoint.stats.switches > 0 && noticeEndsAt > now) wake = Math.min(wake, noticeEndsAt);
    const heardAt = this.connection!.lastHeardAt;
    if (heardAt === undefined) wake = Math.min(wake, this.startedAt + this.firstContactTimeoutMs);
    else if (this.networkTimeoutMs !== undefined) wake = Math.min(wake, heardAt + this.networkTimeoutMs);
    // Status: when the server turns silent, then once a second while it stays silent.
    const contactBase = heardAt ?? this.startedAt;
    const silentAt = contactBase + (heardAt === undefined ? NOTHING_RECEIVED_NOTICE_MS : SERVER_SILENT_AFTER_MS);
    const nextShownSecond = contactBase + (Math.floor((now - contactBase) / STATUS_REFRESH_MS) + 1) * STATUS_REFRESH_MS;
    wake = Math.min(wake, now < silentAt ? silentAt : nextShownSecond);
    if (this.closingSince !== undefined) wake = Math.min(wake, this.closingSince + SHUTDOWN_GRACE_MS);
    if (this.remoteShutdownSeenAt !== undefined) wake = Math.min(wake, this.remoteShutdownSeenAt + REMOTE_SHUTDOWN_ACK_GRACE_MS);
    this.timer.arm(now, wake);
  }

  /** A pump on the next turn of the event loop, once however often asked (socket events of forwarded streams). */
  private pumpSoon(): void {
    if (this.pumpQueued || this.exitInfo !== undefined) return;
    this.pumpQueued = true;
    this.runtime.soon(() => {
      this.pumpQueued = false;
      this.pump(this.runtime.now());
    });
  }

  private showNotice(text: string): void {
    this.notice = { text, at: this.runtime.now() };
    this.emit('notice', text);
    if (this.transport !== undefined && this.endpoint !== undefined) this.emitStatusIfChanged(this.notice.at);
  }

  /** -L ports this client listens on (ssh's -L; for tests and embedders that asked for port 0). */
  get forwardedLocalPorts(): number[] {
    return this.forwarding?.localPorts ?? [];
  }

  private computeStatus(now: number): SessionStatus {
    const heardAt = this.connection?.lastHeardAt;
    const lastContactAgoMs = Math.max(0, now - (heardAt ?? this.startedAt));
    const rtt = this.connection?.rtt;
    return {
      everHeard: heardAt !== undefined,
      connected: heardAt !== undefined && lastContactAgoMs < SERVER_SILENT_AFTER_MS,
      lastContactAgoMs,
      srttMs: rtt?.hasSample ? rtt.srtt : undefined,
      estimatedRttMs: rtt?.hasSample || this.options.initialRttMs !== undefined ? rtt?.srtt : undefined,
      localPort: this.endpoint?.localPort,
      carrier: this.endpoint?.current.kind ?? (this.options.transport === 'tcp' ? 'tcp' : 'udp'),
      carrierSinceMs: this.endpoint?.stats.switches ? now - this.endpoint.current.since : undefined,
      tcpPort: this.options.tcpPort ?? this.options.port,
      notice: this.notice !== undefined && now - this.notice.at < FORWARD_NOTICE_MS ? this.notice.text : undefined,
    };
  }

  private emitStatusIfChanged(now: number): void {
    const status = this.computeStatus(now);
    // Whole seconds are all a person reads, so the event fires on a change of state or of the shown second.
    // Compared field by field: this runs at every pump (each key, each frame), and the string key it built each time
    // was 5 % of a pump's time in a CPU profile of an Enter-heavy session (docs/benchmarks-journal.md, "The answer's way out").
    const shown: ShownStatus = {
      everHeard: status.everHeard,
      connected: status.connected,
      silentSecond: status.connected ? 0 : Math.floor(status.lastContactAgoMs / 1000),
      carrier: status.carrier,
      carrierNotice: status.carrierSinceMs !== undefined && status.carrierSinceMs < CARRIER_NOTICE_MS,
      notice: status.notice,
    };
    const last = this.lastShownStatus;
    if (
      last !== undefined &&
      last.everHeard === shown.everHeard &&
      last.connected === shown.connected &&
      last.silentSecond === shown.silentSecond &&
      last.carrier === shown.carrier &&
      last.carrierNotice === shown.carrierNotice &&
      last.notice === shown.notice
    ) {
      return;
    }
    this.lastShownStatus = shown;
    this.emit('status', status);
  }

  private finish(reason: ExitReason, message: string, ending?: SessionEnding): void {
    if (this.exitInfo !== undefined) return;
    const exit: SessionExit = ending === undefined ? { reason, message } : { reason, message, ending };
    this.exitInfo = exit;
    this.forwarding?.close(message);
    this.timer.cancel();
    const endpoint = this.endpoint;
    void (endpoint ? endpoint.close() : Promise.resolve()).then(() => {
      this.emit('exit', exit);
      this.resolveExited(exit);
    });
  }
}

/** The parts of a SessionStatus a person sees change (the status line's state, its whole seconds, the notices). */
interface ShownStatus {
  readonly everHeard: boolean;
  readonly connected: boolean;
  readonly silentSecond: number;
  readonly carrier: SessionStatus['carrier'];
  readonly carrierNotice: boolean;
  readonly notice: string | undefined;
}

/** Starts a session with a tsmosh server; see ConnectOptions. Throws at once on a malformed key, port or size. */
export function connect(options: ConnectOptions): ClientSession {
  return new ClientSession(options);
}

/** The one line shown when the server ends the session, from the reason its final state carries (if any). */
export function describeEnding(ending: SessionEnding | undefined): string {
  if (ending === undefined) return 'tsmosh: the remote command exited.';
  switch (ending.kind) {
    case 'command-exited':
      if (ending.signal !== undefined) {
        // SIGKILL out of nowhere is, on Linux, most often the out-of-memory killer: say where to look.
        const hint = ending.signal === 'SIGKILL' ? ' (if nobody killed it, likely the out-of-memory killer: see `dmesg` on the server)' : '';
        return `tsmosh: the session's command was killed by ${ending.signal}${hint}.`;
      }
      return ending.exitCode === 0 ? 'tsmosh: the remote command exited.' : `tsmosh: the remote command exited with status ${ending.exitCode}.`;
    case 'taken-over':
      return `tsmosh: this session was taken over by another client (at ${ending.by}); it goes on there.`;
    case 'ended':
      return `tsmosh: the session ended: ${ending.reason}.`;
  }
}

/** "7 seconds", "1:05", "1:00:05": mosh's way of showing how long the link has been quiet. */
export function formatDuration(ms: number): string {
  const total = Math.floor(ms / 1000);
  if (total < 60) return `${total} second${total === 1 ? '' : 's'}`;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${seconds}` : `${minutes}:${seconds}`;
}

function checkSize(cols: number, rows: number): void {
  if (!isScreenSize(cols, rows)) {
    throw new RangeError(
      `tsmosh: window size must be integers from 1x1 to ${MAX_SCREEN_COLS}x${MAX_SCREEN_ROWS} (the wire's limit), got ${String(cols)}x${String(rows)}`,
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
