import { IND, PredictionEngine, Renderer, ScrollbackWriter, drawGuessChange, paintWithHistory, warmKeyDraw, withOverlay, type DrawnGuesses, type Framebuffer, type PredictionMode, type Row, type PredictionStats, type TerminalCapabilities } from '@tsmosh/terminal';
import { EscapeKeyFilter, escapeKeyForInput, escapeKeyName, parseEscapeKey, type EscapeKeySetting } from './escape-key.js';
import type { CarrierMode } from './carrier.js';
import { EXIT_TSMOSH_FAILURE, exitLine, exitStatusFor } from './exit-status.js';
import { remoteSize, ttyWindowSize } from './window-size.js';
import { fitToWindow, statusMessage, withStatusLine } from './overlay.js';
import { SessionWatch, type SessionCheck } from './session-watch.js';
import { connect, type ClientSession, type SessionExit } from './session.js';
import { NODE_CLIENT_RUNTIME, dueTimer, type ClientRuntime } from './client-runtime.js';
import { ClientStatsWriter, type KeyDrawCounts } from './stats-file.js';
import { KeyDrawTimes, monotonicMs } from './key-draw-times.js';
import type { ForwardingOptions } from '@tsmosh/forward';
import { clientTrace } from './latency-trace.js';
import { wrapSynchronized } from './synchronized-output.js';
import { PROBE_ANSWER_WAIT_MS, TERMINAL_PROBE_QUERIES, TerminalProbe } from './terminal-probe.js';
import { PromptMemory } from './prompt-memory.js';
import { predictionModeFromEnv } from './prediction-env.js';
export { predictionModeFromEnv };
import { normalScreenBelowAlternate } from './screen-switch.js';
import { closeHungUpTerminalOnExit, ignoreDeadTerminal } from './dead-terminal.js';
import { ttyStillRaw } from './terminal-mode.js';
import { InputEnd } from './input-end.js';
import { AnswerDraws } from './answer-draws.js';
import { TextOutput } from './text-output.js';
import type { OutputMode } from './output-mode.js';

/**
 * The terminal front end: puts the user's terminal in raw mode, sends keystrokes and window sizes to a
 * ClientSession, repaints from the newest screen with the status line overlaid, handles the escape key, and restores
 * the terminal on every way out (normal exit, remote exit, SIGTERM, SIGHUP, an uncaught error).
 */

/** Frames are drawn at most this often (ms) on average: ~50 per second is smooth to the eye and mosh's own ceiling. */
export const MIN_FRAME_INTERVAL_MS = 20;
/**
 * …but after a quiet spell up to this many server frames are drawn back to back. The server sends a keystroke's
 * answer as it settles, up to six frames a few ms apart (Enter's echo, a pipeline's bursts of output, the prompt:
 * server MAX_RESPONSE_FRAMES); drawing fewer at once would hold the rest of the answer for the interval.
 */
export const FRAME_BURST = 6;
const CTRL_L = 0x0c;

/**
 * When the next frame for the server's screen may be drawn: a token bucket holding up to FRAME_BURST frames, one
 * added per MIN_FRAME_INTERVAL_MS, so a flood is drawn evenly at ≤ 50 frames per second while a short answer after
 * a quiet spell is drawn as it arrives. Only frames drawn for the server's screen count; a keystroke's own draw (its
 * predicted echo) does not, or the real echo arriving a few ms after it (loopback, LAN) would wait for a token.
 */
export class FramePacer {
  private tokens = FRAME_BURST;
  private countedAt = -Infinity;

  /** A frame was drawn at `now`; `forServerScreen` false for a keystroke's immediate draw. */
  drawn(now: number, forServerScreen: boolean): void {
    if (!forServerScreen) return;
    this.refill(now);
    this.tokens = Math.max(0, this.tokens - 1);
  }

  /** The earliest time (ms) a server-screen frame may be drawn, ≤ now when at once. */
  nextFrameAt(): number {
    if (this.tokens >= 1) return this.countedAt;
    return this.countedAt + (1 - this.tokens) * MIN_FRAME_INTERVAL_MS;
  }

  private refill(now: number): void {
    const earned = now === this.countedAt ? 0 : (now - this.countedAt) / MIN_FRAME_INTERVAL_MS;
    this.tokens = Math.min(FRAME_BURST, this.tokens + earned);
    this.countedAt = now;
  }
}
/**
 * A quiet spell (ms: no draw, no key) after which the next server frame's draw waits one loop turn, so that a
 * continue after a stop is handled first (draw in runTerminalClient). Output that keeps coming never waits (a frame
 * every 20 ms at most); a stop that matters, one a job-control shell acted on, lasts longer: the shell says so and a
 * person types `fg`.
 */
const QUIET_BEFORE_DRAW_TURN_MS = 1_000;
/** ms from learning a prompt to writing the prompt memory: after the burst of screens that taught it. */
const PROMPT_SAVE_DELAY_MS = 1_000;
/** Size assumed when the output is not a terminal (a pipe in a script). */
const FALLBACK_SIZE = { cols: 80, rows: 24 } as const;

