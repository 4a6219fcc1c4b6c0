import { constants as osConstants } from 'node:os';
import {
  Connection,
  DueTimer,
  clockDerivedInitialSeq,
  SessionKey,
  Transport,
  type ConnectionStats,
  type DueTimerFunctions,
  type OutgoingDatagram,
  type PeerRestart,
  samePeerAddress,
  type PeerAddress,
  type TransportTiming,
  ECHO_ACK_TIMEOUT_MS,
  TSMOSH_SERVER_TIMING,
} from '@tsmosh/protocol';
import { InputStream, isScreenSize, ScreenState, latestNotificationGeneration, type Framebuffer, type Notification, type ScrollbackLog, type SessionEnding, type TerminalCapabilities } from '@tsmosh/terminal';
import { ServerForwarding, type ChannelEndpoint } from '@tsmosh/forward';
import { ServerError } from './errors.js';
import { LOG_BYTES_PER_STATE, LOG_LINES_PER_STATE_MAX, historyHeld, historyWindowBase, historyWindowEnd } from './history-window.js';
import type { MirrorStats } from './headless-mirror.js';
import { NETWORK_TIMEOUT_ENV, NO_CLIENT_TIMEOUT_MS } from './session-timeouts.js';
// How long a session lives without a client has its own module; re-exported for the code that imports it from here.
export { NO_CLIENT_TIMEOUT_MS, UNNAMED_SESSION_IDLE_TIMEOUT_MS, NO_CLIENT_TIMEOUT_ENV, NETWORK_TIMEOUT_ENV, parseNetworkTimeout, parseNoClientTimeout } from './session-timeouts.js';
import { serverTrace } from './latency-trace.js';
import { InputPacer, pacedEvents, type PacedEvent } from './input-pacing.js';
import { chaffRandom } from './random-pool.js';
import { ANSWER_WINDOW_MS } from './answer-output.js';
import { FloodTail } from './flood-tail.js';
import { cellTextOf, cursorAwayFromKey, cursorCellOf, ECHO_WATCH_MS, sameCell, showsEcho, typedKeyOf, type CursorCell, type TypedKey } from './typed-echo.js';
import { answerableByCursor, MovedCursorWatch } from './moved-cursor-answer.js';
import { onlyInputModesChanged } from './unseen-change.js';
import { CARRIED_ACK_MAX_MS, CarriedAck, carriableKey } from './carried-ack.js';

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
 * The echo acknowledgement tells the client's prediction engine "this screen shows the program's response to your
 * input up to here". A keystroke that produces no output at all (a password prompt, vim's normal mode) is
 * acknowledged after this long (ms): mosh's ECHO_TIMEOUT, long enough for a program to answer a key, short enough
 * that a hidden guess is judged within one round trip plus a blink.
 */
export const ECHO_TIMEOUT_MS = ECHO_ACK_TIMEOUT_MS;
/**
 * The longest (ms after the key is written) a typed key's acknowledgement waits while the screen has the cursor away
 * from the key's row without its echo (typed-echo.ts, cursorAwayFromKey): tmux beside a flood leaves such screens
 * between its writes, and the client judged the key's cursor guess wrong on one and made the next key wait a round
 * trip. Blocked, tmux draws again only from its 100 ms redraw timer (the echoes of the traced blocked first keys came
 * 42–91 ms after the key reached the pty): one interval and half another. Past it the key is acknowledged whatever the
 * screen, so a program that keeps the cursor elsewhere (and never echoes) cannot hold prediction for longer.
 */
export const ECHO_AWAY_MAX_MS = 150;
/**
 * A screen with the cursor away whose output has been quiet this long (ms) is the program's answer after all (vim's
 * `j` moves the cursor a row and stops): the key is acknowledged as one with no answer is, ECHO_TIMEOUT_MS after the
 * program's last write. tmux redrawing beside a flood writes every 0.2–2 ms.
 */
export const ECHO_AWAY_QUIET_MS = ECHO_TIMEOUT_MS;
/**
 * A keystroke after which the program did write is acknowledged once its output has been quiet this long (ms), so
 * the ack rides on the echo itself instead of a frame 50 ms later. It is also how long the output of a large answer
 * (a listing, a flood's tail after Ctrl-C) and the last unpaced frame of any answer wait before they are sent
 * (responseSettleAt), so it is kept short: in the shell traces measured the pty chunks of one burst reached the
 * mirror within ~1.3 ms of each other; 2 ms keeps those together. 4 ms cost 2 ms on every echo, Enter and Ctrl-C for
 * nothing the window does not cover.
 */
export const ECHO_SETTLE_MS = 2;
/**
 * The settle (ms) after a typed character (printable, or backspace): a shell, an editor or a prompt echoes it in one
 * write, so there is no burst to wait for, and the 2 ms (3 with the timer's lateness) were half of a loopback
 * keystroke (docs/benchmarks-journal.md, latency-trace). Should a program echo in two writes, the second follows in a frame
 * of its own (MAX_RESPONSE_FRAMES).
 */
export const TYPED_ECHO_SETTLE_MS = 0;
/**
 * Minimum spacing of screen snapshots (ms). A pty in full flood fires many frames per millisecond; a snapshot walks
 * the whole mirror, and the transport sends at most one frame per 20 ms anyway. 8 ms is mosh's collection interval.
 */
export const SNAPSHOT_MIN_INTERVAL_MS = 8;

/**
 * Output that settles within this long (ms) of a keystroke reaching the pty counts as that keystroke's answer (the
 * command Enter ran and the prompt after it, the prompt Ctrl-C brought back after a flood): each such settled burst is
 * sent at once instead of waiting for the frame pacing (≈ SRTT/2, 50 ms at 100 ms RTT), so an echo sent on its own a
 * few ms before the command's output does not make that output wait out an interval. mosh's ECHO_TIMEOUT (50 ms): an
 * answer slower than that is output like any other.
 */
export const RESPONSE_WINDOW_MS = ANSWER_WINDOW_MS;
/**
 * At most this many frames per keystroke skip the pacing. A pipeline's answer comes in four or five writes (Enter's
 * echo with bash's bracketed-paste reset, each process's output, bash's bracketed-paste switch, the prompt), each
 * sent as a frame of its own while the answer is small; the last frame is kept for whatever is left once it settles
 * (responseSettleAt). With 3 frames, the lossy-link bench's `echo lossy link | cut -c 1-5` sent its prompt a pacing
 * interval (20 ms plus the timer's lateness) after the rest, on every such Enter. A program that keeps writing in
 * short bursts after a key (a progress line) is paced again after that, as output nobody is waiting for. The client
 * draws as many back to back (FRAME_BURST).
 */
export const MAX_RESPONSE_FRAMES = 6;

/**
 * A received input state that adds at least this many positions (≈ bytes) is acknowledged at once instead of after
 * the ack delay (100 ms): it is a window of a paste (the client's input-window.ts), and the client sends the next
 * window only when it hears this one acknowledged. A program that echoes acknowledges with its echo anyway; one that
 * does not (a paste into `cat > file` with echo off, a password manager) waited the whole ack delay per window.
 * Typing adds a few bytes per state; 512 is half the smallest window (one 1 KB chunk).
 */
const INPUT_WINDOW_ACK_BYTES = 512;

/**
 * `failed`: an unexpected error inside this session; it is ended so the daemon and other sessions carry on.
 * `network-timeout`: no client heard for the idle timeout. `client-exit`: the client quit (Ctrl-^ .), as in mosh.
 */
export type SessionEndReason = 'command-exited' | 'no-client' | 'network-timeout' | 'killed' | 'client-exit' | 'failed';

