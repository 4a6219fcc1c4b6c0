/**
 * PtyHost: one program in a pseudo-terminal (node-pty), its output mirrored by a HeadlessMirror.
 *
 * - Replies the mirror produces (DA, DSR, DECRQM, XTVERSION, kitty keyboard query) are written back into the pty.
 * - Flow control: when the mirror falls behind by more than PENDING_HIGH_WATER_BYTES the pty is paused, so the
 *   kernel's pty buffer fills and a flooding program blocks instead of growing our memory; it resumes below
 *   PENDING_LOW_WATER_BYTES. Short of that, a read that came back full is followed by reads of what else waits
 *   (pty-drain.ts), so the kernel's buffer does not fill just because the event loop turns slowly.
 * - A flood is read at intervals: once reads have come back to back for a while, the master is no longer polled
 *   after a read, and what waits is read FLOOD_READ_INTERVAL_MS later in one chunk (read-coalesce.ts), so the daemon
 *   wakes once per few ms instead of once per write of the program. Input, or a wake that finds nothing, goes back
 *   to polling.
 * - Synchronized output (DEC 2026): while the program holds it, `snapshot()` keeps offering the last complete
 *   screen and no frame is announced, for at most `synchronizedOutputMaxHoldMs`; a program that never releases the
 *   mode (crashed mid-frame) cannot freeze the session.
 * - Between writes: the screen after a read that may have cut one of the program's writes in two, or that left a
 *   redraw under way (tmux's of another pane, the cursor still there), is held back the same way until a read ends
 *   at rest, for at most MID_WRITE_MAX_HOLD_MS (write-boundary.ts).
 */
import { closeSync, constants as fsConstants, openSync } from 'node:fs';
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { ctypeSetting, isUtf8LocaleName, type Framebuffer, type ScrollbackLog, type TerminalCapabilities } from '@tsmosh/terminal';
import { serverTrace } from './latency-trace.js';
import { HeadlessMirror, type RestoredScreen } from './headless-mirror.js';
import { drainWaiting, FULL_PTY_READ_BYTES, MAX_DRAIN_BYTES, readWaiting } from './pty-drain.js';
import { FloodReads } from './read-coalesce.js';
import { OfferedScreen, WriteBoundary, type OutputRead } from './write-boundary.js';
import { cellTextOf, cursorCellOf, type CursorCell } from './typed-echo.js';
import { AnswerWatch } from './answer-output.js';
import type { SessionPty } from './session.js';
import { EchoOffGate, echoOffStart, type GateResult } from './echo-off-start.js';
import { lineBound } from './line-bound.js';
import { DEFAULT_TERM } from './session-environment.js';

/**
 * Longest a DEC 2026 hold may hide the screen (ms). Apps release it within one frame (a few ms); 200 ms is well past
 * any real frame yet short enough that a stuck app still shows its output promptly.
 */
const SYNCHRONIZED_OUTPUT_MAX_HOLD_MS = 200;
/**
 * Pause the pty when this many output bytes wait for the mirror (bytes). At xterm's 50–85 MiB/s (measured here) it is
 * a few ms of parsing: enough to keep the parser busy, small enough to bound memory per session.
 */
export const PENDING_HIGH_WATER_BYTES = 256 * 1024;
/** Resume the pty once the backlog drains below this (bytes); the gap avoids pausing on every read. */
const PENDING_LOW_WATER_BYTES = 32 * 1024;

export interface PtyExit {
  exitCode: number;
  /** The signal that ended the program, if one did. */
  signal: number | undefined;
}

export interface PtyHostInit {
  command: string;
  args?: readonly string[];
  cwd?: string;
  /** The program's environment (default: this process's). TERM is always set; a UTF-8 locale is ensured. */
  env?: Readonly<Record<string, string | undefined>>;
  cols: number;
  rows: number;
  /** TERM value (default DEFAULT_TERM, session-environment.ts). */
  termName?: string;
  scrollback?: number;
  synchronizedOutputMaxHoldMs?: number;
  /** Backlog marks (bytes); default PENDING_HIGH_WATER_BYTES / PENDING_LOW_WATER_BYTES. */
  flowControl?: { highWaterBytes: number; lowWaterBytes: number };
  /** A restarted session's saved history and first output (HeadlessMirrorInit.restored). */
  restored?: RestoredScreen;
  /** What the client's terminal answered at start-up (`new --terminal-answers`), in force before the program starts. */
  clientTerminal?: TerminalCapabilities;
  /** false: the program starts with the pty's echo off (a script's text session: echo-off-start.ts). Default true. */
  echo?: boolean;
}