export interface TerminalClientOptions {
  readonly host: string;
  readonly port: number;
  readonly key: string;
  readonly input?: NodeJS.ReadStream;
  readonly output?: NodeJS.WriteStream;
  /** The escape key; default from TSMOSH_ESCAPE_KEY (validate it first with parseEscapeKey for a clean error). */
  readonly escapeKey?: EscapeKeySetting;
  readonly firstContactTimeoutMs?: number;
  /** A round-trip time already measured to the host (ms), e.g. during the SSH login. */
  readonly initialRttMs?: number;
  /** Predictive local echo; default from TSMOSH_PREDICTION_DISPLAY (check it first with predictionModeFromEnv). */
  readonly predict?: PredictionMode;
  /**
   * Draw a full-screen program on the local terminal's alternate screen while it runs (default true, as a local
   * terminal shows it: screen-switch.ts); false (mosh's --no-init) keeps everything on the normal screen.
   */
  readonly alternateScreen?: boolean;
  /** UDP, TCP, or auto (default): see carrier.ts. */
  readonly transport?: CarrierMode;
  /** The daemon's TCP port when it is not the UDP port's number. */
  readonly tcpPort?: number;
  /** Called with the session as soon as it exists (tests use it to force a port change). */
  readonly onSession?: (session: ClientSession) => void;
  /**
   * Asks the host by another path whether the session still runs (session-watch.ts), once the server has been
   * silent a while; a 'gone' answer ends the client with its message. Without it the client waits for as long as
   * the silence lasts.
   */
  readonly checkSession?: () => Promise<SessionCheck>;
  /** Called once with the prediction engine's live counters (TSMOSH_CLIENT_STATS_FILE writes the same; stats-file.ts). */
  readonly onPredictionStats?: (stats: Readonly<PredictionStats>) => void;
  /**
   * What the terminal answered when the caller already asked it (probeTerminal, before starting the session): the
   * client then does not ask again, and reports these at once.
   */
  readonly terminal?: TerminalCapabilities;
  /** Agent and port forwarding (-A, -L, -R). */
  readonly forwarding?: ForwardingOptions;
  /** Clock, timers and the rest the session reads from the world; the Node ones by default (client-runtime.ts). */
  readonly runtime?: Partial<ClientRuntime>;
  /**
   * 'terminal' (default): draw the screen on `output`, a terminal. 'text': write the session's lines to `output` as
   * text, and notices to stderr (text-output.ts); the terminal, if any, is left in its own modes.
   */
  readonly outputMode?: OutputMode;
}

export interface TerminalClientResult {
  /** The process exit status, as ssh's (exit-status.ts): the remote program's, 128+signal, or 255 for ours. */
  readonly exitCode: number;
  /** The one line printed after the terminal was restored; undefined when the exit status says it all (exitLine). */
  readonly message: string | undefined;
  readonly exit: SessionExit | undefined;
}