/** What the session needs from its pty: the PtyHost (node-pty + HeadlessMirror), or a stand-in in unit tests. */
export interface SessionPty {
  readonly pid: number;
  write(bytes: Uint8Array): void;
  resize(cols: number, rows: number): void;
  /** The mirror's screen now. Called only when the screen may have changed. */
  snapshot(): Framebuffer;
  /**
   * The cursor and the character under it on the screen `snapshot()` would return now, read without taking one (a
   * snapshot walks the whole screen; this is asked at every frame a typed key's answer may be in). Absent (a
   * stand-in): read from `snapshot()`.
   */
  cursorCell?(): CursorCell;
  /** The character at (x, y) on that screen, read the same way; '' outside it. */
  cellText?(x: number, y: number): string;
  /**
   * True while a screen the pty offered (onFrame) since the last `snapshot()` is held back behind a newer read that
   * is mid-write: `snapshot()` would return an older one than offered. The pty offers again when the hold ends (at
   * most its bound later). Absent: never.
   */
  readonly offerHeldBack?: boolean;
  /**
   * True while output read from the program is not in the screen offered yet, or will be read at a time the host has
   * set (the mirror still parsing; a flood read at intervals): the program has not gone quiet (flood-tail.ts). Absent:
   * never.
   */
  readonly outputPending?: boolean;
  /** The lines that have left the top of the screen (absent: the stand-in keeps no history). */
  scrollback?(): ScrollbackLog;
  /** Called when the mirrored screen may have changed (a frame the pty host judged complete). */
  onFrame(listener: () => void): void;
  onExit(listener: (exitCode: number, signal: number | undefined) => void): void;
  /** Ends the program (SIGHUP, as a closed terminal would) and frees the pty. Idempotent. */
  dispose(): void;
  /**
   * Whether the output read since the last `write` is still small enough to answer it (answer-output.ts: the pty
   * host's AnswerWatch, the one place that judges it). Absent (a stand-in): every answer counts as small.
   */
  readonly answerIsSmall?: boolean;
  /** The mirror's untrusted-input counters, where there is a mirror (PtyHost has one), for the daemon's status. */
  readonly mirror?: { readonly stats: MirrorStats };
  /** What the client's terminal answered at start-up; the mirror answers the program's queries from it. */
  setClientTerminal?(capabilities: TerminalCapabilities): void;
  /**
   * Stop reading the program's output before the scrollback log could reach `limit` (a log end; undefined: no
   * limit): the program then waits (PtyHost.setHistoryLimit). Absent: the stand-in never waits.
   */
  setHistoryLimit?(limit: number | undefined): void;
}

/** Input written to the pty whose echo is not acknowledged yet. */
interface PendingEcho {
  /** The input-stream position just past it. */
  readonly position: number;
  readonly writtenAt: number;
  readonly settleMs: number;
  /**
   * Typed characters only: the cursor and the character under it (the key's cell, typed-echo.ts) when the key was
   * written, or when the echo before it was acknowledged. Output counts as this key's answer only once the mark has
   * changed: a program that is writing anyway (Claude Code streaming an answer while the user types its next prompt)
   * was acknowledged on its unrelated output, before the echo, and the client judged every guess of the prompt wrong.
   */
  mark?: CursorCell;
  /** The newest typed character among these keys, if its echo can be recognised (typedKeyOf). */
  key?: TypedKey;
  /** When its acknowledgement was first held for a cursor away from the key's row (awayHolds; for the trace). */
  awayHeldAt?: number;
  /** Keys that are not typed characters (Ctrl-B o): answered too once the cursor rests on another row (moved-cursor-answer.ts). */
  moved?: MovedCursorWatch;
  /** Output before this (ms) cannot be the answer: the key had not been written, or an earlier key's echo. */
  answerAfter: number;
  /** An Enter alone: once its answer settles, its acknowledgement may wait for the next answer frame (carried-ack.ts). */
  readonly carriable: boolean;
}

export interface SessionInit {
  readonly key: SessionKey;
  readonly pty: SessionPty;
  /** Sends one datagram; the owner routes it to its UDP socket. */
  readonly send: (datagram: OutgoingDatagram) => void;
  /** Idle timeout: client silence (ms) after which the session ends; undefined = never. */
  readonly networkTimeoutMs?: number;
  /** Called when a client key stops routing to this session (retired, expired, or the session ended). */
  readonly onLinkClosed?: (linkId: string) => void;
  /**
   * Whether the client quitting (its transport shutdown) ends the session, as in mosh. Default true. Named sessions
   * pass false: they outlive every client however it leaves (quit, SIGHUP of its terminal, crash).
   */
  readonly endsWhenClientQuits?: boolean;
  /**
   * Keep every line (`new --keep-every-line`, asked by a client that writes text, client text-output.ts): the
   * program waits while its client has not taken KEEP_EVERY_LINE_AHEAD lines of the history, rather than the log
   * dropping lines the client never got. Default false: a flood goes on and the history keeps its last lines.
   */
  readonly keepEveryLine?: boolean;
  readonly noClientTimeoutMs?: number;
  readonly log?: (line: string) => void;
  /** Monotonic milliseconds; the only clock the session reads. */
  readonly clock?: () => number;
  /** The one timer the session keeps; tests pass a manual one alongside a manual clock. */
  readonly timer?: SessionTimer;
  /** Whether the session has an agent socket (its SSH_AUTH_SOCK) for clients with -A to serve. */
  readonly agentSocket?: boolean;
  /** Randomness for the links' chaff; by default the process's pool of node:crypto bytes (random-pool.ts). */
  readonly random?: (length: number) => Uint8Array;
  /** Wall-clock ms, for the links' clock-derived first sequence numbers (docs/protocol.md §3); Date.now by default. */
  readonly wallClockMs?: () => number;
  /** The links' transport policy over the daemon's own (TSMOSH_TIMING with TSMOSH_SERVER_TIMING): for tests that switch a rule off. */
  readonly transportTiming?: Partial<TransportTiming>;
  /** false: a flood's last frame waits for its pacing interval, as before flood-tail.ts (tests compare the two). */
  readonly floodTail?: boolean;
  /** false: a control key is answered only by its output going quiet or the timeout, as before moved-cursor-answer.ts (tests compare the two). */
  readonly movedCursorAnswer?: boolean;
}

/** The platform timer a session keeps its one wake-up with (setTimeout, or a test's ManualTimer). */
export type SessionTimer = DueTimerFunctions;