export interface PtyHostStats {
  /** Output bytes read from the pty. */
  bytesRead: number;
  /** Reply bytes written back into the pty. */
  replyBytes: number;
  /** Times the pty was paused because the mirror fell behind. */
  pauses: number;
  /** Times reading stopped because the history reached its limit (setHistoryLimit: its client had not taken it). */
  historyHolds: number;
  /** DEC 2026 holds that hit the time bound. */
  synchronizedOutputTimeouts: number;
  /** Reads whose screen was held back because more of the program's write was still to come (write-boundary.ts). */
  midWriteHolds: number;
  /** Largest backlog seen (bytes handed to the mirror and not yet parsed). */
  maxPendingBytes: number;
  /** Of bytesRead, those read right after a full read in the same turn (pty-drain.ts). */
  drainedBytes: number;
  /** Wakes that read a flood at an interval instead of at the program's write (read-coalesce.ts). */
  floodWakes: number;
  /** Of bytesRead, those read in those wakes. */
  floodBytes: number;
}

/**
 * Quiet output (ms) after the program's exit by which its last output counts as read: the master is read as fast as
 * the event loop turns, so a few ms of nothing means the kernel buffer is empty; 20 ms leaves room for a busy loop.
 */
const EXIT_DRAIN_QUIET_MS = 20;

/**
 * Longest the input waits for the echo-off wrapper's answer (ms): a shell's and stty's start, ~2-5 ms, far more on
 * a loaded host. Past it the input goes in and may be echoed, rather than the session's input waiting for ever.
 */
const ECHO_OFF_ANSWER_TIMEOUT_MS = 10_000;

/**
 * Opens our own descriptor on the pty's slave side, or returns undefined.
 *
 * Why: on Linux, node-pty loses the last few KiB a program writes just before it exits (microsoft/node-pty#72, #85,
 * #726; measured here: `seq 1 20000` lost 6 KiB of 126 KiB). Once the last slave descriptor closes, the master read
 * ends before the kernel buffer is drained. Holding a slave descriptor keeps the master readable; node-pty then sees
 * the exit, reads on, and closes the master itself 200 ms later (its DESTROY_SOCKET_TIMEOUT_MS), by which time the
 * tail has been read. `_pty` (the slave's path) is node-pty 1.1 internal state, hence the defensive checks.
 */
function holdSlaveOpen(ptyProcess: IPty): number | undefined {
  const slavePath = (ptyProcess as unknown as { _pty?: unknown })._pty;
  if (typeof slavePath !== 'string' || !slavePath.startsWith('/dev/')) return undefined;
  try {
    return openSync(slavePath, fsConstants.O_RDWR | fsConstants.O_NOCTTY);
  } catch {
    // The program may already be gone; its output tail is then at node-pty's mercy, as without this hold.
    return undefined;
  }
}

/** The master's descriptor: node-pty 1.1's UnixTerminal has an `fd` accessor its typings leave out, hence the checks. */
function masterFdOf(ptyProcess: IPty): number | undefined {
  const fd = (ptyProcess as unknown as { fd?: unknown }).fd;
  return typeof fd === 'number' && Number.isSafeInteger(fd) && fd >= 0 ? fd : undefined;
}

/** The master's read stream as far as a flood read at intervals uses it (node's tty.ReadStream). */
interface MasterStream {
  readonly readableLength: number;
  /** What the paused stream has buffered, a chunk at a time (null: nothing). */
  read?(): unknown;
  /** libuv's handle: `reading` is node's own note of whether it polls; `readStop` stops polling. */
  readonly _handle?: { reading?: unknown; readStop?: unknown } | null;
}

/**
 * node-pty 1.x reads the master through a tty.ReadStream (`_socket`, internal, hence the checks). Pausing that
 * stream alone stops libuv polling only after one more read (node stops the handle when a read finds the stream
 * paused), which would wake the daemon once more and leave a chunk in the stream ahead of the next synchronous read.
 */
function masterStreamOf(ptyProcess: IPty): MasterStream | undefined {
  const socket = (ptyProcess as unknown as { _socket?: unknown })._socket as Partial<MasterStream> | null | undefined;
  if (typeof socket !== 'object' || socket === null || typeof socket.readableLength !== 'number') return undefined;
  return socket as MasterStream;
}

/** The environment a program starts with: TERM set, and a UTF-8 character locale (the mirror decodes UTF-8). */
export function ptyEnvironment(base: Readonly<Record<string, string | undefined>>, termName: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  env.TERM = termName;
  const ctype = ctypeSetting(env);
  if (ctype === undefined || !isUtf8LocaleName(ctype.value)) {
    // LC_ALL would override LC_CTYPE; keep its other categories by moving it to LANG, the lowest-priority variable.
    if (env.LC_ALL) {
      env.LANG = env.LC_ALL;
      delete env.LC_ALL;
    }
    env.LC_CTYPE = 'C.UTF-8';
  }
  return env;
}

export class PtyHost {
  readonly mirror: HeadlessMirror;
  readonly stats: PtyHostStats = {
    bytesRead: 0,
    replyBytes: 0,
    pauses: 0,
    historyHolds: 0,
    synchronizedOutputTimeouts: 0,
    midWriteHolds: 0,
    maxPendingBytes: 0,
    drainedBytes: 0,
    floodWakes: 0,
    floodBytes: 0,
  };
  /** Resolves after the program has exited and all of its output has been parsed into the mirror. */
  readonly exited: Promise<PtyExit>;