export async function runTerminalClient(options: TerminalClientOptions): Promise<TerminalClientResult> {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const escapeSetting = options.escapeKey ?? escapeKeyForInput(parseEscapeKey(process.env.TSMOSH_ESCAPE_KEY), input);
  const escapeHint = escapeSetting.enabled ? escapeKeyName(escapeSetting.byte) : undefined;
  const escapeFilter = new EscapeKeyFilter(escapeSetting);
  // The front end's frames, prediction wake-ups and query wait run on the session's clock and timer.
  const runtime: ClientRuntime = { ...NODE_CLIENT_RUNTIME, ...options.runtime };
  /** The window's size now (ttyWindowSize), or 80x24 when the output is not a terminal. */
  const windowSize = (): { cols: number; rows: number } => ttyWindowSize(output) ?? FALLBACK_SIZE;

  /** The window is still `drawn` in size (one ioctl): a resize not yet signalled would move other rows than ours. */
  const windowStillIs = (drawn: { cols: number; rows: number }): boolean => {
    if (!output.isTTY) return true;
    const now = windowSize();
    return now.cols === drawn.cols && now.rows === drawn.rows;
  };

  // Text for a file or pipe instead of a drawn screen (text-output.ts): notices then go to stderr, not into the text.
  const textOutput = options.outputMode === 'text' ? new TextOutput({ text: (chunk) => write(chunk), notice: (line) => process.stderr.write(`${line}\n`) }) : undefined;
  /** One line of tsmosh's own (`line` ends with its line break): on the terminal, or on stderr beside text output. */
  const notice = (line: string): void => {
    if (textOutput === undefined) write(line);
    else process.stderr.write(line.replace(/\r\n$/, '\n'));
  };
  const renderer = new Renderer();
  // Lines that left the remote screen go to the local terminal's history before each paint (scrollback-writer.ts).
  const scrollbackWriter = new ScrollbackWriter();
  // Text output shows no keys before the program does: nothing to predict.
  const predictionMode = textOutput !== undefined ? 'never' : (options.predict ?? predictionModeFromEnv(process.env));
  // Prompts learned by earlier clients of this host (prompt-memory.ts): the first command's keys show at once.
  const promptMemory = predictionMode === 'never' ? undefined : PromptMemory.fromEnv(process.env, options.host);
  const prediction = new PredictionEngine({ mode: predictionMode, knownPrompts: promptMemory?.load() });
  let promptsSaved = prediction.knownPromptTexts;
  let promptSaveTimer: unknown;
  let promptMemoryProblem: string | undefined;
  const savePrompts = (): void => {
    if (promptSaveTimer !== undefined) runtime.clearTimer(promptSaveTimer);
    promptSaveTimer = undefined;
    if (promptMemory === undefined || prediction.knownPromptTexts === promptsSaved) return;
    promptsSaved = prediction.knownPromptTexts;
    promptMemoryProblem ??= promptMemory.save(promptsSaved);
  };
  /** A prompt learned: written a little later, off the path of the screen that taught it. */
  const notePromptsLearned = (): void => {
    if (promptMemory === undefined || promptSaveTimer !== undefined || prediction.knownPromptTexts === promptsSaved) return;
    promptSaveTimer = runtime.setTimer(savePrompts, PROMPT_SAVE_DELAY_MS);
  };
  options.onPredictionStats?.(prediction.stats);
  const statsWriter = ClientStatsWriter.fromEnv(process.env, prediction.mode, prediction.stats);
  const keyDraws: KeyDrawCounts = { rows: 0, whole: 0, wakeRows: 0, wakeWhole: 0 };
  statsWriter?.attachKeyDraws(keyDraws);
  // Read → drawn per key on the machine's clock, for a benchmark's breakdown of a predicted key's time; only when asked.
  const keyTimes = statsWriter === undefined ? undefined : new KeyDrawTimes();
  if (keyTimes !== undefined) statsWriter?.attachKeyTimes(keyTimes);
  // Every draw and key asks when the guesses next need judging; while that stays put, the armed timer stays.
  const predictionTimer = dueTimer(runtime, () => onPredictionWakeup());
  let size = windowSize();
  let lastDrawn: Framebuffer | undefined;
  /** The last frame drawn on the normal screen (what it shows below the alternate one: screen-switch.ts). */
  let lastNormalFrame: Framebuffer | undefined;
  /**
   * The server screen and guesses behind lastDrawn, while lastDrawn is exactly those (no status line, the screen
   * the window's size): a keystroke then draws only what its guesses change (keystroke-draw.ts).
   */
  let drawnGuesses: DrawnGuesses | undefined;
  const pacer = new FramePacer();
  let frameTimer: unknown;
  /** The server's echo acknowledgement (an input stream position) as of the last frame drawn for its screen. */
  let drawnEchoAck = 0;
  /** The last frame drawn has the status line over its top row (the session's own row is under it). */
  let statusLineDrawn = false;
  /** Set while leaving the terminal (suspension, exit): the frame drawn then is the session's alone. */
  let statusLineOff = false;
  /** The rest of an acknowledged answer, drawn as it arrives (answer-draws.ts). */
  const answerDraws = new AnswerDraws();
  let terminalActive = false;
  /** The terminal hung up (its input ended or a write to it failed): nothing is written to it any more. */
  let terminalGone = false;

  /** When the last write to the terminal returned (monotonic ms), kept only for keyTimes. */
  let lastWrittenAt = -Infinity;
  const write = (text: string): void => {
    if (text.length === 0 || terminalGone) return;
    try {
      output.write(text);
    } catch {
      // The terminal is gone (SIGHUP, closed pty): nothing left to draw on.
    }
    if (keyTimes !== undefined) lastWrittenAt = monotonicMs();
  };
  // What the terminal supports (terminal-probe.ts): asked once, when the terminal first becomes ours.
  const probe = new TerminalProbe();
  let probeAsked = false;
  /** What the terminal answered: given by the caller, or once the probe settles. */
  let terminal = options.terminal;
  let probeTimer: unknown;
  /**
   * `pushAbove` false: the terminal shows what we drew last, untouched (a stop nobody else acted on), and nothing
   * goes up into its history.
   */
  const enterTerminal = (pushAbove = true): void => {
    if (terminalActive) return;
    terminalActive = true;
    if (textOutput !== undefined) {
      // Nothing is drawn, and a terminal on the input keeps its own modes (its line editing, its Ctrl-C).
      input.resume();
      return;
    }
    if (input.isTTY) input.setRawMode(true);
    input.resume();
    // What the terminal showed above its cursor (the user's earlier commands, or the shell after a suspension) goes
    // up into its history rather than under the first repaint: rows−1 line feeds from the cursor's row push exactly
    // the rows above it (ssh leaves them on the screen; mosh's alternate screen hides them until it ends). Before
    // enter(), whose DECSTBM homes the cursor.
    if (output.isTTY && pushAbove) write(IND.repeat(Math.max(0, windowSize().rows - 1)));
    write(renderer.enter());
    if (!probeAsked && output.isTTY && options.terminal === undefined) {
      probeAsked = true;
      // The answers come in on stdin; onData takes them out and reports them once the probe settles.
      write(TERMINAL_PROBE_QUERIES);
      probeTimer = runtime.setTimer(() => {
        const held = probe.settle();
        onProbeSettled();
        if (held !== '') onData(Buffer.from(held, 'latin1'));
      }, PROBE_ANSWER_WAIT_MS);
    }
    lastDrawn = undefined; // whatever the terminal shows now is not ours: repaint everything
  };
  /** Synchronous and idempotent: runs from signal and exception handlers too. */
  const restoreTerminal = (): void => {
    if (!terminalActive) return;
    terminalActive = false;
    if (textOutput !== undefined) return;
    write(renderer.exit(lastDrawn) + '\x1b[?25h');
    try {
      if (input.isTTY) input.setRawMode(false);
    } catch {
      // stdin already closed
    }
  };

  let session: ClientSession;
  try {
    session = connect({
      host: options.host,
      port: options.port,
      key: options.key,
      ...remoteSize(size),
      ...(options.firstContactTimeoutMs === undefined ? {} : { firstContactTimeoutMs: options.firstContactTimeoutMs }),
      ...(options.initialRttMs === undefined ? {} : { initialRttMs: options.initialRttMs }),
      ...(options.transport === undefined ? {} : { transport: options.transport }),
      ...(options.tcpPort === undefined ? {} : { tcpPort: options.tcpPort }),
      ...(options.forwarding === undefined ? {} : { forwarding: options.forwarding }),
      runtime,
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    notice(`${message.startsWith('tsmosh') ? '' : 'tsmosh: '}${message}\n`);
    statsWriter?.finish();
    return { exitCode: EXIT_TSMOSH_FAILURE, message, exit: undefined };
  }
  options.onSession?.(session);
  statsWriter?.attachTransport(() => session.transportStats);
  if (terminal !== undefined) session.reportTerminal(terminal);

  /** `paced`: a frame for the server's screen, which counts for the pacing; a keystroke's own draw does not. */
  let historyAdopted = false;
  /** The log's resizeShift when last looked at (undefined before the first state). */
  let seenResizeShift: number | undefined;
  /** This window changed size and the server's answering shift has not been seen yet. */
  let ownResizePending = false;
  /** When the front end last drew or read a key (runtime ms): see draw's wait after a quiet spell. */
  let lastActiveAt = runtime.now();
  /** A draw waits for the loop turn after a quiet spell (draw). */
  let drawAfterTurn = false;
  /**
   * A server frame's draw. A stop (kill -STOP, or a job-control shell's) freezes the client with timers armed and
   * datagrams queued, and at the continue they may run before the SIGCONT handler (libuv runs due timers first, and
   * a signal's callback among the other polled events): drawn then, the frame would go over a screen the shell wrote
   * on, as if it were ours (in tests the history then got rows out of place and lost three). So the first draw after
   * a quiet spell waits one loop turn (runtime.soon: after every callback polled with it, a continue's among them),
   * and onContinue takes the terminal back first. A key's own draw does not wait (a key marks the front end active).
   */
  const draw = (paced = true): void => {
    frameTimer = undefined;
    if (!terminalActive || drawAfterTurn) return;
    if (runtime.now() - lastActiveAt >= QUIET_BEFORE_DRAW_TURN_MS) {
      drawAfterTurn = true;
      runtime.soon(() => {
        drawAfterTurn = false;
        drawFrame(paced);
      });
      return;
    }
    drawFrame(paced);
  };
  const drawFrame = (paced = true): void => {
    frameTimer = undefined;
    if (!terminalActive) return;
    const now = runtime.now();
    lastActiveAt = now;
    if (textOutput !== undefined) {
      // The lines that left the screen since the last frame; the screen itself is written when the session ends.
      pacer.drawn(now, paced);
      textOutput.update(session.scrollback);
      return;
    }
    const screen = session.screen;
    const overlay = prediction.overlay(screen, now);
    const predicted = withOverlay(screen, overlay);
    let frame = fitToWindow(predicted, size.cols, size.rows);
    const message = statusLineOff ? undefined : statusMessage(session.status, escapeHint, escapeFilter.awaitingCommand);
    if (message !== undefined) frame = withStatusLine(frame, message);
    statusLineDrawn = message !== undefined;
    const log = session.scrollback;
    seenResizeShift ??= log.resizeShift;
    if (ownResizePending) {
      // Our window changed size, and our terminal pushed (or pulled) lines itself. Once the server's screen has our
      // new size, the log's resize shift since we last looked says how many: the same lines, moved by its mirror.
      const wanted = remoteSize(size);
      if (screen.cols === wanted.cols && screen.rows === wanted.rows) {
        scrollbackWriter.terminalMoved(log.resizeShift - seenResizeShift);
        ownResizePending = false;
      }
    }
    // Any other shift (a new session size at attach) is the server's alone: nothing moved here.
    if (!ownResizePending) seenResizeShift = log.resizeShift;
    // A full-screen program's screen is drawn on the terminal's alternate screen, as a local terminal shows it
    // (screen-switch.ts): history is written on the normal screen only, before switching to the alternate one or
    // after switching back.
    const alternate = frame.alternateScreen && options.alternateScreen !== false;
    const toNormal = alternate ? '' : renderer.leaveAlternateScreen();
    if (toNormal !== '') lastDrawn = undefined;
    let out: string;
    if (!alternate && !ownResizePending) {
      // On the normal screen, lines that left the remote screen and still show at the top of ours (an Enter at a
      // shell's bottom row) are scrolled off ours too: a line feed and the new rows, instead of the writer drawing
      // them over the screen and a repaint of all of it (about 700 bytes and 1 ms a line on an 80x24 shell). Not
      // while the window's size is changing under us: its rows are not the ones drawn.
      out = toNormal + paintWithHistory(scrollbackWriter, renderer, log, lastDrawn, frame, () => windowStillIs(size));
    } else {
      // Until the resize is answered, no history: lines written against the old positions could land twice or out of place.
      const history = ownResizePending || renderer.onAlternateScreen ? '' : scrollbackWriter.write(log, size.cols, size.rows);
      // The writer drew over the screen to push its lines up: repaint the frame whole.
      if (history !== '') lastDrawn = undefined;
      let toAlternate = '';
      if (alternate && !renderer.onAlternateScreen) {
        const below = normalScreenBelowAlternate(renderer, history !== '', lastNormalFrame, size);
        toAlternate = below.bytes + renderer.enterAlternateScreen(below.shows);
        lastDrawn = undefined;
      }
      out = toNormal + history + toAlternate + renderer.render(lastDrawn, frame);
    }
    if (!alternate) lastNormalFrame = frame;
    // Only a draw that wrote something uses up the burst: a state that moved nothing on screen (the server's echo
    // acknowledgement, sent between Enter's echo and the command's output) took the third token, and the prompt after
    // the output then waited up to a whole interval for the next one.
    pacer.drawn(now, paced && out !== '');
    drawnEchoAck = session.echoAck;
    write(wrapSynchronized(out, terminal?.synchronizedOutput));
    clientTrace?.mark('drawn', out.length);
    lastDrawn = frame;
    drawnGuesses = frame === predicted ? { screen, overlay, frame } : undefined;
    wakeForPrediction(now);
  };
  /**
   * Before the terminal is left (an exit, a suspension): the status line is ours, not the session's, so its row goes
   * back to what the session shows there. Left on the screen, the bar would scroll into the user's history in place
   * of that line (a session that ended while the server was silent, quit with the escape key during an outage).
   */
  const drawSessionAlone = (): void => {
    if (!terminalActive || textOutput !== undefined) return;
    if (frameTimer !== undefined) runtime.clearTimer(frameTimer);
    statusLineOff = true;
    try {
      drawFrame(false);
    } finally {
      statusLineOff = false;
    }
  };
  /**
   * The engine's underline and glitch triggers change with time alone, and a guess waiting for its echo runs out of
   * patience with no new screen: judge again and redraw when it says they next may.
   */
  const wakeForPrediction = (now: number): void => {
    predictionTimer.arm(now, prediction.nextWakeup(now));
  };
  /**
   * The terminal shows the newest server screen with the guesses over it and nothing else waits to be drawn (no
   * server frame, no status line, no history, no resize): a change of the guesses alone can then be drawn by the
   * cells it changes (keystroke-draw.ts) instead of a whole-screen build and diff. The terminal ends the same.
   */
  const onlyGuessesChange = (): boolean => {
    const drawn = drawnGuesses;
    const log = session.scrollback;
    return (
      drawn !== undefined &&
      terminalActive &&
      lastDrawn === drawn.frame &&
      frameTimer === undefined &&
      session.screen === drawn.screen &&
      !ownResizePending &&
      log.resizeShift === seenResizeShift &&
      !scrollbackWriter.hasNewLines(log) &&
      statusMessage(session.status, escapeHint, escapeFilter.awaitingCommand) === undefined
    );
  };
  /** Draws the engine's guesses now over the frame last drawn, by the rows they touch; onlyGuessesChange() first. */
  const drawGuesses = (): void => {
    const drawn = drawnGuesses!;
    const now = runtime.now();
    const change = drawGuessChange(renderer, drawn, prediction.overlay(drawn.screen, now));
    write(wrapSynchronized(change.out, terminal?.synchronizedOutput));
    clientTrace?.mark('drawn');
    lastDrawn = change.drawn.frame;
    if (!renderer.onAlternateScreen) lastNormalFrame = lastDrawn;
    drawnGuesses = change.drawn;
    wakeForPrediction(now);
  };
  /**
   * A keystroke's draw: only the cells its guesses change when onlyGuessesChange() (issue 18: no whole-screen build
   * or diff per key); otherwise the whole frame, at once (drawNow).
   */
  const drawKey = (): void => {
    if (!onlyGuessesChange()) {
      keyDraws.whole++;
      drawNow();
      return;
    }
    keyDraws.rows++;
    drawGuesses();
  };
  /**
   * A keystroke's predicted echo is drawn at once: the frame pacing exists to bound redraws during a flood from the
   * server, and a person types at most a few tens of keys per second. Nor does this draw hold back the next server
   * frame: the real echo arriving a few ms later (loopback, LAN) would otherwise wait out the 20 ms.
   * `paced`: a server frame drawn ahead of the pacing (the answer to a key), which still takes its token.
   */
  const drawNow = (paced = false): void => {
    if (frameTimer !== undefined) runtime.clearTimer(frameTimer);
    frameTimer = undefined;
    draw(paced);
  };
  const onPredictionWakeup = (): void => {
    prediction.onServerScreen(session.screen, session.echoAck, runtime.now(), session.answeredCursor);
    // Time alone moved the guesses (an underline due, a guess given up on): when nothing else waits, their rows are
    // redrawn as a key's are. A whole frame here cost a whole-screen diff for the same bytes, a third of the
    // client's timer CPU at 300 ms RTT (docs/benchmarks.md), on the loop a key may be waiting for.
    if (onlyGuessesChange()) {
      keyDraws.wakeRows++;
      drawGuesses();
    } else {
      keyDraws.wakeWhole++;
      scheduleFrame();
    }
  };
  const scheduleFrame = (): void => {
    if (frameTimer !== undefined || !terminalActive) return;
    const wait = pacer.nextFrameAt() - runtime.now();
    // Due already (the usual case for an echo): draw now rather than a timer turn later.
    if (wait <= 0) draw(true);
    else {
      clientTrace?.mark('paced', wait.toFixed(1));
      frameTimer = runtime.setTimer(() => draw(true), wait);
    }
  };

  // Input that is not a raw terminal: its end is told to the command (input-end.ts), as ssh closes a command's stdin.
  const inputEnd = input.isTTY && textOutput === undefined ? undefined : new InputEnd();
  const onInputEnd = (): void => {
    if (inputEnd !== undefined) session.write(inputEnd.endBytes());
  };
  const onData = (chunk: Buffer | string): void => {
    const readAt = keyTimes === undefined ? 0 : monotonicMs();
    lastActiveAt = runtime.now();
    // A key typed just after the window changed must reach the server after the resize, as it reached the local
    // terminal: Node may deliver the key before its 'resize' event, and output answering the key would then scroll
    // the server's screen before its resize, moving other lines than the terminal did (the scrollback would differ).
    if (output.isTTY && textOutput === undefined) {
      const now = windowSize();
      if (now.cols !== size.cols || now.rows !== size.rows) onResize();
    }
    let bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : new Uint8Array(chunk);
    if (probeAsked && probe.capabilities === undefined) {
      // Until the terminal has answered the probe, its answers are taken out of what goes to the program.
      // latin1 maps each byte to one character and back, so keys pass through byte for byte.
      bytes = new Uint8Array(Buffer.from(probe.filter(Buffer.from(bytes).toString('latin1')), 'latin1'));
      if (probe.capabilities !== undefined) onProbeSettled();
      if (bytes.length === 0) return;
    }
    const wasAwaiting = escapeFilter.awaitingCommand;
    for (const action of escapeFilter.feed(bytes)) {
      if (action.kind === 'send') {
        // Ctrl-L: the user thinks the screen is garbled. Repaint it all locally (as mosh does); it still goes to the
        // program, which redraws its own screen.
        if (action.bytes.includes(CTRL_L)) lastDrawn = undefined;
        const enter = action.bytes.includes(0x0d);
        clientTrace?.mark('key', enter ? 'enter' : undefined);
        // A key whose guess shows is drawn before it is sent: the guess reaches the screen without waiting for the
        // send (a syscall that, on one machine, also wakes the server onto a core). Any other key is sent first, and
        // only then guessed and drawn, since its draw shows nothing of its own and cost the send 0.25 ms
        // (docs/benchmarks.md, issue 18): every key while guesses are not shown (a fast link; a key cannot change that,
        // only a server screen does), and Enter, whose new line the engine never shows before the program answers (its
        // guess is tentative).
        const sendFirst = enter || !prediction.displaying;
        const inputPosition = session.inputPositionAfter(action.bytes.length);
        inputEnd?.sent(action.bytes);
        if (sendFirst) session.write(action.bytes);
        prediction.onUserInput(action.bytes, session.screen, inputPosition, runtime.now());
        drawKey();
        // Drawn when its bytes were written (the terminal may read them before drawKey's bookkeeping is done), or
        // now when the key changed nothing on screen.
        if (keyTimes !== undefined) keyTimes.record(readAt, lastWrittenAt >= readAt ? lastWrittenAt : monotonicMs());
        if (!sendFirst) session.write(action.bytes);
      }
      else if (action.kind === 'quit') void session.close();
      else suspend();
    }
    if (wasAwaiting !== escapeFilter.awaitingCommand) scheduleFrame();
  };
  /** The terminal has answered (or the wait ran out): the server answers the program's queries from this. */
  const onProbeSettled = (): void => {
    if (probeTimer !== undefined) runtime.clearTimer(probeTimer);
    probeTimer = undefined;
    terminal = probe.capabilities;
    if (terminal !== undefined) session.reportTerminal(terminal);
  };
  const onResize = (): void => {
    size = windowSize();
    // Before anything else is drawn: what the terminal pushed into its history came from the screen last painted.
    scrollbackWriter.terminalResized();
    ownResizePending = true;
    session.resize(remoteSize(size).cols, remoteSize(size).rows);
    lastDrawn = undefined; // the terminal reflowed its contents: nothing we drew can be trusted
    prediction.reset();
    scheduleFrame();
  };
  /**
   * The rows of the frame drawn at our own suspension that stay above the note (renderer.rowsAboveExit): the shell's
   * lines below scroll them, and enterTerminal's line feeds push them, into the history (scrollback-writer.ts).
   */
  let suspendedRows: { readonly rows: readonly Row[]; readonly cols: number } | undefined;
  const suspend = (): void => {
    // The screen left above the note is the session's (the escape key's status line gone): its rows are the lines
    // the remote screen scrolls off next, which the writer then knows are in the history already.
    drawSessionAlone();
    suspendedRows = terminalActive ? renderer.rowsAboveExit(lastDrawn) : undefined;
    restoreTerminal();
    notice('[tsmosh is suspended.]\r\n'); // exit() left the cursor on a fresh line
    process.kill(process.pid, 'SIGSTOP');
  };
  const onContinue = (): void => {
    // Stopped by suspend() or from outside (kill -STOP, a debugger). After our suspend, or when a job-control shell
    // had the terminal meanwhile (it reset the modes: raw mode off), the screen has lines that are not ours: take it
    // back whole, as at the start: enterTerminal() pushes what shows above the cursor into the history, sets raw
    // mode and the renderer's modes again and repaints everything. A stop nobody acted on (the tty still raw: a
    // non-job-control parent, a debugger) left our screen as drawn: pushing it up would put its rows in the history
    // twice (once more when the remote screen scrolls them off), so it is only repainted.
    // libuv skips a mode it believes is set, so raw mode is dropped first to have it applied again for real.
    let pushed = suspendedRows;
    suspendedRows = undefined;
    let untouched = false;
    if (pushed === undefined && terminalActive && input.isTTY) {
      const fd = (input as { fd?: unknown }).fd;
      untouched = typeof fd === 'number' && ttyStillRaw(fd) === true;
      // The shell wrote from the cursor down: the rows above it stay as drawn (on the normal screen only; the
      // alternate screen keeps no history).
      if (!untouched && lastDrawn !== undefined && !renderer.onAlternateScreen) {
        pushed = { rows: lastDrawn.lines.slice(0, Math.max(0, Math.min(lastDrawn.cursor.y, lastDrawn.rows))), cols: lastDrawn.cols };
      }
    }
    if (terminalActive && input.isTTY) input.setRawMode(false);
    terminalActive = false;
    enterTerminal(!untouched);
    if (pushed !== undefined && output.isTTY) scrollbackWriter.terminalPushed(pushed.rows, pushed.cols);
    size = windowSize();
    session.resize(remoteSize(size).cols, remoteSize(size).rows);
    scheduleFrame();
  };
  const onTerminate = (signal: NodeJS.Signals): void => {
    terminationSignal ??= signal;
    void session.close();
  };
  let terminationSignal: NodeJS.Signals | undefined;
  // The terminal went away without a SIGHUP reaching this process: the kernel signals only the session leader when
  // a terminal hangs up, and a leader that ignores it (a wrapper, `nohup`, `trap "" HUP`) leaves us reading EOF.
  // Left alone, the client would hold its session as attached, heartbeating, for ever. End as a hang-up does.
  const onTerminalGone = (): void => {
    terminalGone = true;
    onTerminate('SIGHUP');
  };
  // The reader of text output went away (`tsmosh host -- cmd | head -3`): end as a program that SIGPIPE ends and as
  // ssh does, quietly with 255. Nobody reads what is left, so no more text and no notice about lines not written;
  // the session ends as a quit does. A terminal's or any other error on the output is a hang-up.
  let outputClosed = false;
  const onOutputError = (error: NodeJS.ErrnoException): void => {
    if (textOutput === undefined || error.code !== 'EPIPE') return onTerminalGone();
    if (outputClosed) return;
    outputClosed = true;
    output.on('error', () => {}); // writes already on their way fail the same way, after the listeners below are gone
    void session.close();
  };
  const onFatal = (error: unknown): void => {
    // The process is in an unknown state: put the terminal back first, then say what broke, then go.
    restoreTerminal();
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    notice(`tsmosh: internal error, exiting: ${detail.split('\n')[0]}\n`);
    process.exit(EXIT_TSMOSH_FAILURE);
  };

  const watch = options.checkSession === undefined ? undefined : new SessionWatch(options.checkSession, (message) => session.abandon(message));
  const onStatus = (): void => {
    watch?.onStatus(session.status, runtime.now());
    scheduleFrame();
  };

  const onScreen = (screen: Framebuffer, stateNum: number): void => {
    // The server's first state (any number but the initial 0) is the past: the bells, copies and notifications in it
    // happened before this client attached.
    if (!historyAdopted && stateNum > 0) {
      historyAdopted = true;
      renderer.adoptHistory(screen);
    }
    const now = runtime.now();
    const srtt = session.status.estimatedRttMs;
    if (srtt !== undefined) prediction.setRtt(srtt);
    prediction.onServerScreen(screen, session.echoAck, now, session.answeredCursor);
    notePromptsLearned();
    // A state that acknowledges input no drawn frame has answered yet (the server sends it once a key's answer is
    // on its screen: an echo, Ctrl-C's prompt) is the user's answer, and is drawn now even when a flood has used up
    // the pacing's burst: on the thin link the prompt after Ctrl-C waited 7-19 ms for a token in 4 of 40 runs
    // (docs/benchmarks-journal.md, session 16). The flood keeps its bound: the acknowledgement moves only for the user's
    // own input, once per state at most, and the draw still takes a token.
    if (session.echoAck > drawnEchoAck) {
      answerDraws.acknowledged(now);
      drawNow(true);
    } else if (answerDraws.drawAtOnce(now)) drawNow(true);
    else scheduleFrame();
  };
  // Everything this front end listens to, attached now and detached on the way out.
  const listeners: Array<[NodeJS.EventEmitter, string, (...args: any[]) => void]> = [
    [session, 'screen', onScreen],
    [session, 'status', onStatus],
    [input, 'data', onData],
    // Input that is not a terminal (a script's /dev/null, a file, a pipe) ends as input does: the command reads end
    // of file (onInputEnd) and the session goes on until it exits, as `ssh host cmd < file` does. Only a terminal's
    // EOF means it went away, and only in raw mode: beside text output the terminal keeps its line editing, and its
    // EOF is the user's Ctrl-D, told to the command the same way.
    [input, 'end', input.isTTY && textOutput === undefined ? onTerminalGone : onInputEnd],
    [input, 'error', onTerminalGone],
    [output, 'error', onOutputError],
    // Text output keeps the session's first size: the lines do not depend on a window.
    [output, 'resize', textOutput === undefined ? onResize : () => {}],
    [process, 'SIGCONT', onContinue],
    [process, 'SIGTERM', onTerminate],
    [process, 'SIGHUP', onTerminate],
    // Raw mode means Ctrl-C never raises SIGINT here; one sent by `kill` would otherwise exit with the terminal raw.
    [process, 'SIGINT', onTerminate],
    [process, 'uncaughtException', onFatal],
    [process, 'unhandledRejection', onFatal],
  ];
  for (const [emitter, event, listener] of listeners) emitter.on(event, listener);
  enterTerminal();
  scheduleFrame();
  // The first predicted key would be the first call of its draw path, compiled then (2-3 ms against ~0.4 at 300 ms
  // RTT; key-draw-warmup.ts): run that path once now, a timer turn after the first datagram left, while the
  // server's first reply is on its way.
  if (prediction.mode !== 'never') runtime.setTimer(() => warmKeyDraw(size.cols, size.rows), 0);

  const exit = await session.done;
  watch?.stop();
  if (frameTimer !== undefined) runtime.clearTimer(frameTimer);
  predictionTimer.cancel();
  if (probeTimer !== undefined) runtime.clearTimer(probeTimer);
  savePrompts();
  if (exit.reason === 'remote-exit' && terminalActive) drawFrame(); // show the program's last words
  if (statusLineDrawn) drawSessionAlone();
  // Text: the rest of the history and the last screen's lines, however the session ended (the text a user read).
  if (!outputClosed) textOutput?.finish(session.scrollback, session.screen);
  // A closed terminal fails writes asynchronously (EIO as an 'error' event, after the listeners below are gone):
  // after a hang-up, however it was signalled, those errors are expected and must not crash the way out, which still
  // has the caller's bookkeeping to do (the local session list, the exit status).
  if (terminalGone || terminationSignal === 'SIGHUP') {
    // The caller's own last lines (tsmosh's notices) go to stderr, the same dead terminal.
    for (const stream of new Set([output, process.stderr])) stream.on('error', ignoreDeadTerminal);
    closeHungUpTerminalOnExit();
  }
  restoreTerminal();
  for (const [emitter, event, listener] of listeners) emitter.off(event, listener);
  input.pause();

  const message = outputClosed ? undefined : exitLine(exit, terminationSignal);
  if (message !== undefined) notice(`${message}\r\n`); // exit() left the cursor at the start of a fresh line
  const statsProblem = statsWriter?.finish();
  if (statsProblem !== undefined) notice(`${statsProblem}\r\n`);
  if (promptMemoryProblem !== undefined) notice(`${promptMemoryProblem}\r\n`);
  const exitCode = outputClosed ? EXIT_TSMOSH_FAILURE : exitStatusFor(exit, terminationSignal);
  return { exitCode, message, exit };
}