const realTimer: SessionTimer = {
  set: (callback, delayMs) => setTimeout(callback, delayMs),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * One client's view of the session: its own key, Connection and Transport. A session has one current link; an
 * attach adds a pending link under a fresh key, which becomes current when its client is first heard from. The link
 * it replaces retires: it tells its client the session was taken over and is dropped once that is acknowledged or
 * times out. Input never reaches the pty from anything but the current link.
 */
interface ClientLink {
  readonly id: string;
  readonly key: SessionKey;
  readonly transport: Transport<ScreenState, InputStream>;
  /** Forwarded streams (agent, -L, -R) of this link's client, beside the screen on the same Connection. */
  channels: ChannelEndpoint;
  role: 'current' | 'pending' | 'retiring';
  /** The input state whose events have all been taken: written to the pty or waiting in the session's pacer (current link only). */
  processedInput: InputStream;
  /** Input written to the pty and not yet echo-acknowledged, oldest first. */
  pendingEchoes: PendingEcho[];
  /**
   * The newest keystrokes written to the pty and the frames already sent unpaced as their answer
   * (RESPONSE_WINDOW_MS). Output is counted in frames from the pty (Session.outputFrames), not by time: two of them
   * can share a millisecond, the second then unsent. `answeredOutputs`: the count when the keys were written, then
   * when the last answer frame went. `unseenOutputs`: the count when a write that changed only input modes was held
   * for the settle (unseen-change.ts), so that the next write goes at once with it.
   */
  response:
    | { readonly writtenAt: number; frames: number; answeredOutputs: number; unseenOutputs?: number }
    | undefined;
  /**
   * The newest typed key (typed-echo.ts), watched until its echo shows or until `until` (ms): the frame that shows it
   * is sent at once, even when the key's unpaced frames were spent before it existed or it was acknowledged on a
   * screen without it.
   */
  echoWatch: { readonly key: TypedKey; readonly until: number } | undefined;
  /** A frame showed the watched echo: the next step sends it unpaced. */
  echoShown: boolean;
  /** An Enter's acknowledgement decided and held for the answer frame that follows (carried-ack.ts). */
  readonly carriedAck: CarriedAck;
  /** Session clock (ms) when the link was made: a pending link that no client uses expires from here. */
  readonly createdAt: number;
  /**
   * The newest notification generation when the link was made: older notifications were delivered to an earlier
   * client (or to nobody) and are never sent on this link, so attaching never replays them.
   */
  notificationFloor: number;
  /** The last snapshot's notifications and this link's view of them, so filtering allocates only when they change. */
  notificationsSeen: { readonly from: readonly Notification[]; readonly shown: readonly Notification[] } | undefined;
  /**
   * This link's client writes text and asked to keep every line (`new --keep-every-line`, at the start or on an
   * attach): while it is current and has not quit, the program waits for it (limitHistory).
   */
  readonly keepEveryLine: boolean;
}

/**
 * A pending attach that no client has used within this long (ms) is dropped; the session and its current client are
 * untouched. The same 60 s as a new session's no-client timeout: the bootstrap is the same.
 */
export const PENDING_ATTACH_TIMEOUT_MS = NO_CLIENT_TIMEOUT_MS;

/**
 * Copies of the last frame to a client process replaced under the same key. Nothing resends it (the link now
 * serves the new process), so a few copies at once make it arrive on a lossy link: at 10 % loss, 3 copies all fail
 * one time in a thousand, and then the old client says so itself once its silence check runs.
 */
const REPLACED_CLIENT_FAREWELL_COPIES = 3;
/**
 * At most this many attaches may wait for their client at once (each holds a key and a transport). A ninth drops the
 * oldest; real use has one, from the login just made.
 */
const MAX_PENDING_ATTACHES = 8;
/**
 * After the command ended, the shutdown waits for its client to hold the whole history (shutdownAfterHistory), but
 * not longer than this (ms) without the client acknowledging more of it: a client gone silent is not waited for
 * (the shutdown's own retries then run out as before). At 256 lines per acknowledged state (history-window.ts) a
 * live client takes the daemon's 10,000 lines in 40 round trips, seconds even at 300 ms.
 */
const HISTORY_DRAIN_STALL_MS = 10_000;
/**
 * With keepEveryLine, lines the program may run ahead of what the client acknowledged (lines). Well below the log's
 * retention (SCROLLBACK_RETAINED_LINES, 10,000): reading stops only after a read, and one read of the pty is up to
 * 4 KiB (pty-drain.ts), up to a line a byte, so the log never drops a line the client lacks; and above a state's
 * window (256 lines, up to 2,048 short ones: history-window.ts), so the program keeps writing while a window is in
 * flight.
 */
export const KEEP_EVERY_LINE_AHEAD = 4096;
/** A session counts as attached (in `list`) while its client was heard within this long (ms): the client's
 * heartbeat is every 3 s, so 15 s tolerates a few lost datagrams without calling a live client gone. A text client's
 * program waits for it only so long too (limitHistory). */
export const ATTACHED_WITHIN_MS = 15_000;
/**
 * ms: a forwarded connection (agent, -R) is offered to the client only if it was heard within this long: two of its
 * 3 s heartbeats and a little. A client that vanished makes such connections fail within seconds, not hang.
 */
const FORWARD_PRESENT_WITHIN_MS = 7_000;

export class Session {
  /** The key the session was created with; attaches add others (see `linkIds`). */
  readonly key: SessionKey;
  /** The session's stable identity (its first key's ID): what `list` and `kill` use. */
  readonly sessionId: string;
  readonly ended: Promise<SessionEndReason>;
  readonly startedAt = new Date();
  private readonly links = new Map<string, ClientLink>();
  private current: ClientLink;
  private readonly pty: SessionPty;
  private readonly send: (datagram: OutgoingDatagram) => void;
  private readonly clock: () => number;
  private readonly random: (length: number) => Uint8Array;
  private readonly wallClockMs: () => number;
  private readonly transportTiming: Partial<TransportTiming> | undefined;
  private readonly log: (line: string) => void;
  private readonly onLinkClosed: (linkId: string) => void;
  private readonly startedAtMs: number;
  private networkTimeoutMs: number | undefined;
  private readonly noClientTimeoutMs: number;
  private endsWhenClientQuits: boolean;
  private detachLogged = false;
  private resolveEnded!: (reason: SessionEndReason) => void;
  private screenDirty = false;
  /** Session clock (ms) when the screen last went dirty: the change the next snapshot carries is this old. */
  private dirtySince = -Infinity;
  /** A client that holds a blank screen is waiting: the next step snapshots whatever the pacing (snapshotNow). */
  private snapshotForced = false;
  /** The program ended before any client was heard: the final state waits for the first one (beginShutdown). */
  private shutdownDeferred = false;
  /** The history limit last given to the pty (keepEveryLine); undefined: none. */
  private historyLimit: number | undefined;
  /**
   * The program ended and the shutdown waits for the client to hold the whole history (shutdownAfterHistory): the
   * acknowledged log end last seen, and when (session ms) it last grew.
   */
  private historyDrain: { ackEnd: number; progressAt: number } | undefined;
  private lastSnapshotAt = -Infinity;
  /** The pty's log end at the previous snapshot (history-window.ts historyHeld: how fast output runs). */
  private logEndAtSnapshot = 0;
  /** Session clock (ms) of the newest pty output the mirror has taken in. */
  private lastOutputAt = -Infinity;
  /** How many frames the pty has announced (a running count): what answer frames have covered (ClientLink.response). */
  private outputFrames = 0;
  /** The session's one timer, at its next wake-up (nextWakeup). */
  private readonly timer: DueTimer;
  private endReason: SessionEndReason | undefined;
  private commandExit: { exitCode: number; signal: string | undefined } | undefined;
  private killedBecause = '';
  private finished = false;
  private stepping = false;
  /** Input events taken from the client and not yet written, kept apart where the program would misread them together. */
  private readonly inputPacer = new InputPacer();
  /** Whether unsent output is a flood's tail that goes once the program is quiet (flood-tail.ts); undefined: off. */
  private readonly floodTail: FloodTail | undefined;
  private readonly movedCursorAnswer: boolean;
  private stepQueued = false;
  /** Agent and port forwarding: the channels of each link, the -R listeners, the agent socket's connections. */
  readonly forwarding: ServerForwarding;

  constructor(init: SessionInit) {
    this.key = init.key;
    this.sessionId = init.key.sessionIdHex;
    this.pty = init.pty;
    this.send = init.send;
    this.clock = init.clock ?? (() => performance.now());
    this.random = init.random ?? chaffRandom;
    this.wallClockMs = init.wallClockMs ?? (() => Date.now());
    this.transportTiming = init.transportTiming;
    this.floodTail = init.floodTail === false ? undefined : new FloodTail();
    this.movedCursorAnswer = init.movedCursorAnswer !== false;
    this.timer = new DueTimer(init.timer ?? realTimer, () => this.step());
    this.log = init.log ?? (() => {});
    this.onLinkClosed = init.onLinkClosed ?? (() => {});
    this.networkTimeoutMs = init.networkTimeoutMs;
    this.noClientTimeoutMs = init.noClientTimeoutMs ?? NO_CLIENT_TIMEOUT_MS;
    this.endsWhenClientQuits = init.endsWhenClientQuits ?? true;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
    this.startedAtMs = this.clock();
    this.forwarding = new ServerForwarding({
      clientPresent: () => this.clientPresent,
      // A client that was never heard may still be on its way (the bootstrap just printed its key); one heard from
      // says what it forwards in its first packets.
      clientExpected: () => this.endReason === undefined && (this.current.transport.connection.lastHeardAt === undefined || this.clientPresent),
      log: (line) => this.log(`session ${this.sessionId}: ${line}`),
      agentSocket: init.agentSocket ?? false,
    });
    this.current = this.makeLink(init.key, 'current', init.keepEveryLine ?? false);
    this.forwarding.setCurrent(this.current.id);
    this.pty.onFrame(() => {
      const now = this.clock();
      this.lastOutputAt = now;
      this.markDirty(now);
      this.outputFrames++;
      this.floodTail?.output(now, this.pty.outputPending === true);
      this.watchEcho(now);
      this.watchMovedCursor();
      this.step();
    });
    this.pty.onExit((exitCode, signal) => {
      const signalName = signal ? signalNameOf(signal) : undefined;
      this.log(`session ${this.sessionId}: command exited (code ${exitCode}${signalName ? `, ${signalName}` : ''})`);
      this.commandExit = { exitCode, signal: signalName };
      this.beginShutdown('command-exited');
    });
    this.step();
  }

  get pid(): number {
    return this.pty.pid;
  }

  /** Why the session ended (what its clients were told); undefined while it runs. */
  get ending(): SessionEnding | undefined {
    return this.endReason === undefined ? undefined : this.endingFor(this.endReason);
  }

  /** The screen as the session last snapshotted it: what its current client is being brought to. */
  get screen(): Framebuffer {
    return this.current.transport.local.framebuffer;
  }

  /** Input events the current client's link still holds in memory, consumed ones included (for tests and diagnostics). */
  get heldInputEvents(): number {
    return this.current.transport.remote.loggedEvents + this.current.processedInput.loggedEvents;
  }

  /** The echo acknowledgement the session has decided for its current client (an input-stream position). */
  get echoAck(): number {
    return this.current.transport.local.echoAck;
  }

  /** Where the current client was last heard from. */
  get clientAddress(): PeerAddress | undefined {
    return this.current.transport.connection.remoteAddress;
  }

  get lastHeardMsAgo(): number | undefined {
    const heard = this.current.transport.connection.lastHeardAt;
    return heard === undefined ? undefined : Math.max(0, this.clock() - heard);
  }

  /**
   * Whether the current client has been heard from recently (ATTACHED_WITHIN_MS) and has not quit: a client that left
   * with Ctrl-^ . is heard up to the moment it quits, and `list` right after must not call the session attached.
   */
  get attached(): boolean {
    const ago = this.lastHeardMsAgo;
    return !this.finished && ago !== undefined && ago < ATTACHED_WITHIN_MS && !this.current.transport.counterpartyShutdown;
  }

  /**
   * Whether the current client can serve a forwarded connection now: heard within FORWARD_PRESENT_WITHIN_MS and not
   * quit. Stricter than `attached`, so a connection to the agent socket after the client vanished fails in seconds.
   */
  get clientPresent(): boolean {
    const ago = this.lastHeardMsAgo;
    return !this.finished && this.endReason === undefined && ago !== undefined && ago < FORWARD_PRESENT_WITHIN_MS && !this.current.transport.counterpartyShutdown;
  }

  /** The ID of every key that currently routes to this session (current, pending and retiring links). */
  get linkIds(): string[] {
    return [...this.links.keys()];
  }

  /** Attaches still waiting for their client. */
  get pendingAttaches(): number {
    let count = 0;
    for (const link of this.links.values()) if (link.role === 'pending') count++;
    return count;
  }

  get idleTimeoutMs(): number | undefined {
    return this.networkTimeoutMs;
  }

  /** From now on the session outlives a client that quits (an unnamed session taken over by its ID, daemon.ts). */
  keepAfterClientQuits(): void {
    this.endsWhenClientQuits = false;
  }

  /** Changes how long client silence may last before the session ends (undefined = never). */
  setIdleTimeout(timeoutMs: number | undefined): void {
    this.networkTimeoutMs = timeoutMs;
    this.step();
  }

  /** The current client's datagram counters, including every kind of drop (docs/protocol.md). */
  get connectionStats(): ConnectionStats {
    return this.current.transport.connection.stats;
  }

  /**
   * Adds a client key (an attach). The key routes here at once, but the session changes nothing until a client is
   * heard from under it: then that client becomes current and the previous one is told it was taken over.
   */
  addClient(key: SessionKey, options: { readonly keepEveryLine?: boolean } = {}): void {
    if (this.finished || this.endReason !== undefined) {
      throw new ServerError('no-such-session', `tsmosh-server: session ${this.sessionId} is ending; start a new one`);
    }
    if (this.links.has(key.sessionIdHex)) throw new Error(`session ${this.sessionId}: key ${key.sessionIdHex} is already in use`);
    const pending = [...this.links.values()].filter((link) => link.role === 'pending');
    if (pending.length >= MAX_PENDING_ATTACHES) this.dropLink(pending[0]!);
    this.makeLink(key, 'pending', options.keepEveryLine ?? false);
    this.log(`session ${this.sessionId}: attach pending under key ${key.sessionIdHex}`);
    this.step();
  }

  /**
   * Feeds one datagram addressed to this session under the key `linkId` (default: the current client's). Never
   * throws: the Connection drops and counts bad ones, and a retired key's datagrams never reach the pty.
   */
  receive(bytes: Uint8Array, from: PeerAddress, linkId: string = this.current.id): void {
    if (this.finished) return;
    const link = this.links.get(linkId);
    if (link === undefined) return;
    const now = this.clock();
    serverTrace?.mark('received');
    const connection = link.transport.connection;
    const before = connection.remoteAddress;
    link.transport.receive(bytes, from, now);
    const restart = link.transport.takePeerRestart();
    if (restart !== undefined) this.serveRestartedClient(link, restart, before, now);
    const after = connection.remoteAddress;
    if (this.shutdownDeferred && link === this.current && after !== undefined) {
      // The client of a session whose program already ended: tell it now (a text client once it holds the history).
      this.shutdownDeferred = false;
      if (this.keepsEveryLine) this.shutdownAfterHistory(now);
      else link.transport.startShutdown(now);
    }
    if (link.role === 'pending' && connection.lastHeardAt !== undefined && this.endReason === undefined) {
      this.promote(link, after ?? from, now);
    } else if (link.role === 'current' && after !== undefined && !samePeerAddress(before, after)) {
      this.log(`session ${this.sessionId}: attached to client at ${after.host}:${after.port}`);
    }
    this.step(now);
  }

  /**
   * Ends the session: the client is told through the transport shutdown (with `why`, a short phrase for its user),
   * then the program is ended.
   */
  kill(why = 'the session was killed on the server (tsmosh-server kill)'): void {
    this.killedBecause = why;
    this.beginShutdown('killed');
  }

  private makeLink(key: SessionKey, role: ClientLink['role'], keepEveryLine: boolean): ClientLink {
    const connection = new Connection({
      role: 'server',
      key,
      random: this.random,
      initialSeq: clockDerivedInitialSeq(this.wallClockMs()),
    });
    const transport = new Transport<ScreenState, InputStream>({
      connection,
      initialLocal: ScreenState.zero(),
      initialRemote: InputStream.empty(),
      // The server's own timing (no probes, the client's delayed ack, the outage cadence): protocol timing.ts.
      timing: { ...TSMOSH_SERVER_TIMING, ...this.transportTiming },
    });
    const link: ClientLink = {
      id: key.sessionIdHex,
      key,
      transport,
      channels: this.channelsFor(key.sessionIdHex, connection),
      role,
      processedInput: InputStream.empty(),
      pendingEchoes: [],
      response: undefined,
      echoWatch: undefined,
      echoShown: false,
      carriedAck: new CarriedAck(),
      createdAt: this.clock(),
      // The first link is made before the program has printed anything: its floor is 0.
      notificationFloor: this.links.size === 0 ? 0 : this.currentNotificationGeneration(),
      notificationsSeen: undefined,
      keepEveryLine,
    };
    this.links.set(link.id, link);
    return link;
  }

  /** A fresh channel endpoint for a link, fed by its connection (its client process started anew: a new one too). */
  private channelsFor(linkId: string, connection: Connection): ChannelEndpoint {
    const channels = this.forwarding.endpointFor(linkId, { maxPacketBytes: connection.channelPacketBytes(), wake: () => this.stepSoon() });
    connection.channelSink = (payload, now) => channels.receive(payload, now);
    return channels;
  }

  /** A pending link's client spoke: it becomes current, and the one it replaces is told and retired. */
  private promote(link: ClientLink, from: PeerAddress, now: number): void {
    this.flushPacedInput(now);
    const previous = this.current;
    link.role = 'current';
    this.current = link;
    this.forwarding.setCurrent(link.id);
    this.detachLogged = false;
    const where = `${from.host}:${from.port}`;
    this.log(`session ${this.sessionId}: taken over by a client at ${where} (key ${link.id})`);
    if (previous.transport.connection.remoteAddress === undefined || previous.transport.counterpartyShutdown) {
      // Its client never spoke, or has already quit: nobody to tell.
      this.dropLink(previous);
    } else {
      previous.role = 'retiring';
      previous.transport.setLocal(previous.transport.local.withEnding({ kind: 'taken-over', by: where }), now);
      previous.transport.startShutdown(now);
    }
    this.snapshotNow();
  }

  /** A client that holds a blank screen: take the snapshot at once, so it gets the whole screen now, not at the next pty frame. */
  private snapshotNow(): void {
    this.markDirty(this.clock());
    this.snapshotForced = true;
  }

  private markDirty(now: number): void {
    if (this.screenDirty) return;
    this.screenDirty = true;
    this.dirtySince = now;
  }

  /**
   * When the dirty screen is next snapshotted (absolute ms): once the transport could send it (its collection interval
   * from when the screen went dirty, frame pacing, congestion budget), and at most once per SNAPSHOT_MIN_INTERVAL_MS.
   * A snapshot taken before then would only be replaced by a newer one before it could leave: in a flood that was
   * about three snapshots per 20 ms frame. An echo or an answer does not wait for this (advanceEchoAck forces it).
   */
  private snapshotDueAt(now: number): number {
    if (this.snapshotForced) return -Infinity;
    // The pty offers the screen again when its hold ends (at most MID_WRITE_MAX_HOLD_MS, write-boundary.ts): the
    // snapshot is taken then, rather than now of an older screen than the one offered.
    if (this.pty.offerHeldBack === true) return Infinity;
    return this.pacedSnapshotAt(now);
  }

  /** When the dirty screen could go (snapshotDueAt), whatever the pty holds. */
  private pacedSnapshotAt(now: number): number {
    return Math.max(this.lastSnapshotAt + SNAPSHOT_MIN_INTERVAL_MS, this.current.transport.newStateSendableAt(this.dirtySince, now));
  }

  /** When the dirty screen is a flood's tail that goes without waiting for its pacing (flood-tail.ts). */
  private floodTailDueAt(): number {
    return this.floodTail?.dueAt ?? Infinity;
  }

  /**
   * A flood's tail whose program has been quiet FLOOD_SETTLE_MS: its screen now, sent as soon as the congestion budget
   * allows instead of at the end of the frame interval (the transport's `outputEnded`). Not while the pty still has
   * output on its way to the screen or holds its offer back: the wait starts again from now.
   */
  private sendFloodTail(now: number): void {
    if (!this.screenDirty || this.floodTailDueAt() > now) return;
    if (this.pty.outputPending === true || this.pty.offerHeldBack === true) {
      serverTrace?.mark('flood-tail-waits', this.pty.offerHeldBack === true ? 'held' : 'pending');
      this.floodTail?.writing(now);
      return;
    }
    serverTrace?.mark('flood-tail');
    this.takeSnapshot(now, true);
    const transport = this.current.transport;
    transport.setLocal(transport.local, now, { complete: true, outputEnded: true });
  }

  /** Notifications up to this generation were for earlier clients (or nobody): a client arriving now never gets them. */
  private currentNotificationGeneration(): number {
    return latestNotificationGeneration(this.pty.snapshot().notifications);
  }

  /**
   * A client process started anew under this link's key (tsmosh-client re-run with the session's key, or a second
   * one started with it): the transport already serves it from scratch; here its input stream starts again at 0,
   * and the process it replaced, if it had another address, is told so in a last frame sealed with the same
   * sequence counter (no nonce is reused) and sent a few times, since nothing will resend it.
   */
  private serveRestartedClient(link: ClientLink, restart: PeerRestart<ScreenState>, previousAddress: PeerAddress | undefined, now: number): void {
    const connection = link.transport.connection;
    const current = connection.remoteAddress ?? previousAddress;
    const where = current === undefined ? 'an unknown address' : `${current.host}:${current.port}`;
    if (link === this.current) this.flushPacedInput(now);
    link.processedInput = InputStream.empty();
    link.pendingEchoes = [];
    link.response = undefined;
    link.echoWatch = undefined;
    link.echoShown = false;
    link.carriedAck.clear();
    // The new process numbers its channel packets and channels from the start: its forwards start afresh too.
    this.forwarding.dropLink(link.id, 'the client process was replaced');
    link.channels = this.channelsFor(link.id, connection);
    link.notificationFloor = this.currentNotificationGeneration();
    link.notificationsSeen = undefined;
    link.transport.setLocal(link.transport.local.withEchoAck(0), now);
    this.snapshotNow();
    const moved = previousAddress !== undefined && current !== undefined && !samePeerAddress(previousAddress, current);
    this.log(`session ${this.sessionId}: a new client process under the same key at ${where}${moved ? `; the one at ${previousAddress.host}:${previousAddress.port} was told it was replaced` : ''}`);
    if (!moved) return;
    const farewell = link.transport.farewellFor(restart, link.transport.local.withEnding({ kind: 'taken-over', by: where }));
    for (let copy = 0; copy < REPLACED_CLIENT_FAREWELL_COPIES; copy++) {
      for (const datagram of connection.sendTo(farewell, previousAddress, now)) this.send(datagram);
    }
  }

  private dropLink(link: ClientLink): void {
    if (!this.links.delete(link.id)) return;
    this.forwarding.dropLink(link.id, 'the client left');
    this.onLinkClosed(link.id);
  }

  private beginShutdown(reason: SessionEndReason): void {
    if (this.endReason !== undefined || this.finished) return;
    this.endReason = reason;
    const now = this.clock();
    for (const link of [...this.links.values()]) if (link.role === 'pending') this.dropLink(link);
    // The final state shows the screen as the program left it: the pty announces the exit once the last output is in
    // the mirror, but that output's snapshot may not be due yet (its collection interval, the frame pacing), and the
    // shutdown, sent at once, would carry the screen before it: `read a; echo got-$a` ended on a blank screen under
    // load (test/server-lifetime.test.ts, 3 runs in 36).
    this.takeSnapshot(now, true);
    const transport = this.current.transport;
    if (transport.connection.remoteAddress === undefined) {
      if (reason !== 'command-exited') {
        // No client ever heard from, and the session ended on the server's side: nobody to tell.
        this.finish();
        return;
      }
      // The program ended before its client's first datagram (`tsmosh host -- true`, or any quick command): the
      // client on its way must still learn the exit status. Hold the final state until it is heard, up to the
      // no-client timeout.
      transport.setLocal(transport.local.withEnding(this.endingFor(reason)), now);
      this.shutdownDeferred = true;
      this.step(now);
      return;
    }
    transport.setLocal(transport.local.withEnding(this.endingFor(reason)), now);
    if (reason === 'command-exited' && this.keepsEveryLine) this.shutdownAfterHistory(now);
    else transport.startShutdown(now);
    this.step(now);
  }

  /**
   * The command ended, in a session that keeps every line (a text client's): the client is told once it holds the
   * whole scrollback log. The history follows the screen a window per acknowledged state (history-window.ts), so when
   * a command ends in the middle of its output (`seq 1 5000`, a build's last lines) the log is still on its way, and a
   * shutdown sent at once ended the client before it: the lines between what it held and the final screen were lost
   * from a script's text (client text-output.ts). The ending is in the state already; the shutdown follows
   * (drainHistory). A terminal's session ends at once as before: the wait is up to 40 round trips for the 10,000 lines
   * kept (`seq 1 50000` at 300 ms RTT returned after 14.6 s instead of 2.1 s), for lines the screen has shown, which
   * its user's scrollback then lacks after the last line it got.
   */
  private shutdownAfterHistory(now: number): void {
    this.historyDrain = { ackEnd: -1, progressAt: now };
    this.markDirty(now);
    this.drainHistory(now);
  }

  /**
   * The current client keeps every line (its link's keepEveryLine): a text client that started the session, or one
   * that attached to it (its lines from the attach on, the history kept then first). Not once it has quit: a named
   * session's program then runs on as for a terminal's, rather than waiting for a client that will not come back.
   */
  private get keepsEveryLine(): boolean {
    return this.current.keepEveryLine && !this.current.transport.counterpartyShutdown;
  }

  /**
   * keepEveryLine: the program may run KEEP_EVERY_LINE_AHEAD lines ahead of what the current client acknowledged,
   * while that client is attached (heard within ATTACHED_WITHIN_MS). A text client killed without quitting (`kill -9`,
   * a crash, a machine gone off the network) would otherwise hold a named session's program in its writes until
   * another client took over: it runs on, its output kept in the bounded history as for a terminal's. Heard again, the
   * client is waited for again; lines the history dropped meanwhile it reports as lost (client text-output.ts).
   */
  private limitHistory(now: number): void {
    if (!this.keepsEveryLine || this.currentClientSilent(now)) {
      // A terminal's client took over from a text one (or the text one quit, or is silent): the program no longer waits.
      if (this.historyLimit !== undefined) {
        this.historyLimit = undefined;
        this.pty.setHistoryLimit?.(undefined);
      }
      return;
    }
    const limit = this.current.transport.acknowledgedLocal.scrollback.end + KEEP_EVERY_LINE_AHEAD;
    if (limit === this.historyLimit) return;
    this.historyLimit = limit;
    this.pty.setHistoryLimit?.(limit);
  }

  /** The current client was heard, but not within ATTACHED_WITHIN_MS: `list` no longer calls it attached. */
  private currentClientSilent(now: number): boolean {
    const heard = this.current.transport.connection.lastHeardAt;
    return heard !== undefined && now >= heard + ATTACHED_WITHIN_MS;
  }

  /** Starts the shutdown shutdownAfterHistory waits for, once the client holds the log or stopped taking it. */
  private drainHistory(now: number): void {
    const drain = this.historyDrain;
    if (drain === undefined) return;
    const transport = this.current.transport;
    const acknowledged = transport.acknowledgedLocal.scrollback.end;
    if (acknowledged > drain.ackEnd) {
      drain.ackEnd = acknowledged;
      drain.progressAt = now;
    }
    const logEnd = this.pty.scrollback?.().end ?? 0;
    if (acknowledged < logEnd && now < drain.progressAt + HISTORY_DRAIN_STALL_MS) return;
    if (acknowledged < logEnd) this.log(`session ${this.sessionId}: the client took no more of the history for ${HISTORY_DRAIN_STALL_MS} ms (${logEnd - acknowledged} lines left); telling it the session ended`);
    this.historyDrain = undefined;
    transport.startShutdown(now);
  }

  private endingFor(reason: SessionEndReason): SessionEnding {
    switch (reason) {
      case 'command-exited':
        return { kind: 'command-exited', exitCode: this.commandExit?.exitCode ?? 0, signal: this.commandExit?.signal };
      case 'killed':
        return { kind: 'ended', reason: this.killedBecause };
      case 'network-timeout':
        return { kind: 'ended', reason: `no client was heard from for ${Math.round((this.networkTimeoutMs ?? 0) / 1000)} s (the idle timeout)` };
      default:
        return { kind: 'ended', reason: 'the session failed on the server (see its daemon.log)' };
    }
  }

  /**
   * A step on the next turn of the event loop, once however often asked: for socket events of forwarded streams,
   * which may come from inside a step (a channel accepted while a datagram is handled) and arrive in bursts.
   */
  private stepSoon(): void {
    if (this.stepQueued || this.finished) return;
    this.stepQueued = true;
    setImmediate(() => {
      this.stepQueued = false;
      this.step();
    });
  }

  private step(now: number = this.clock()): void {
    if (this.finished || this.stepping) return;
    this.stepping = true;
    try {
      this.feedInput(now);
      this.takeSnapshot(now);
      this.limitHistory(now);
      this.drainHistory(now);
      this.advanceEchoAck(now);
      this.sendFloodTail(now);
      for (const link of [...this.links.values()]) {
        for (const datagram of link.transport.tick(now)) {
          // Marked before the send: the datagram leaves inside it, and the client may log its arrival first.
          serverTrace?.mark('sent', datagram.bytes.length);
          this.send(datagram);
        }
        // Forwarded streams take what is left after the screen and the echo.
        for (const packet of link.channels.poll(now)) {
          const datagram = link.transport.connection.sendChannelPacket(packet, now);
          if (datagram !== undefined) this.send(datagram);
        }
        if (link.role === 'retiring' && (link.transport.shutdownAcknowledged || link.transport.shutdownTimedOut)) {
          this.log(`session ${this.sessionId}: retired key ${link.id} (${link.transport.shutdownAcknowledged ? 'its client was told' : 'its client did not answer'})`);
          this.dropLink(link);
        } else if (link.role === 'pending' && now >= link.createdAt + PENDING_ATTACH_TIMEOUT_MS) {
          this.log(`session ${this.sessionId}: attach under key ${link.id} unused within ${PENDING_ATTACH_TIMEOUT_MS} ms; dropped`);
          this.dropLink(link);
        }
      }
      if (this.checkEnd(now)) return;
      this.timer.arm(now, this.nextWakeup(now));
    } catch (error) {
      // A bug here must not take the daemon, and every other session, down with it: end only this session.
      this.log(`session ${this.sessionId}: internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
      this.endReason = 'failed';
      this.finish();
    } finally {
      this.stepping = false;
    }
  }

  /**
   * Takes the input events the current client sent since the last step and writes into the pty those now due
   * (input-pacing.ts: most at once; a key next to a control key or Esc after a gap), then watches for their echo.
   */
  private feedInput(now: number): void {
    const link = this.current;
    const remote = link.transport.remote;
    if (remote !== link.processedInput) {
      if (remote.end - link.processedInput.end >= INPUT_WINDOW_ACK_BYTES) link.transport.acknowledgeNow(now);
      this.inputPacer.add(pacedEvents(remote.eventsSince(link.processedInput), link.processedInput.end), now);
      // Without what was just taken: kept whole, a session's every key stayed in the daemon's memory.
      link.processedInput = link.transport.releaseRemote(remote);
    }
    if (this.inputPacer.pending === 0) return;
    // Once the session ends no key is written: nothing waits for a gap.
    const due = this.endReason === undefined ? this.inputPacer.take(now) : this.inputPacer.drain(now);
    if (due.length > 0) this.writeInput(link, due, now);
  }

  /**
   * Every event still waiting for its gap, written now, before the current link's input stream is replaced (a new
   * client takes over, or its client process restarts): the pacer holds only the current link's events, by its positions.
   */
  private flushPacedInput(now: number): void {
    if (this.inputPacer.pending > 0) this.writeInput(this.current, this.inputPacer.drain(now), now);
  }

  /** Writes `paced` (in order) into the pty, then acknowledges their echo. */
  private writeInput(link: ClientLink, paced: readonly PacedEvent[], now: number): void {
    // A key's first answer is sent as soon as it is parsed, later ones once settled (responseSettleAt). A typed
    // character is echoed in one write, so that is also its acknowledgement; anything else (Enter, a control key, a
    // paste) may be answered in bursts, and is acknowledged (its guesses judged) once the output has settled.
    const typing = paced.every(({ event }) => event.kind === 'keys' && isTypedCharacter(event.bytes));
    const settleMs = typing ? TYPED_ECHO_SETTLE_MS : ECHO_SETTLE_MS;
    let lastKeys: Uint8Array | undefined;
    let byCursor = !typing && this.movedCursorAnswer;
    let carriable = true;
    for (const { event } of paced) {
      if (event.kind === 'keys') {
        if (this.endReason === undefined) this.pty.write(event.bytes);
        lastKeys = event.bytes;
        byCursor &&= answerableByCursor(event.bytes);
        carriable &&= carriableKey(event.bytes);
        serverTrace?.mark('pty-write');
      } else if (event.kind === 'terminal') {
        this.pty.setClientTerminal?.(event.capabilities);
      } else if (isScreenSize(event.cols, event.rows)) {
        this.pty.resize(event.cols, event.rows);
        this.markDirty(now);
      } else {
        // Authentic but impossible (a client bug): ignore it rather than end the session.
        this.log(`session ${this.sessionId}: ignoring resize to ${event.cols}x${event.rows}`);
      }
    }
    // Only resizes (or a terminal report): no echo to wait for.
    if (lastKeys === undefined) return;
    // Where the cursor stood before the keys, read once they are written: their echo reaches the mirror only in a
    // later turn of the event loop (the pty is read and parsed there), and the keys reach the program ~35 µs sooner.
    const mark = typing ? this.cursorCellNow() : undefined;
    const moved = byCursor ? new MovedCursorWatch(this.cursorCellNow()) : undefined;
    link.response = { writtenAt: now, frames: 0, answeredOutputs: this.outputFrames };
    // The newest key's echo is watched (an earlier key's, if it shows only now, shows with it); after any other key
    // nothing is (where Enter's or Ctrl-C's answer shows is anyone's guess).
    const key = mark === undefined ? undefined : typedKeyOf(lastKeys, mark);
    link.echoWatch = key === undefined ? undefined : { key, until: now + ECHO_WATCH_MS };
    link.echoShown = false;
    // Acknowledged up to the last event written: keys still waiting for their gap are acknowledged once written.
    link.pendingEchoes.push({ position: paced[paced.length - 1]!.end, writtenAt: now, settleMs, mark, key, moved, answerAfter: now, carriable });
  }

  /**
   * Moves the echo acknowledgement (an input-stream position) past the input whose response the screen now shows:
   * input the program answered and then went quiet, or input it has not answered within ECHO_TIMEOUT_MS.
   */
  private advanceEchoAck(now: number): void {
    const link = this.current;
    let acknowledged: number | undefined;
    // Whether everything acknowledged in this pass is an Enter answered by its output settling, and until when the
    // acknowledgement may wait for a frame to carry it (carried-ack.ts).
    let carriable = true;
    let carryUntil = Infinity;
    while (link.pendingEchoes.length > 0) {
      const pending = link.pendingEchoes[0]!;
      const settled = this.lastOutputAt > pending.answerAfter && now >= this.lastOutputAt + pending.settleMs;
      const movedCursor = pending.moved?.answered === true;
      let answered = settled || movedCursor;
      const timedOut = now >= pending.writtenAt + ECHO_TIMEOUT_MS;
      const markNow = (answered || timedOut) && pending.mark !== undefined ? this.cursorCellNow() : undefined;
      if (answered && markNow !== undefined && sameCell(markNow, pending.mark!)) answered = false;
      // Neither by its changed mark nor by the timeout on a screen with the cursor away from the key's row and no
      // echo (tmux between two writes of its other pane): the client would judge its cursor guess wrong.
      if ((answered || timedOut) && markNow !== undefined && this.awayHolds(pending, markNow, now)) {
        if (pending.awayHeldAt === undefined) serverTrace?.mark('echo-ack-held');
        pending.awayHeldAt ??= now;
        break;
      }
      if (!answered && !timedOut) break;
      acknowledged = pending.position;
      carriable &&= pending.carriable && settled && !timedOut;
      carryUntil = Math.min(carryUntil, pending.writtenAt + CARRIED_ACK_MAX_MS);
      link.pendingEchoes.shift();
      const held = pending.awayHeldAt === undefined ? '' : ` after ${(now - pending.awayHeldAt).toFixed(1)} ms held`;
      serverTrace?.mark('echo-ack', `${settled ? 'output' : movedCursor ? 'cursor' : 'timeout'}${held}`);
      // The next key's echo is a change from what this one's answer left (both may already show: it then waits out
      // the timeout, with its echo on the screen the client already has).
      const next = link.pendingEchoes[0];
      if (answered && next?.mark !== undefined) {
        next.mark = markNow ?? this.cursorCellNow();
        next.answerAfter = now;
      }
    }
    const response = link.response;
    const answerSettled = this.responseSettleAt() <= now;
    const echoShown = link.echoShown;
    link.echoShown = false;
    const carried = link.carriedAck;
    const heldDue = carried.due(now, link.transport.local.framebuffer) || (carried.holding && this.endReason !== undefined);
    if (acknowledged === undefined && !answerSettled && !echoShown && !heldDue) return;
    const shown = link.transport.local;
    // The ack promises the screen shows everything the program wrote so far: never pair it with a throttled,
    // older snapshot. The same goes for an answer sent unpaced, and a watched echo.
    if (this.screenDirty) this.takeSnapshot(now, true);
    // An Enter answered by its echo, acknowledged in the middle of its command: the acknowledgement waits for the
    // command's output or the prompt to carry it, up to its bound, rather than go in a frame that shows nothing
    // (carried-ack.ts). Not when a frame is going anyway, nor beside anything else acknowledged.
    if (acknowledged !== undefined && carriable && !answerSettled && !echoShown && !carried.holding && this.endReason === undefined && !link.transport.hasUnsentChange) {
      carried.hold(acknowledged, link.transport.local.framebuffer, carryUntil);
      serverTrace?.mark('echo-ack-carried');
      return;
    }
    // A later write of an answer that only switched input modes (bash's bracketed paste before its prompt) waits for
    // the settle: its next write, or the output's going quiet, carries it (unseen-change.ts). The state is set, paced.
    if (acknowledged === undefined && !echoShown && !heldDue && response !== undefined && response.frames > 0 && this.answerDueAtOnce(response)) {
      if (onlyInputModesChanged(shown, link.transport.local)) {
        response.unseenOutputs = this.outputFrames;
        serverTrace?.mark('answer-unseen');
        return;
      }
    }
    if (echoShown) serverTrace?.mark('echo-watched');
    if (answerSettled && response !== undefined) {
      response.frames++;
      serverTrace?.mark('answer', response.frames);
      response.answeredOutputs = this.outputFrames;
    }
    const transport = link.transport;
    const held = carried.release(transport.local.framebuffer);
    let state = transport.local;
    if (acknowledged !== undefined) state = state.withEchoAck(acknowledged, held?.answered);
    else if (held !== undefined) state = state.withEchoAck(held.position, held.answered);
    // The echo or answer is complete (its output went quiet, or none came): send it now instead of after the rest of
    // the collection interval (for bursts still being written) or the frame pacing (for output nobody waits for).
    transport.setLocal(state, now, { complete: true, answersInput: true });
  }

  /**
   * Whether the acknowledgement of `pending` waits because the screen has the cursor away from the key's row without
   * its echo: until the echo shows or the cursor comes back, the output goes quiet for ECHO_AWAY_QUIET_MS, or
   * ECHO_AWAY_MAX_MS after the key.
   */
  private awayHolds(pending: PendingEcho, markNow: CursorCell, now: number): boolean {
    if (now >= this.awayReleaseAt(pending)) return false;
    return cursorAwayFromKey(pending.mark!, pending.key, markNow, (x, y) => this.cellTextNow(x, y));
  }

  /** When a hold on a cursor away from `pending`'s key ends whatever the screen (ms). */
  private awayReleaseAt(pending: PendingEcho): number {
    return Math.min(pending.writtenAt + ECHO_AWAY_MAX_MS, this.lastOutputAt + ECHO_AWAY_QUIET_MS);
  }

  /**
   * When output that answers the newest keystrokes is to be sent unpaced: as soon as it is parsed, or once it has
   * settled (ECHO_SETTLE_MS of quiet); Infinity when there is no such output (none since the last answer, the window
   * passed, or the frames allowed per keystroke are spent).
   */
  private responseSettleAt(): number {
    const response = this.current.response;
    if (response === undefined || response.frames >= MAX_RESPONSE_FRAMES) return Infinity;
    if (this.outputFrames === response.answeredOutputs) return Infinity;
    // The first answer goes as soon as it is parsed: it is the echo, and after Enter often the whole answer. So does
    // each later write of a small answer (a pipeline's output, bash's bracketed-paste switch and then its prompt, a
    // few ms apart): nobody can tell the last write from the output's going quiet but by waiting, and the settle's
    // wait (2 ms, plus 1–3 ms of timer lateness on a busy machine) was most of what the prompt's frame cost after the
    // command's own time. The last frame allowed waits for the output to settle, so that whatever is left of the
    // answer goes in one frame rather than the pacing; a large answer (a listing, a flood's tail after Ctrl-C) waits
    // for it after its first frame, coalesced rather than a frame per pty read (answer-output.ts).
    const atOnce = this.answerDueAtOnce(response) && response.unseenOutputs !== this.outputFrames;
    const dueAt = atOnce ? this.lastOutputAt : this.lastOutputAt + ECHO_SETTLE_MS;
    return dueAt < response.writtenAt + RESPONSE_WINDOW_MS ? dueAt : Infinity;
  }

  /** Whether the response's next frame goes as soon as its write is parsed rather than once the output settles. */
  private answerDueAtOnce(response: NonNullable<ClientLink['response']>): boolean {
    const small = this.pty.answerIsSmall ?? true;
    return response.frames === 0 || (small && response.frames < MAX_RESPONSE_FRAMES - 1);
  }

  /**
   * A frame from the pty at `now`: whether it shows the watched echo of the newest typed key (typed-echo.ts). Read
   * from the pty's cursor and one cell, not a snapshot: this runs at every frame while a key is watched, in a flood
   * every 0.2–2 ms.
   */
  private watchEcho(now: number): void {
    const link = this.current;
    const watch = link.echoWatch;
    if (watch === undefined) return;
    if (now >= watch.until) {
      link.echoWatch = undefined;
    } else if (showsEcho(watch.key, this.cursorCellNow(), (x, y) => this.cellTextNow(x, y))) {
      link.echoWatch = undefined;
      link.echoShown = true;
    }
  }

  /** A frame from the pty: where the cursor rests now, for the keys answered by moving it (moved-cursor-answer.ts). */
  private watchMovedCursor(): void {
    let cursor: CursorCell | undefined;
    for (const pending of this.current.pendingEchoes) {
      if (pending.moved === undefined) continue;
      cursor ??= this.cursorCellNow();
      pending.moved.frame(cursor);
    }
  }

  /** The cursor and the character under it on the screen the pty would give now (a typed key's mark). */
  private cursorCellNow(): CursorCell {
    return this.pty.cursorCell?.() ?? cursorCellOf(this.pty.snapshot());
  }

  private cellTextNow(x: number, y: number): string {
    return this.pty.cellText !== undefined ? this.pty.cellText(x, y) : cellTextOf(this.pty.snapshot(), x, y);
  }

  private takeSnapshot(now: number, evenIfThrottled = false): void {
    if (!this.screenDirty) return;
    if (!evenIfThrottled && now < this.snapshotDueAt(now)) {
      if (serverTrace !== undefined && this.pty.offerHeldBack === true && now >= this.pacedSnapshotAt(now)) serverTrace.mark('snapshot-waits');
      return;
    }
    const changedAt = this.dirtySince;
    // A screen offered since the last snapshot is held back behind a read mid-write: what the pty gives now is older
    // than what it offered. A paced snapshot waits for its next offer (snapshotDueAt); one that cannot wait (an
    // acknowledgement, a new client) takes it, and the screen stays dirty for the offered one.
    const behindOffer = this.pty.offerHeldBack === true;
    this.screenDirty = false;
    this.snapshotForced = false;
    this.lastSnapshotAt = now;
    this.floodTail?.framed();
    const transport = this.current.transport;
    const framebuffer = this.forLink(this.current, this.pty.snapshot());
    const screenChanged = framebuffer !== transport.local.framebuffer;
    let state = transport.local.withFramebuffer(framebuffer);
    if (this.pty.scrollback !== undefined) {
      const log = this.boundedLog(transport, this.pty.scrollback(), screenChanged, now);
      if (log !== undefined) state = state.withScrollback(log);
    }
    transport.setLocal(state, now, { changedAt });
    if (behindOffer) this.markDirty(changedAt);
  }

  /**
   * `log` as one state may carry it (history-window.ts): a window beyond what the client acknowledged, and nothing new
   * while the screen changes on a path that is the bottleneck; undefined while output outruns the history (the
   * window offered before stays: historyHeld). The rest follows in later states: the screen stays marked dirty until
   * the client holds the whole log.
   */
  private boundedLog(transport: Transport<ScreenState, InputStream>, log: ScrollbackLog, screenChanged: boolean, now: number): ScrollbackLog | undefined {
    const offered = transport.local.scrollback;
    const linesSincePreviousState = log.end - this.logEndAtSnapshot;
    this.logEndAtSnapshot = log.end;
    const acknowledgedEnd = transport.acknowledgedLocal.scrollback.end;
    const window = {
      acknowledgedEnd,
      offeredEnd: offered.end,
      logStart: log.start,
      logEnd: log.end,
      screenChanged,
      pathIsBottleneck: transport.congestionLimited(now),
      linesSincePreviousState,
      // Windows by bytes only for a client that keeps every line (text): a terminal's windows stay 256 lines, since
      // on a thin link the transport has not yet found to be the bottleneck a 16 KiB window queued ahead of the
      // prompt (session-thin-link.test.ts, a `seq` flood that ends: 31 ms against 26).
      ...(this.keepsEveryLine
        ? { byteWindowEnd: log.endWithinBytes(historyWindowBase({ acknowledgedEnd, logStart: log.start }), LOG_BYTES_PER_STATE, LOG_LINES_PER_STATE_MAX) }
        : {}),
    };
    // Held (output outrunning the history): the window offered before stays. Not across a resize, whose shift the
    // client waits for before it writes history again.
    if (historyHeld(window) && log.resizeShift === offered.resizeShift) {
      this.markDirty(now);
      return undefined;
    }
    const limit = historyWindowEnd(window);
    if (log.end <= limit) return log;
    this.markDirty(now);
    return log.upTo(limit);
  }

  /** `fb` as `link` may send it: without the notifications from before the link was made (ClientLink.notificationFloor). */
  private forLink(link: ClientLink, fb: Framebuffer): Framebuffer {
    const floor = link.notificationFloor;
    if (floor === 0 || fb.notifications.length === 0 || fb.notifications[0]!.generation > floor) return fb;
    let seen = link.notificationsSeen;
    if (seen === undefined || seen.from !== fb.notifications) {
      seen = { from: fb.notifications, shown: Object.freeze(fb.notifications.filter((n) => n.generation > floor)) };
      link.notificationsSeen = seen;
    }
    return Object.freeze({ ...fb, notifications: seen.shown });
  }

  private checkEnd(now: number): boolean {
    const transport = this.current.transport;
    if (this.endReason !== undefined) {
      if (this.shutdownDeferred) {
        if (now < this.startedAtMs + this.noClientTimeoutMs) return false;
        this.log(`session ${this.sessionId}: no client connected within ${this.noClientTimeoutMs} ms to learn how it ended; ending`);
        this.finish();
        return true;
      }
      if (transport.shutdownAcknowledged || transport.shutdownTimedOut) {
        this.finish();
        return true;
      }
      return false;
    }
    if (transport.counterpartyShutdown && !this.endsWhenClientQuits) {
      // A named session: the client left (its transport acknowledges that by itself); the session waits for the
      // next attach, or for its idle timeout, which counts from the client's last datagram.
      if (!this.detachLogged) this.log(`session ${this.sessionId}: the client quit; the session stays for the next attach`);
      this.detachLogged = true;
    } else if (transport.counterpartyShutdown) {
      // The current client quit: it ends the session (mosh's Ctrl-^ .). Its acknowledgement has to leave first, or
      // the client waits out its grace period; tick() above sent it if it was due.
      if (!transport.counterpartyShutdownAckSent) return false;
      this.log(`session ${this.sessionId}: the client quit; ending`);
      this.endReason = 'client-exit';
      this.finish();
      return true;
    }
    const heard = transport.connection.lastHeardAt;
    if (heard === undefined && now >= this.startedAtMs + this.noClientTimeoutMs) {
      this.log(`session ${this.sessionId}: no client connected within ${this.noClientTimeoutMs} ms; ending`);
      this.endReason = 'no-client';
      this.finish();
      return true;
    }
    if (heard !== undefined && this.networkTimeoutMs !== undefined && now >= heard + this.networkTimeoutMs) {
      this.log(`session ${this.sessionId}: client silent for ${this.networkTimeoutMs} ms (idle timeout, ${NETWORK_TIMEOUT_ENV} or --idle-timeout); ending`);
      this.beginShutdown('network-timeout');
      return this.finished;
    }
    return false;
  }

  /**
   * When the session has something to do next (absolute ms). Each deadline here is the very sum (`start + interval`)
   * that the step compares `now` against: `now - start >= interval` can be false at that instant in floating point
   * ((x + 8) - x is 7.999… for about 1 x in 1,250), and the session then woke, did nothing and re-armed for the same
   * instant (for ever under a manual clock; one wasted wake-up with real timers).
   */
  private nextWakeup(now: number): number {
    let due = Infinity;
    for (const link of this.links.values()) {
      due = Math.min(due, link.transport.nextWakeup(now), link.channels.nextWakeup(now) ?? Infinity);
      if (link.role === 'pending') due = Math.min(due, link.createdAt + PENDING_ATTACH_TIMEOUT_MS);
    }
    if (this.screenDirty) due = Math.min(due, this.snapshotDueAt(now), this.floodTailDueAt());
    due = Math.min(due, this.inputPacer.dueAt());
    const pendingEcho = this.current.pendingEchoes[0];
    if (pendingEcho !== undefined) {
      const timeoutAt = pendingEcho.writtenAt + ECHO_TIMEOUT_MS;
      // Past the timeout only while the cursor is away (awayHolds): then the hold's end, not a timer in the past.
      due = Math.min(due, timeoutAt > now ? timeoutAt : this.awayReleaseAt(pendingEcho));
      // Only a settle still ahead: output that did not change a typed key's mark is not its answer, and the next
      // frame (or the timeout) wakes the session again, not a timer in the past.
      const settledAt = this.lastOutputAt + pendingEcho.settleMs;
      if (this.lastOutputAt > pendingEcho.answerAfter && settledAt > now) due = Math.min(due, settledAt);
    }
    due = Math.min(due, this.responseSettleAt(), this.current.carriedAck.dueAt);
    if (this.current.echoShown) due = Math.min(due, now);
    if (this.shutdownDeferred) due = Math.min(due, this.startedAtMs + this.noClientTimeoutMs);
    if (this.historyDrain !== undefined) due = Math.min(due, this.historyDrain.progressAt + HISTORY_DRAIN_STALL_MS);
    if (this.historyLimit !== undefined) {
      // The program waits for a text client only while it is heard (limitHistory).
      const heard = this.current.transport.connection.lastHeardAt;
      if (heard !== undefined) due = Math.min(due, heard + ATTACHED_WITHIN_MS);
    }
    if (this.endReason === undefined) {
      const heard = this.current.transport.connection.lastHeardAt;
      if (heard === undefined) due = Math.min(due, this.startedAtMs + this.noClientTimeoutMs);
      else if (this.networkTimeoutMs !== undefined) due = Math.min(due, heard + this.networkTimeoutMs);
    }
    return due;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timer.cancel();
    this.pty.dispose();
    this.forwarding.close(`the session ended (${this.endReason ?? 'killed'})`);
    for (const link of [...this.links.values()]) this.dropLink(link);
    const reason = this.endReason ?? 'killed';
    this.log(`session ${this.sessionId}: ended (${reason})`);
    this.resolveEnded(reason);
  }
}

/** "SIGKILL" for 9 (this host's numbering: node-pty reports the number the kernel gave). */
export function signalNameOf(signal: number): string {
  for (const [name, number] of Object.entries(osConstants.signals)) if (number === signal) return name;
  return `signal ${signal}`;
}


/** How a session's program is started. */
/** One typed character: a single printable code point in UTF-8, or backspace (DEL). Not Enter, not an escape. */
export function isTypedCharacter(bytes: Uint8Array): boolean {
  if (bytes.length === 0 || bytes.length > 4) return false;
  const first = bytes[0]!;
  if (bytes.length === 1) return first >= 0x20 && first <= 0x7f;
  // A multi-byte UTF-8 sequence of exactly one code point.
  const expected = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc2 ? 2 : 0;
  if (expected !== bytes.length) return false;
  for (let i = 1; i < bytes.length; i++) if ((bytes[i]! & 0xc0) !== 0x80) return false;
  return true;
}