  private readonly pty: IPty;
  private readonly maxHoldMs: number;
  private readonly highWaterBytes: number;
  private readonly lowWaterBytes: number;
  private readonly frameListeners = new Set<() => void>();
  /** node-pty has seen the program exit (its exit event comes once the master closes). */
  private childExited = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private readonly exitListeners = new Set<(exitCode: number, signal: number | undefined) => void>();
  /** The screen the session is given: the mirror's when nothing is held, else the last one taken (write-boundary.ts). */
  private readonly offered: OfferedScreen<Framebuffer>;
  private slaveFd: number | undefined;
  /** Why the echo asked off (PtyHostInit.echo false) is on; undefined when it is off or was not asked about. */
  echoError: string | undefined;
  /** Takes the echo-off wrapper's answer out of the output (echo-off-start.ts); undefined once open or not asked. */
  private echoGate: EchoOffGate | undefined;
  /** Writes into the pty waiting, in order, for the echo to be off (until echoGate opens). */
  private heldUntilEchoOff: Array<string | Buffer> | undefined;
  private echoGateTimer: ReturnType<typeof setTimeout> | undefined;
  private paused = false;
  /** The log end the history may reach before reading stops (setHistoryLimit); undefined: no limit. */
  private historyLimit: number | undefined;
  /** Reading is stopped because the history reached historyLimit. */
  private heldForHistory = false;
  /** With a history limit: at most how many lines the output read and not yet parsed adds to the log (line-bound.ts). */
  private pendingLines = 0;
  /** The bytes pendingLines counts (the rest of the mirror's pending bytes were read before a limit was set). */
  private pendingScannedBytes = 0;
  /**
   * The program's last output, taken out of the kernel and node's stream after it exited while the history held
   * reading (takeTail): node-pty destroys the master's stream 200 ms after the exit, and what was still in it would
   * be lost. Given to the mirror as the history limit allows (feedTail).
   */
  private tail: Uint8Array[] = [];
  private feedingTail = false;
  /** takeTail is emptying the stream: what it delivers goes into the tail. */
  private takingTail = false;
  /** The exit's announcement, waiting for the tail to be in the mirror. */
  private afterTail: (() => void) | undefined;
  /** The master's descriptor (node-pty's UnixTerminal `fd`), for the drain; undefined where there is none. */
  private readonly masterFd: number | undefined;
  private readingAhead = false;
  private exitInfo: PtyExit | undefined;
  private ptyGone = false;
  private disposed = false;
  /** The mirror's DEC 2026 epoch of the hold in force, undefined when none. */
  private holdEpoch: number | undefined;
  private holdExpired = false;
  private holdTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the mirror's screen now is between two of the program's writes (write-boundary.ts). */
  private readonly boundary = new WriteBoundary();
  private midWriteTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the output read now answers the last input written (parsed at once then: answer-output.ts). */
  private readonly answers = new AnswerWatch();
  /** Whether a flood is read at intervals now (read-coalesce.ts). */
  private readonly floodReads = new FloodReads();
  /** The master's read stream, for stopping its polling between a flood's reads; undefined: never stopped. */
  private readonly masterStream: MasterStream | undefined;
  /** Polling is stopped and the stream paused for a flood's interval (floodTimer reads next). */
  private pollingStopped = false;
  /**
   * The last read filled the line discipline's buffer and no read since came back short: the program had written
   * more than was read (a flood that outruns the reader), still waiting in the kernel (outputPending).
   */
  private kernelMayHoldMore = false;
  private floodTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(init: PtyHostInit) {
    this.maxHoldMs = init.synchronizedOutputMaxHoldMs ?? SYNCHRONIZED_OUTPUT_MAX_HOLD_MS;
    this.highWaterBytes = init.flowControl?.highWaterBytes ?? PENDING_HIGH_WATER_BYTES;
    this.lowWaterBytes = init.flowControl?.lowWaterBytes ?? PENDING_LOW_WATER_BYTES;
    if (!(this.lowWaterBytes >= 0 && this.lowWaterBytes < this.highWaterBytes)) {
      throw new RangeError(`PtyHost: flowControl needs 0 <= lowWaterBytes < highWaterBytes, got ${this.lowWaterBytes} and ${this.highWaterBytes}`);
    }
    this.mirror = new HeadlessMirror({
      cols: init.cols,
      rows: init.rows,
      scrollback: init.scrollback,
      ...(init.restored !== undefined ? { restored: init.restored } : {}),
      onReply: (data) => this.writeReply(data),
    });
    if (init.clientTerminal !== undefined) this.mirror.setClientTerminal(init.clientTerminal);
    this.offered = new OfferedScreen(this.mirror.snapshot());
    const termName = init.termName ?? DEFAULT_TERM;
    const env = ptyEnvironment(init.env ?? process.env, termName);
    const cwd = init.cwd ?? process.cwd();
    let command = { file: init.command, args: [...(init.args ?? [])] };
    if (init.echo === false) {
      // The environment node-pty 1.1 gives its process (it sets PWD and TERM): the program's, through the shell.
      const start = echoOffStart(command.file, command.args, { ...env, PWD: cwd, TERM: termName });
      if (start.ok) {
        command = { file: start.file, args: [...start.args] };
        this.echoGate = new EchoOffGate();
        this.heldUntilEchoOff = [];
        this.echoGateTimer = setTimeout(() => this.openEchoGate(this.echoGate?.giveUp(`no answer from the echo-off start within ${ECHO_OFF_ANSWER_TIMEOUT_MS} ms`)), ECHO_OFF_ANSWER_TIMEOUT_MS);
      } else {
        this.echoError = `echo left on: ${start.reason}`;
      }
    }
    this.pty = pty.spawn(command.file, command.args, {
      name: termName,
      cols: init.cols,
      rows: init.rows,
      cwd,
      env,
      // Raw bytes: a StringDecoder would hold split UTF-8 back; xterm's Uint8Array path joins it itself.
      encoding: null,
    });
    this.slaveFd = holdSlaveOpen(this.pty);
    this.masterFd = masterFdOf(this.pty);
    this.masterStream = masterStreamOf(this.pty);
    this.watchForChildExit();
    // With `encoding: null` node-pty delivers Buffers, although its typings still say string.
    this.pty.onData((data: string | Uint8Array) => this.onPolledRead(data as Uint8Array));
    let resolveExited!: (exit: PtyExit) => void;
    this.exited = new Promise((resolve) => (resolveExited = resolve));
    this.pty.onExit(({ exitCode, signal }) => {
      this.ptyGone = true;
      // The wrapper ended without its answer (killed before it): what it kept is output; held input has no reader.
      this.openEchoGate(this.echoGate?.giveUp('the program ended before the echo was off'));
      this.clearFloodTimer();
      this.releaseSlave();
      const exit: PtyExit = { exitCode, signal: signal ? signal : undefined };
      // Announce the exit only once the mirror holds the program's last output (a tail held for the history included).
      const announce = (): void =>
        this.mirror.writeThen(new Uint8Array(0), () => {
          this.exitInfo = exit;
          this.endHold();
          this.endMidWriteHold();
          this.announceFrame();
          for (const listener of this.exitListeners) listener(exit.exitCode, exit.signal);
          resolveExited(exit);
        });
      if (this.tail.length > 0) this.afterTail = announce;
      else announce();
    });
  }

  get pid(): number {
    return this.pty.pid;
  }

  get cols(): number {
    return this.mirror.cols;
  }

  get rows(): number {
    return this.mirror.rows;
  }

  /** The exit status once the program has exited (and its output is parsed), else undefined. */
  get exit(): PtyExit | undefined {
    return this.exitInfo;
  }

  /** Whether a flood is being read at intervals now: the master is not polled until the next wake (read-coalesce.ts). */
  get readingAtIntervals(): boolean {
    return this.pollingStopped;
  }

  /** Whether reading from the pty is paused because the mirror is behind. */
  get isPaused(): boolean {
    return this.paused;
  }

  get pendingBytes(): number {
    return this.mirror.pendingBytes;
  }

  /** True while a DEC 2026 hold (within its time bound) keeps the half-drawn screen back. */
  get holdingFrame(): boolean {
    return this.holdEpoch !== undefined && !this.holdExpired;
  }

  /**
   * The newest complete screen: the mirror's state now, or, while the program holds synchronized output, the last
   * screen offered before the hold began.
   */
  snapshot(): Framebuffer {
    return this.offered.take(this.holding(), () => this.mirror.snapshot());
  }

  /** The cursor and the character under it on the screen `snapshot()` would return, without taking one. */
  cursorCell(): CursorCell {
    return this.holding() ? cursorCellOf(this.offered.kept) : this.mirror.cursorCell();
  }

  /** The character at (x, y) on the screen `snapshot()` would return, without taking one. */
  cellText(x: number, y: number): string {
    return this.holding() ? cellTextOf(this.offered.kept, x, y) : this.mirror.cellText(x, y);
  }

  /**
   * Whether a screen offered since the last `snapshot()` is held back behind a newer read mid-write (or a DEC 2026
   * frame): `snapshot()` would return an older screen than offered. The next offer comes when the hold ends.
   */
  get offerHeldBack(): boolean {
    return this.offered.behindOffer(this.holding());
  }

  /** Whether the screen is held back now (a DEC 2026 frame within its bound, or a read mid-write). */
  private holding(): boolean {
    this.observeSynchronizedOutput();
    return this.holdingFrame || this.boundary.holding;
  }

  /** Every line that has left the top of the program's normal screen (the session's scrollback log). */
  scrollback(): ScrollbackLog {
    return this.mirror.scrollback();
  }

  /** Calls `listener` whenever a new screen may be offered. Returns a function that unsubscribes. */
  onFrame(listener: () => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }

  /**
   * Calls `listener` once the program has exited and its output is in the mirror. (Shaped like the session's
   * SessionPty, so a PtyHost plugs in directly.)
   */
  onExit(listener: (exitCode: number, signal: number | undefined) => void): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /**
   * Output read and not yet parsed into the mirror, or a flood's next read already set (SessionPty.outputPending): the
   * program has not gone quiet, whatever the time since the last frame.
   */
  /**
   * Reading is stopped for the history (keep every line) with everything read parsed, and yet the screen is held back
   * mid-write: the program cannot finish that write until the client acknowledges this screen's lines, so the hold
   * could only delay that. Never true (afterParse offers such a screen at once); a test watches for it.
   */
  get heldMidWriteForHistory(): boolean {
    return this.waitingForHistoryAllParsed && this.boundary.holding;
  }

  /** Reading is stopped for the history and everything read is parsed: the program's next write waits for the client. */
  private get waitingForHistoryAllParsed(): boolean {
    return this.heldForHistory && this.mirror.pendingBytes === 0;
  }

  get outputPending(): boolean {
    return this.mirror.pendingBytes > 0 || this.pollingStopped || this.kernelMayHoldMore;
  }

  /** Whether the output since the last input written is still a small answer by its size (answer-output.ts). */
  get answerIsSmall(): boolean {
    return this.answers.small;
  }

  /** Input for the program (keys, pastes); dropped once it has exited. */
  write(data: Uint8Array | string): void {
    if (this.ptyGone || this.disposed) return;
    const now = performance.now();
    this.answers.input(now);
    // Its answer (an echo, a prompt) is read the moment the program writes it.
    this.floodReads.input(now);
    if (this.pollingStopped) this.resumePolling();
    this.writeToPty(typeof data === 'string' ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  private writeToPty(data: string | Buffer): void {
    if (this.heldUntilEchoOff !== undefined) this.heldUntilEchoOff.push(data);
    else if (!this.ptyGone && !this.disposed) this.pty.write(data);
  }

  /** The echo-off wrapper answered (or will not): notes a failure, writes the held input, parses what followed. */
  private openEchoGate(result: GateResult | undefined): GateResult | undefined {
    if (result?.opened === undefined) return result;
    this.echoGate = undefined;
    if (this.echoGateTimer !== undefined) clearTimeout(this.echoGateTimer);
    this.echoGateTimer = undefined;
    if (result.opened.failure !== undefined) this.echoError = `echo left on: ${result.opened.failure}`;
    const held = this.heldUntilEchoOff ?? [];
    this.heldUntilEchoOff = undefined;
    for (const data of held) this.writeToPty(data);
    return result;
  }

  /** What the client's terminal answered at start-up (HeadlessMirror.setClientTerminal). */
  setClientTerminal(capabilities: TerminalCapabilities): void {
    if (!this.disposed) this.mirror.setClientTerminal(capabilities);
  }

  /** Resizes the pty (the program gets SIGWINCH) and the mirror; a no-op after exit, where node-pty would throw EBADF. */
  resize(cols: number, rows: number): void {
    if (!Number.isInteger(cols) || cols < 1 || !Number.isInteger(rows) || rows < 1) {
      throw new RangeError(`PtyHost.resize: size must be positive integers, got ${cols}x${rows}`);
    }
    if (this.disposed) return;
    // A screen of the old size must not be offered for the new one: the program redraws anyway.
    this.endMidWriteHold();
    this.mirror.resize(cols, rows);
    if (this.ptyGone) return;
    try {
      this.pty.resize(cols, rows);
    } catch (error) {
      // The program can exit between our check and the ioctl; its exit event is on its way.
      if (!/EBADF|EIO|ENOTTY/.test(String(error))) throw error;
    }
  }

  /** Sends `signal` (default SIGHUP, as when a terminal closes) to the program; a no-op after exit. */
  kill(signal: NodeJS.Signals = 'SIGHUP'): void {
    if (this.ptyGone) return;
    try {
      this.pty.kill(signal);
    } catch {
      // Already gone: the exit event follows.
    }
  }

  /**
   * Kills the program if it still runs and releases the mirror. A tail the history limit still holds is dropped
   * (nobody will read the mirror again), so `exited` resolves once the program has gone: it waited for the limit to
   * rise, for ever after a dispose, and a test's clean-up that awaited it after a failed check hung for its whole
   * timeout instead of reporting the check.
   */
  dispose(): void {
    if (this.disposed) return;
    this.kill('SIGHUP');
    this.disposed = true;
    this.tail = [];
    const announce = this.afterTail;
    this.afterTail = undefined;
    this.clearFloodTimer();
    if (this.echoGateTimer !== undefined) clearTimeout(this.echoGateTimer);
    this.releaseSlave();
    this.clearHoldTimer();
    this.endMidWriteHold();
    this.frameListeners.clear();
    this.mirror.dispose();
    // After the mirror's dispose, whose writeThen then calls back at once.
    announce?.();
  }

  /**
   * Our hold on the slave (holdSlaveOpen) keeps the master open after the program exits, so node-pty announces the
   * exit only when its 200 ms socket timeout fires: 200 ms on every program's end, and on `tsmosh host -- cmd`.
   * node-pty registers its 'close' listener the moment it learns of the exit; from then on, once the output has been
   * quiet for EXIT_DRAIN_QUIET_MS the tail is read, and letting go of the slave ends the master at once.
   */
  private watchForChildExit(): void {
    const emitter = this.pty as unknown as { on?: (event: string, listener: (name: string | symbol) => void) => void };
    if (typeof emitter.on !== 'function' || this.slaveFd === undefined) return;
    emitter.on('newListener', (name) => {
      if (name !== 'close' || this.childExited) return;
      this.childExited = true;
      if (this.heldForHistory) this.takeTail();
      this.armDrainTimer();
    });
  }

  /** After the program's exit, each read restarts the wait; quiet output means the tail is in. */
  private armDrainTimer(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.releaseSlave();
    }, EXIT_DRAIN_QUIET_MS);
  }

  private releaseSlave(): void {
    if (this.drainTimer !== undefined) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    if (this.slaveFd === undefined) return;
    try {
      closeSync(this.slaveFd);
    } catch {
      // Already closed: nothing to release.
    }
    this.slaveFd = undefined;
  }

  private writeReply(data: string): void {
    if (this.ptyGone || this.disposed) return;
    this.stats.replyBytes += data.length;
    this.writeToPty(data);
  }

  /** A read libuv made (the master was polled): the read, what else waits (drain), then whether a flood is on. */
  private onPolledRead(data: Uint8Array): void {
    if (this.takingTail) {
      this.tail.push(data);
      return;
    }
    this.onOutput(data);
    this.readFloodLater();
  }

  /**
   * `data` read from the pty. `joined`: one chunk of a flood's wake (read-coalesce.ts), several reads long, whose
   * last read found everything there was when `endsWrite`; parsed in this turn (the wake is the flood's turn; xterm's
   * own deferral would wake the daemon once more). Otherwise a single read, which ends a write if it is short.
   */
  private onOutput(data: Uint8Array, joined?: { endsWrite: boolean }): void {
    if (this.disposed) return;
    if (this.echoGate !== undefined) {
      // The wrapper's answer comes first and is not the program's output (echo-off-start.ts).
      const gated = this.openEchoGate(this.echoGate.take(data))!;
      if (gated.output.byteLength === 0) return;
      data = gated.output;
    }
    if (this.childExited) this.armDrainTimer();
    this.stats.bytesRead += data.byteLength;
    serverTrace?.mark('pty-output', data.byteLength);
    const now = performance.now();
    this.floodReads.read(data.byteLength, now);
    const answer = this.answers.output(data.byteLength, now);
    const read = joined === undefined ? this.boundary.read(data.byteLength) : this.boundary.read(data.byteLength, joined.endsWrite);
    this.kernelMayHoldMore = joined === undefined ? data.byteLength >= FULL_PTY_READ_BYTES : !joined.endsWrite;
    // Counted only where a history limit may need it: a terminal's session skips the scan.
    const scanned = this.historyLimit !== undefined;
    const lines = scanned ? lineBound(data, this.mirror.cols) : 0;
    if (scanned) {
      this.pendingLines += lines;
      this.pendingScannedBytes += data.byteLength;
    }
    this.mirror.writeThen(data, () => {
      if (scanned) {
        this.pendingLines -= lines;
        this.pendingScannedBytes -= data.byteLength;
      }
      serverTrace?.mark('parsed');
      this.afterParse(read);
    }, answer || joined !== undefined);
    if (joined === undefined && data.byteLength >= FULL_PTY_READ_BYTES) this.drain();
    const pending = this.mirror.pendingBytes;
    if (pending > this.stats.maxPendingBytes) this.stats.maxPendingBytes = pending;
    if (!this.paused && pending > this.highWaterBytes && !this.ptyGone) {
      this.paused = true;
      this.stats.pauses++;
      this.pty.pause();
    }
    this.checkHistoryHold();
  }

  /**
   * Keep every line (`new --keep-every-line`): reading stops before the scrollback log could reach `limit` (a log
   * end; undefined: no limit), so the program waits in its write, as it would behind ssh's window, instead of the
   * log dropping lines its client has not taken. The session raises the limit as the client acknowledges the history.
   */
  setHistoryLimit(limit: number | undefined): void {
    this.historyLimit = limit;
    this.checkHistoryHold();
  }

  /**
   * Bytes that may still be read before the log could reach the history limit: a byte of output adds at most one line
   * (a line feed, or a character that wraps), so a read is bounded by the room in lines; the output read and not yet
   * parsed counts as the lines it may add (line-bound.ts: a line feed each, a wrap per row's worth of bytes, two per
   * cursor move). (A scroll sequence such as CSI S adds many lines in a few bytes: the limit's margin below the log's
   * retention covers it, session.ts KEEP_EVERY_LINE_AHEAD.)
   */
  private historyRoom(): number {
    if (this.historyLimit === undefined) return Infinity;
    // Output read before the limit was set was not scanned: it counts as a line a byte, as it always did.
    const unscanned = Math.max(0, this.mirror.pendingBytes - this.pendingScannedBytes);
    return Math.max(0, this.historyLimit - this.mirror.scrollback().end - this.pendingLines - unscanned);
  }

  private checkHistoryHold(): void {
    if (this.disposed) return;
    this.feedTail();
    const hold = this.historyLimit !== undefined && this.historyRoom() <= 0;
    if (hold === this.heldForHistory) return;
    this.heldForHistory = hold;
    if (hold) {
      this.stats.historyHolds++;
      if (!this.ptyGone) this.pty.pause();
      // The program is gone: its last output must leave the stream before node-pty destroys it.
      if (this.childExited) this.takeTail();
    } else if (!this.paused && !this.pollingStopped && !this.ptyGone) {
      this.pty.resume();
    }
  }

  /** Takes what the paused stream buffered and what the kernel holds into the tail (see `tail`). */
  private takeTail(): void {
    if (this.ptyGone || this.masterFd === undefined) return;
    // A read() on the stream hands its chunk to the 'data' listener too (onPolledRead), which puts it in the tail.
    this.takingTail = true;
    try {
      while (this.masterStream?.read?.() instanceof Uint8Array);
    } finally {
      this.takingTail = false;
    }
    for (;;) {
      const { data, emptied } = readWaiting(this.masterFd);
      if (data.byteLength > 0) this.tail.push(data.slice());
      if (emptied || data.byteLength === 0) break;
    }
  }

  /** Gives the tail to the mirror as far as the history's room allows; announces the exit once it is all in. */
  private feedTail(): void {
    if (this.feedingTail || this.tail.length === 0) return;
    this.feedingTail = true;
    try {
      for (let room = this.historyRoom(); this.tail.length > 0 && room > 0; room = this.historyRoom()) {
        const chunk = this.tail[0]!;
        const taken = chunk.byteLength <= room ? this.tail.shift()! : chunk.subarray(0, room);
        if (taken !== chunk) this.tail[0] = chunk.subarray(room);
        this.onOutput(taken, { endsWrite: this.tail.length === 0 });
      }
    } finally {
      this.feedingTail = false;
    }
    if (this.tail.length === 0 && this.afterTail !== undefined) {
      const announce = this.afterTail;
      this.afterTail = undefined;
      announce();
    }
  }

  /** Reads what else the kernel holds now (pty-drain.ts), up to the mirror's high-water mark. */
  private drain(): void {
    if (this.readingAhead || this.masterFd === undefined || this.paused || this.heldForHistory || this.ptyGone) return;
    this.readingAhead = true;
    let emptied = false;
    try {
      const drained = drainWaiting(this.masterFd, (chunk) => {
        this.onOutput(chunk);
        return !this.paused && !this.heldForHistory && !this.disposed;
      }, Math.min(MAX_DRAIN_BYTES, this.historyRoom()));
      this.stats.drainedBytes += drained.bytes;
      emptied = drained.emptied;
      this.kernelMayHoldMore = !emptied;
    } finally {
      this.readingAhead = false;
    }
    // The last read found the program's write complete; if its screen is parsed and held, it is ready now.
    if (emptied && this.boundary.nothingAfter()) this.offerHeld();
  }

  /**
   * After a polled read: if a flood is on (read-coalesce.ts), stop polling the master and read it again at the
   * flood's interval. Not while flow control holds the stream, nor with a chunk still in the stream (a synchronous
   * read now would overtake it), nor where node-pty's stream is not the one known.
   */
  private readFloodLater(): void {
    if (this.pollingStopped || this.paused || this.heldForHistory || this.ptyGone || this.disposed || this.masterFd === undefined) return;
    const now = performance.now();
    const at = this.floodReads.nextReadAt(now);
    if (at === undefined) return;
    const stream = this.masterStream;
    const handle = stream?._handle;
    if (stream === undefined || stream.readableLength !== 0 || typeof handle?.readStop !== 'function' || typeof handle.reading !== 'boolean') {
      this.floodReads.stop();
      return;
    }
    // Paused, node's stream starts no read of its own; with `reading` false its resume() starts the handle again.
    this.pty.pause();
    if (handle.reading) {
      handle.reading = false;
      (handle.readStop as () => number).call(handle);
    }
    this.pollingStopped = true;
    this.armFloodTimer(at - now);
  }

  private armFloodTimer(delayMs: number): void {
    this.floodTimer = setTimeout(() => this.readFlood(), delayMs);
  }

  /** A flood's wake: read what waits in one chunk, then wait again, or poll again if nothing came. */
  private readFlood(): void {
    this.floodTimer = undefined;
    if (this.disposed || this.ptyGone || this.masterFd === undefined) return;
    // Flow control holds the stream (it paused during the last wake): its resume polls again.
    if (this.paused || this.heldForHistory) return this.leaveToFlowControl();
    const { data, emptied } = readWaiting(this.masterFd, Math.min(MAX_DRAIN_BYTES, this.historyRoom()));
    this.stats.floodWakes++;
    this.stats.floodBytes += data.byteLength;
    if (data.byteLength > 0) this.onOutput(data, { endsWrite: emptied });
    else {
      this.floodReads.read(0, performance.now());
      this.kernelMayHoldMore = !emptied;
    }
    // A read before this wake that filled the line discipline's buffer ended the program's write after all.
    if (data.byteLength === 0 && emptied && this.boundary.nothingAfter()) this.offerHeld();
    if (this.disposed || this.ptyGone) return;
    if (this.paused || this.heldForHistory) return this.leaveToFlowControl();
    const now = performance.now();
    const at = this.floodReads.nextReadAt(now);
    if (at !== undefined) this.armFloodTimer(at - now);
    else this.resumePolling();
  }

  /** Flow control paused the stream during a flood's reads: reading at intervals ends, and its resume polls again. */
  private leaveToFlowControl(): void {
    this.pollingStopped = false;
    this.floodReads.stop();
  }

  /** Back to reading each write as it comes (input, or the flood ended). */
  private resumePolling(): void {
    this.clearFloodTimer();
    if (!this.pollingStopped) return;
    this.pollingStopped = false;
    this.floodReads.stop();
    if (!this.paused && !this.heldForHistory && !this.ptyGone && !this.disposed) this.pty.resume();
  }

  private clearFloodTimer(): void {
    if (this.floodTimer !== undefined) clearTimeout(this.floodTimer);
    this.floodTimer = undefined;
  }

  private afterParse(read: OutputRead): void {
    if (this.disposed) return;
    if (this.paused && this.mirror.pendingBytes < this.lowWaterBytes) {
      this.paused = false;
      if (!this.pollingStopped && !this.heldForHistory) this.pty.resume();
    }
    // Parsed bytes became lines: the history's room stays or grows (checkHistoryHold counts a pending byte as a line).
    this.checkHistoryHold();
    let offer = this.boundary.parsed(read, performance.now(), this.mirror.partialScrollRegion);
    if (!offer && this.waitingForHistoryAllParsed) {
      // Reading stopped for the history (keep every line) and all that was read is parsed: the rest of the program's
      // write waits for the client's acknowledgement of this screen's lines, so holding the screen for it only
      // delays that acknowledgement (MID_WRITE_MAX_HOLD_MS a window: 20-50 ms of each window's cycle in a text
      // client's `seq`, TSMOSH_TRACE). Offer it now.
      this.endMidWriteHold();
      offer = true;
    }
    if (!offer) {
      this.stats.midWriteHolds++;
      this.armMidWriteTimer();
      return;
    }
    this.clearMidWriteTimer();
    this.observeSynchronizedOutput();
    if (!this.holdingFrame) this.announceFrame();
  }

  /** A screen held back mid-write may now be offered (its write turned out complete, or the hold ran out). */
  private offerHeld(): void {
    this.clearMidWriteTimer();
    if (this.disposed) return;
    this.observeSynchronizedOutput();
    if (!this.holdingFrame) this.announceFrame();
  }

  /** Bounds a mid-write hold that no later read ends (the program went quiet right after a full read). */
  private armMidWriteTimer(): void {
    const due = this.boundary.holdDeadline;
    if (this.midWriteTimer !== undefined || due === undefined) return;
    this.midWriteTimer = setTimeout(() => {
      this.midWriteTimer = undefined;
      if (this.boundary.expire(performance.now())) this.offerHeld();
      else if (this.boundary.holding) this.armMidWriteTimer();
    }, Math.max(0, Math.ceil(due - performance.now())));
  }

  private clearMidWriteTimer(): void {
    if (this.midWriteTimer !== undefined) clearTimeout(this.midWriteTimer);
    this.midWriteTimer = undefined;
  }

  private endMidWriteHold(): void {
    this.clearMidWriteTimer();
    this.boundary.release();
  }

  /** Starts a hold when the program entered a new DEC 2026 block, ends it when the mode is off. */
  private observeSynchronizedOutput(): void {
    if (this.disposed) return;
    if (!this.mirror.synchronizedOutput) {
      this.endHold();
      return;
    }
    const epoch = this.mirror.synchronizedOutputEpoch;
    if (epoch === this.holdEpoch) return;
    this.clearHoldTimer();
    this.holdEpoch = epoch;
    this.holdExpired = false;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.holdExpired = true;
      this.stats.synchronizedOutputTimeouts++;
      this.announceFrame();
    }, this.maxHoldMs);
  }

  private endHold(): void {
    this.clearHoldTimer();
    this.holdEpoch = undefined;
    this.holdExpired = false;
  }

  private clearHoldTimer(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  private announceFrame(): void {
    this.offered.offer();
    for (const listener of this.frameListeners) listener();
  }
}

export interface PtySpawnOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
  readonly cols: number;
  readonly rows: number;
  /** A restarted session's saved history and first output (session-restart.ts). */
  readonly restored?: RestoredScreen;
  /** What the client's terminal answered at start-up, known before the program's first query (PtyHostInit). */
  readonly clientTerminal?: TerminalCapabilities;
  /** false: the program starts with the pty's echo off (PtyHostInit.echo). */
  readonly echo?: boolean;
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
    ...(options.restored !== undefined ? { restored: options.restored } : {}),
    ...(options.clientTerminal !== undefined ? { clientTerminal: options.clientTerminal } : {}),
    ...(options.echo === false ? { echo: false } : {}),
  });
}
