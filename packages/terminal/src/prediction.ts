/**
 * Predictive local echo: show the likely effect of a keystroke at once, confirm it against the server's screen,
 * and erase a wrong guess within one round trip.
 *
 * The model is mosh's: every prediction carries the input stream position just past its keystroke; once the
 * server's echo acknowledgement reaches that position, the server's screen is the truth and
 * the prediction is judged. Predictions are grouped in epochs. A new epoch starts after anything the engine cannot
 * model (a control character, an escape sequence, a wrong guess), and an epoch is shown only after one of its
 * predictions has been confirmed by the server. So after Enter, typing at a password prompt or in vim's normal
 * mode is never displayed: nothing of that epoch is ever confirmed.
 *
 * Known prompts: a new epoch normally waits one round trip for its first confirmation, so the first keys of every
 * command after Enter appear late (on a 300 ms link, one or two keys per command). When the first printable key of
 * a new epoch is typed with nothing pending (the screen reflects all earlier input), the engine notes the row to
 * the left of the cursor; once that epoch is confirmed, that text is a known prompt: a place where this session has
 * shown that typing echoes. A later new epoch that starts at a known prompt (same text left of the cursor, nothing
 * to its right) is shown at once. A password prompt never echoed, so it is never known; text right of the cursor
 * (an editor's line, a box border) rules the rule out, which keeps vim's normal mode out of it.
 *
 * Where this goes past mosh: wide characters are predicted (with the server's own Unicode 11 widths), typing past
 * the last column wraps onto the next row as the terminal will instead of giving up (when that row is blank: one
 * that shows something belongs to a program that wraps its text itself), backspace at the start of a
 * soft-wrapped row goes back to the previous row, the thresholds compare the measured RTT itself (mosh compares
 * half of it, and starts from a 1 s guess, so every session began underlined), and the underline also goes away
 * once guesses have proven right on this link.
 */
import { charWidth } from './char-width.js';
import { Attr, BLANK_CELL, UNDERLINE_STYLE_MASK, type Cell, type Cursor, type Framebuffer, type Row } from './framebuffer.js';
import type { AnsweredCursor } from './screen-diff.js';

export type PredictionMode = 'adaptive' | 'always' | 'never' | 'experimental';
export const PREDICTION_MODES: readonly PredictionMode[] = ['adaptive', 'always', 'never', 'experimental'];

export function parsePredictionMode(text: string): PredictionMode {
  const mode = text.trim().toLowerCase();
  if ((PREDICTION_MODES as readonly string[]).includes(mode)) return mode as PredictionMode;
  throw new RangeError(`unknown prediction mode '${text}'; use one of: ${PREDICTION_MODES.join(', ')}`);
}

/** Adaptive display: predictions start showing when SRTT exceeds this (ms), as in mosh. Below it they are shown once
 * they have earned trust (TRUST_TO_SHOW_ON_FAST_LINK). */
export const SHOW_SRTT_HIGH_MS = 30;
/** …and stop showing when SRTT falls to this (ms) with nothing pending (hysteresis, so a jittery link does not flap). */
export const SHOW_SRTT_LOW_MS = 20;
/** Underline predictions when SRTT exceeds this (ms): a wrong guess would stay on screen that long, so mark it. */
export const FLAG_SRTT_HIGH_MS = 160;
/** Stop underlining for RTT reasons at or below this SRTT (ms). */
export const FLAG_SRTT_LOW_MS = 100;
/** Correct, credited guesses in a row after which a slow link alone no longer underlines (count): the guesses
 * have proven themselves on this link. A wrong guess resets the count. */
export const TRUST_TO_HIDE_UNDERLINE = 10;
/**
 * Correct, credited guesses in a row after which confirmed guesses are shown on a fast link too (count). mosh shows
 * nothing below 30 ms SRTT, so on loopback, a LAN or good Wi-Fi a key waits for its echo (a few ms here, more for
 * every lag spike of a wireless link before the glitch trigger). A guess that has been right this often in a row
 * costs nothing to show at once: if it is ever wrong, a fast link corrects it within a few ms (often inside one
 * refresh of the user's display), and the count starts again, so a program that breaks guesses goes back to
 * mosh's behaviour. Tentative epochs (after Enter, at a password prompt) are never shown, as on any link.
 */
export const TRUST_TO_SHOW_ON_FAST_LINK = 10;
/** A prediction unconfirmed for this long (ms) is a glitch: show predictions even on a fast link. */
export const GLITCH_THRESHOLD_MS = 250;
/** A prediction unconfirmed for this long (ms) means the link is in trouble: underline. */
export const GLITCH_FLAG_THRESHOLD_MS = 5000;
/** Quick confirmations (each under GLITCH_THRESHOLD_MS) needed to cure a glitch (count). */
export const GLITCH_REPAIR_COUNT = 10;
/** At most one glitch repair per this interval (ms), so a burst of fast keys cannot cure a bad link at once. */
export const GLITCH_REPAIR_MIN_INTERVAL_MS = 150;
/** Underline for this long (ms) after a shown guess turned out wrong. */
export const WRONG_GUESS_FLAG_MS = 3000;
/** Known prompts remembered (count, most recent first): enough for a few shells and directories in one session,
 * few enough that the list cannot grow with what scrolls past. */
export const KNOWN_PROMPTS_LIMIT = 16;
/** A single input chunk longer than this (bytes) is a paste, not typing: predict nothing (mosh uses 100). */
export const PASTE_THRESHOLD_BYTES = 100;
/**
 * How long (ms) a guess may wait for its echo after the server acknowledged its keystroke with the guessed cell
 * still unchanged: a shown guess stays up this long, a hidden one this long plus the smoothed RTT. The server
 * acknowledges a keystroke that got no answer within its echo timeout (50 ms, as mosh), and a program slower than
 * that (Claude Code redrawing its prompt on a busy machine) answers in a later frame, paced at most SRTT/2 behind.
 * Judging the guess wrong at the acknowledgement threw away a right guess, and with it the epoch it was to confirm;
 * taking a shown one down at once made every key of a slow program flicker. A program that never answers (a prompt
 * that stopped echoing) has its shown guess up for at most this long after the acknowledgement.
 */
export const UNECHOED_PATIENCE_MS = 250;
/**
 * Unacknowledged input chunks kept to re-predict from a newer screen (count): far more than the keys a person types
 * in one round trip, few enough that an outage cannot grow it without bound. Past it, nothing is re-predicted until
 * the server has acknowledged what was dropped.
 */
export const INPUT_LOG_LIMIT = 256;

interface CellPrediction {
  readonly row: number;
  readonly col: number;
  readonly replacement: Cell;
  /** What the cell showed before (server truth or an earlier guess): matching it proves nothing. */
  readonly original: Cell;
  /** The screen the guess was made on: where the echo went is what changed since. */
  readonly base: Framebuffer;
  /** Guessed from a located insertion point (see CursorPrediction.detached). */
  readonly detached: boolean;
  /** Guessed by shifting (insert mode) or unknowable: judged, but earns no credit. */
  readonly noCredit: boolean;
  /** The cell's true content is unknowable (what comes in at the edge during insert/delete): underline only. */
  readonly unknown: boolean;
  /** Changes only when a shown guess is hidden again to wait for its echo (hideUnechoed). */
  epoch: number;
  /** The input stream position just past the keystroke that made this guess: confirmed once echoAck reaches it. */
  readonly inputEnd: number;
  readonly time: number;
  /** When an acknowledgement first covered this guess while its cell still showed the original (ms). */
  unechoedSince?: number;
}

interface CursorPrediction {
  readonly row: number;
  /** May equal cols: the terminal's pending-wrap state after writing the last column (shown at cols - 1). */
  readonly col: number;
  /** Where the cursor was before this keystroke: a screen with the cursor still there has not answered it yet. */
  readonly fromRow: number;
  readonly fromCol: number;
  /** Where the server's screen had the cursor when the key was typed. */
  readonly screenRow: number;
  readonly screenCol: number;
  /**
   * Guessed from a located insertion point, not from the terminal's cursor, which the program keeps elsewhere: never
   * drawn, and judged by the cells, not by where the cursor is.
   */
  readonly detached: boolean;
  /** Changes only when a shown guess is hidden again to wait for its echo (hideUnechoed). */
  epoch: number;
  readonly inputEnd: number;
  readonly time: number;
  /** As for cells: covered by an acknowledgement while the cursor had not moved yet (ms). */
  unechoedSince?: number;
}

/** What the escape-sequence and UTF-8 parser was in the middle of, so input can be predicted again from a point. */
interface ParserSnapshot {
  readonly parser: ParserState;
  readonly csiParams: string;
  readonly pendingUtf8: readonly number[];
}

/** A chunk of the user's input the server has not acknowledged yet, kept to predict it again on a newer screen. */
interface LoggedInput {
  readonly bytes: Uint8Array;
  readonly inputEnd: number;
  readonly time: number;
  readonly parserBefore: ParserSnapshot;
  /** A paste: never predicted, and nothing after it can be until the server has acknowledged it. */
  readonly paste: boolean;
}

export interface PredictionStats {
  /** Printable keystrokes for which a guess was made. */
  predicted: number;
  /** Guesses confirmed by the server's screen. */
  confirmed: number;
  /** Guesses that were on screen and turned out wrong (erased). */
  erased: number;
  /** Guesses that were wrong but never shown (tentative epochs). */
  discardedUnshown: number;
  /** New epochs shown at once because they started at a known prompt. */
  knownPromptEpochs: number;
}

export interface PredictionEngineInit {
  readonly mode?: PredictionMode;
  /** Overwrite instead of insert semantics (mosh's --predict-overwrite). */
  readonly overwrite?: boolean;
  /**
   * Prompts whose echo an earlier client confirmed (most recent first; the client's prompt-memory.ts keeps them per
   * host): a new client shows its first keys at such a prompt at once instead of a round trip later.
   */
  readonly knownPrompts?: readonly string[];
}

/** A cell a displayed guess draws over the server's screen. */
export interface OverlayCell {
  readonly row: number;
  readonly col: number;
  readonly cell: Cell;
}

/** What the displayed guesses draw over a screen (PredictionEngine.overlay): at most one cell per position. */
export interface PredictionOverlay {
  readonly cells: readonly OverlayCell[];
  /** The cursor to draw: the screen's own object when no guess moves it. */
  readonly cursor: Cursor;
}

/** `screen` with `overlay` drawn on top; `screen` itself when the overlay changes nothing. */
export function withOverlay(screen: Framebuffer, overlay: PredictionOverlay): Framebuffer {
  if (overlay.cells.length === 0 && overlay.cursor === screen.cursor) return screen;
  const changedRows = new Map<number, Cell[]>();
  for (const { row, col, cell } of overlay.cells) {
    let cells = changedRows.get(row);
    if (cells === undefined) {
      cells = [...screen.lines[row]!.cells];
      changedRows.set(row, cells);
    }
    cells[col] = cell;
  }
  const lines = changedRows.size === 0 ? screen.lines : screen.lines.map((row, y): Row => {
    const cells = changedRows.get(y);
    return cells === undefined ? row : { cells, wrapped: row.wrapped };
  });
  return { ...screen, lines, cursor: overlay.cursor };
}

type ParserState = 'ground' | 'escape' | 'csi' | 'ss3';

export class PredictionEngine {
  readonly mode: PredictionMode;
  readonly overwrite: boolean;
  readonly stats: PredictionStats = { predicted: 0, confirmed: 0, erased: 0, discardedUnshown: 0, knownPromptEpochs: 0 };

  private cells = new Map<number, CellPrediction>();
  private cursors: CursorPrediction[] = [];
  private predictionEpoch = 1;
  private confirmedEpoch = 0;
  private srttTrigger = false;
  private srttFlag = false;
  private glitchTrigger = 0;
  private glitchFlag = false;
  private lastRepairAt = -Infinity;
  private lastWrongAt = -Infinity;
  private trust = 0;
  private parser: ParserState = 'ground';
  private csiParams = '';
  private pendingUtf8: number[] = [];
  /** Text left of the cursor where echoing was confirmed at the start of an epoch (most recent first). */
  private knownPrompts: string[] = [];
  /** The prompt the current tentative epoch started at (and the cell its first key went to), learned if the epoch is
   * confirmed or that key's echo is seen there (learnPromptFromEarlyEcho). */
  private candidatePrompt: { epoch: number; text: string; row: number; col: number } | undefined;
  private srttMs = 0;
  /**
   * Where typing goes in a program that hides the cursor away from its input line (an Ink app leaves it below its
   * last line), learned from where a typed character's echo appeared, and valid while the hidden cursor stays where
   * it was then.
   */
  private located: { row: number; col: number; cursorX: number; cursorY: number } | undefined;
  /** The last typed character guessed at the terminal's cursor was right there (see locateEcho). */
  private cursorProven = true;
  /** The guesses being made now come from a located insertion point (see CellPrediction.detached). */
  private guessingDetached = false;
  /** The row of the last typed character confirmed where the terminal's cursor was (see cursorMovedToEmptyRow). */
  private confirmedRow: number | undefined;
  /** The input the server has not acknowledged yet, oldest first (see repredict). */
  private inputLog: LoggedInput[] = [];
  /** Input up to this position was dropped from the log unacknowledged: no re-prediction until it is acknowledged. */
  private inputLogGapEnd = 0;
  /** Guesses were thrown away while later input was still unacknowledged: predict that input again. */
  private repredictWanted = false;
  private repredicting = false;
  /** A shown guess was judged wrong since the last reprediction (see repredictsAtAck). */
  private shownGuessWrong = false;
  /** The input being predicted again starts right at the acknowledged input, after unshown guesses only (see repredict). */
  private repredictAtAck = false;
  /** The echo ack of the last onServerScreen: a guess past it is newly covered by a later one (see answeredCursor). */
  private judgedAck = 0;

  constructor(init: PredictionEngineInit = {}) {
    this.mode = init.mode ?? 'adaptive';
    this.overwrite = init.overwrite ?? false;
    this.knownPrompts = (init.knownPrompts ?? []).filter((text) => text.trim() !== '').slice(0, KNOWN_PROMPTS_LIMIT);
  }

  /** The prompts known now, most recent first; a new array whenever the list changes. */
  get knownPromptTexts(): readonly string[] {
    return this.knownPrompts;
  }

  /** Feed the latest smoothed RTT (ms) so the adaptive triggers follow the link. */
  setRtt(srttMs: number): void {
    this.srttMs = srttMs;
    if (srttMs > SHOW_SRTT_HIGH_MS) this.srttTrigger = true;
    else if (srttMs <= SHOW_SRTT_LOW_MS && this.cells.size === 0 && this.cursors.length === 0) this.srttTrigger = false;
    if (srttMs > FLAG_SRTT_HIGH_MS) this.srttFlag = true;
    else if (srttMs <= FLAG_SRTT_LOW_MS) this.srttFlag = false;
  }

  /** Whether predictions are drawn now. */
  get displaying(): boolean {
    if (this.mode === 'never') return false;
    if (this.mode === 'always' || this.mode === 'experimental') return true;
    return this.srttTrigger || this.glitchTrigger > 0 || this.trust >= TRUST_TO_SHOW_ON_FAST_LINK;
  }

  /** Whether drawn predictions are underlined now. */
  underlined(now: number): boolean {
    return (this.srttFlag && this.trust < TRUST_TO_HIDE_UNDERLINE) || this.glitchFlag || now < this.lastWrongAt + WRONG_GUESS_FLAG_MS;
  }

  /** Forget every prediction and the input behind them (a resize, a repaint, a change of screen size). */
  reset(): void {
    this.dropGuesses();
    this.inputLog = [];
  }

  /**
   * The user typed `bytes`, which end at input stream position `inputEnd` (the server acknowledges their echo by
   * moving `echoAck` there). `screen` is the newest screen from the server.
   */
  onUserInput(bytes: Uint8Array, screen: Framebuffer, inputEnd: number, now: number): void {
    if (this.mode === 'never') return;
    const paste = bytes.length > PASTE_THRESHOLD_BYTES;
    this.logInput({ bytes, inputEnd, time: now, parserBefore: this.parserSnapshot(), paste });
    if (paste) {
      this.reset();
      this.parser = 'ground';
      this.csiParams = '';
      this.pendingUtf8 = [];
      return;
    }
    for (const byte of bytes) this.onByte(byte, screen, inputEnd, now);
  }

  /**
   * A new screen from the server, reflecting the user's input up to input state `echoAck`: judge predictions.
   * `answered`: the state carries its acknowledgement later than the screen that answered (the daemon holds an Enter's
   * acknowledgement for the answer frame that follows, screen-diff.ts AnsweredCursor): a cursor guess this call newly
   * covers up to `answered.upTo` is judged against that screen's cursor, as it was when the acknowledgement went in a
   * frame of its own, not against the command's output that came after.
   */
  onServerScreen(screen: Framebuffer, echoAck: number, now: number, answered?: AnsweredCursor): void {
    if (this.mode === 'never') return;
    const judgedAck = this.judgedAck;
    this.judgedAck = echoAck;
    let cursorRowEmpty: boolean | undefined;
    for (const prediction of [...this.cells.values()]) {
      if (!this.cells.has(key(prediction.row, prediction.col))) continue; // removed by an epoch kill below
      if (echoAck < prediction.inputEnd) {
        this.notePending(prediction.time, now);
        this.learnPromptFromEarlyEcho(prediction, screen);
        continue;
      }
      let verdict = judgeCell(prediction, screen);
      const typedHere = !prediction.noCredit && !isBlank(prediction.replacement);
      // Unanswered at a cursor that failed before, or that sits on an empty row where nothing is being typed (an Ink
      // app's, below its last line), and the character showed up elsewhere: no need to wait for the timeout.
      const cursorDoubtful = typedHere && (prediction.detached || !this.cursorProven || (cursorRowEmpty ??= cursorOnEmptyRow(screen)));
      if (verdict === 'unechoed' && cursorDoubtful && this.locateEcho(prediction, screen)) verdict = 'wrong';
      if (verdict === 'unechoed') {
        if (this.awaitEcho(prediction, now)) continue;
        verdict = 'wrong';
      }
      if (typedHere) {
        // Twice wrong at the terminal's cursor (or wrong at a located place, an Ink app's line cleared by Enter):
        // look for where the echo went. Once is not enough: a real wrong guess in a program streaming output
        // beside its prompt could match a character of the stream.
        if (verdict === 'wrong' && cursorDoubtful) this.locateEcho(prediction, screen);
        if (!prediction.detached && verdict !== 'no-credit') this.cursorProven = verdict === 'correct';
      }
      this.cells.delete(key(prediction.row, prediction.col));
      if (verdict === 'correct') {
        this.stats.confirmed++;
        if (typedHere && !prediction.detached) this.confirmedRow = prediction.row;
        this.trust++;
        if (prediction.epoch > this.confirmedEpoch) this.confirmedEpoch = prediction.epoch;
        if (this.candidatePrompt?.epoch === prediction.epoch) this.learnPrompt(this.candidatePrompt.text);
        if (now - prediction.time < GLITCH_THRESHOLD_MS && this.glitchTrigger > 0 && now - this.lastRepairAt >= GLITCH_REPAIR_MIN_INTERVAL_MS) {
          this.glitchTrigger--;
          this.lastRepairAt = now;
          if (this.glitchTrigger === 0) this.glitchFlag = false;
        }
      } else if (verdict === 'wrong') {
        this.onWrong(prediction.epoch, now);
      }
    }
    // The cursor: judge only the newest cursor guess the acknowledged input covers; older ones are superseded. The
    // acknowledgement is a lower bound: a screen sent between two acknowledgements may already show the echo of
    // later keys, so a cursor where a later guess put it is right too.
    const covered = this.cursors.filter((cursor) => cursor.inputEnd <= echoAck);
    const newestCovered = covered[covered.length - 1];
    this.cursors = this.cursors.filter((cursor) => cursor.inputEnd > echoAck);
    if (newestCovered?.detached === true) {
      // The cells were the test; the terminal's cursor says nothing here. Typing goes on from the guess.
      if (!screen.cursor.visible) this.located = { row: newestCovered.row, col: newestCovered.col, cursorX: screen.cursor.x, cursorY: screen.cursor.y };
    } else if (newestCovered !== undefined) {
      const carried = answered !== undefined && newestCovered.inputEnd > judgedAck && newestCovered.inputEnd <= answered.upTo;
      const judgeBy = carried ? answered : screen.cursor;
      const at = (row: number, col: number) => judgeBy.y === row && judgeBy.x === Math.min(col, screen.cols - 1);
      const right = at(newestCovered.row, newestCovered.col) || this.cursors.some((guess) => at(guess.row, guess.col));
      if (!right) {
        // Not answered yet: the cursor is still where it was before one of the keys not yet answered, as guessed
        // or as the server's screen had it when the key was typed. A later key's screen counts too: tmux blocked
        // beside a flood leaves the cursor in the flood's pane, and a key acknowledged on such a screen (the
        // daemon's hold on it ends after ECHO_AWAY_MAX_MS) is not answered there, though the screen then held it
        // when the next key was typed.
        const unmoved = [...covered, ...this.cursors].some((guess) => at(guess.fromRow, guess.fromCol) || at(guess.screenRow, guess.screenCol));
        if (unmoved && this.awaitEcho(newestCovered, now)) this.cursors.unshift(newestCovered);
        else this.onWrong(newestCovered.epoch, now);
      }
    }
    for (const cursor of this.cursors) this.notePending(cursor.time, now);
    while (this.inputLog.length > 0 && this.inputLog[0]!.inputEnd <= echoAck) this.inputLog.shift();
    if (this.repredictWanted) this.repredict(screen, echoAck);
  }

  /** The screen to draw: the server's screen with the displayable predictions on top. */
  apply(screen: Framebuffer, now: number): Framebuffer {
    return withOverlay(screen, this.overlay(screen, now));
  }

  /**
   * What `apply` draws over `screen`, without building a screen: the cells the displayable guesses show and the
   * cursor. Its cost follows the number of guesses, not the screen's size, so a keystroke's draw can write just
   * these cells (keystroke-draw.ts) while whole screens are built for the server's frames only.
   */
  overlay(screen: Framebuffer, now: number): PredictionOverlay {
    if (!this.displaying || (this.cells.size === 0 && this.cursors.length === 0)) return { cells: [], cursor: screen.cursor };
    const underline = this.underlined(now);
    const cells: OverlayCell[] = [];
    for (const prediction of this.cells.values()) {
      if (this.isTentative(prediction.epoch)) continue;
      if (prediction.row >= screen.rows || prediction.col >= screen.cols) continue;
      // One guess per position (the map's key), so the screen's cell here is still the screen's own.
      const under = screen.lines[prediction.row]!.cells[prediction.col]!;
      let cell = prediction.unknown ? under : prediction.replacement;
      const blankOverBlank = isBlank(cell) && isBlank(under);
      if ((underline || prediction.unknown) && !blankOverBlank) cell = { ...cell, attrs: cell.attrs | Attr.Underline };
      cells.push({ row: prediction.row, col: prediction.col, cell });
    }
    let cursor = screen.cursor;
    for (let i = this.cursors.length - 1; i >= 0; i--) {
      const guess = this.cursors[i]!;
      if (this.isTentative(guess.epoch)) continue;
      if (guess.detached) break; // the program keeps its cursor elsewhere, hidden: leave it there
      if (guess.row < screen.rows) cursor = { ...cursor, y: guess.row, x: Math.min(guess.col, screen.cols - 1) };
      break;
    }
    return { cells, cursor };
  }

  /**
   * When the engine next needs a call to `apply`/`onServerScreen` to update its triggers, or to give up on a guess
   * that waits for its echo (absolute ms).
   */
  nextWakeup(now: number): number {
    let earliest = Infinity;
    const consider = (guess: CellPrediction | CursorPrediction) => {
      // Each deadline on its own (no array per guess: this runs at every draw).
      if (guess.time + GLITCH_THRESHOLD_MS > now) earliest = Math.min(earliest, guess.time + GLITCH_THRESHOLD_MS);
      if (guess.time + GLITCH_FLAG_THRESHOLD_MS > now) earliest = Math.min(earliest, guess.time + GLITCH_FLAG_THRESHOLD_MS);
      // Only deadlines still ahead: a guess no acknowledgement covers now (a reattach starts the count again) waits.
      if (guess.unechoedSince !== undefined) {
        const quick = guess.unechoedSince + UNECHOED_PATIENCE_MS;
        const patient = guess.unechoedSince + this.unechoedPatience();
        if (quick > now) earliest = Math.min(earliest, quick);
        if (patient > now) earliest = Math.min(earliest, patient);
      }
    };
    for (const prediction of this.cells.values()) consider(prediction);
    for (const cursor of this.cursors) consider(cursor);
    if (now < this.lastWrongAt + WRONG_GUESS_FLAG_MS) earliest = Math.min(earliest, this.lastWrongAt + WRONG_GUESS_FLAG_MS);
    return earliest;
  }

  /** Number of guesses not yet judged (for tests and the status display). */
  get pendingCount(): number {
    return this.cells.size + this.cursors.length;
  }

  private notePending(time: number, now: number): void {
    // Compared as the sums that nextWakeup wakes at: `now - time` can fall just short of the threshold at that instant.
    if (now >= time + GLITCH_FLAG_THRESHOLD_MS) {
      this.glitchFlag = true;
      this.glitchTrigger = GLITCH_REPAIR_COUNT * 2;
    } else if (now >= time + GLITCH_THRESHOLD_MS && this.glitchTrigger < GLITCH_REPAIR_COUNT) {
      this.glitchTrigger = GLITCH_REPAIR_COUNT;
    }
  }

  private onWrong(epoch: number, now: number): void {
    if (this.mode === 'experimental') {
      // Experimental: the bad guess alone is dropped (already removed); the rest stays.
      this.stats.erased++;
      this.lastWrongAt = now;
      this.trust = 0;
      return;
    }
    // Either way the input after the wrong guess is predicted again from the screen that showed it wrong (see
    // repredict), in a new tentative epoch that must prove itself before it is shown.
    this.repredictWanted = true;
    if (this.isTentative(epoch)) {
      // Never shown: drop this epoch and everything after it, and make the next guesses prove themselves.
      this.stats.discardedUnshown++;
      for (const [cellKey, prediction] of this.cells) if (prediction.epoch >= epoch) this.cells.delete(cellKey);
      this.cursors = this.cursors.filter((cursor) => cursor.epoch < epoch);
      this.becomeTentative();
      return;
    }
    this.stats.erased++;
    this.lastWrongAt = now;
    this.trust = 0;
    this.shownGuessWrong = true;
    this.dropGuesses();
  }

  /**
   * An acknowledged guess the program has not answered yet (its cell, or the cursor, unchanged): whether it may go on
   * waiting for a later frame. Not contradicted, it waits hidden (a shown one is taken down after
   * UNECHOED_PATIENCE_MS, not left up on a promise). Thrown away, its place would be lost: the keys after it would be
   * guessed on a screen that lacks its echo, and so be wrong in turn. False once its patience has run out.
   */
  private awaitEcho(guess: CellPrediction | CursorPrediction, now: number): boolean {
    guess.unechoedSince ??= now;
    const waited = now - guess.unechoedSince;
    if (this.mode === 'experimental' || waited >= this.unechoedPatience()) return false;
    if (!this.isTentative(guess.epoch) && waited >= UNECHOED_PATIENCE_MS) {
      this.hideUnechoed(guess.epoch, now);
      guess.epoch = this.predictionEpoch; // a cursor guess is out of the list while it is judged
    }
    return true;
  }

  /**
   * A shown guess is still unanswered UNECHOED_PATIENCE_MS after its keystroke was acknowledged: take it and every
   * later guess off the screen (the user sees what mosh shows for a wrong guess), but keep them in a new tentative
   * epoch, to be shown again once the echo confirms one, or judged wrong when the rest of the patience runs out.
   */
  private hideUnechoed(epoch: number, now: number): void {
    this.stats.erased++;
    this.shownGuessWrong = true;
    this.lastWrongAt = now;
    this.trust = 0;
    this.becomeTentative();
    for (const prediction of this.cells.values()) if (prediction.epoch >= epoch) prediction.epoch = this.predictionEpoch;
    for (const cursor of this.cursors) if (cursor.epoch >= epoch) cursor.epoch = this.predictionEpoch;
  }

  private dropGuesses(): void {
    this.cells.clear();
    this.cursors = [];
    this.becomeTentative();
  }

  private unechoedPatience(): number {
    return this.srttMs + UNECHOED_PATIENCE_MS;
  }

  private logInput(entry: LoggedInput): void {
    this.inputLog.push(entry);
    if (this.inputLog.length > INPUT_LOG_LIMIT) this.inputLogGapEnd = this.inputLog.shift()!.inputEnd;
  }

  private parserSnapshot(): ParserSnapshot {
    return { parser: this.parser, csiParams: this.csiParams, pendingUtf8: [...this.pendingUtf8] };
  }

  /**
   * Predicts the unacknowledged input that has no guess left, from `screen` (which reflects the input up to
   * `echoAck`). A wrong guess throws away the guesses typed after it, and keys typed before the next screen would
   * otherwise be placed on a screen one round trip old, missing the keys still in flight: every such guess is wrong
   * in turn, and on a long link a steady typist never saw a prediction again (issue 12: whole Claude Code sessions
   * without one). This is a game client's reconciliation: the server's state, plus the inputs it has not seen.
   */
  private repredict(screen: Framebuffer, echoAck: number): void {
    this.repredictWanted = false;
    const shownGuessWrong = this.shownGuessWrong;
    this.shownGuessWrong = false;
    if (this.mode === 'experimental' || echoAck < this.inputLogGapEnd) return;
    let predictedUpTo = echoAck;
    for (const prediction of this.cells.values()) predictedUpTo = Math.max(predictedUpTo, prediction.inputEnd);
    for (const cursor of this.cursors) predictedUpTo = Math.max(predictedUpTo, cursor.inputEnd);
    const todo = this.inputLog.filter((entry) => entry.inputEnd > predictedUpTo);
    if (todo.length === 0) return;
    const live = this.parserSnapshot();
    this.restoreParser(todo[0]!.parserBefore);
    this.repredicting = true;
    try {
      for (const entry of todo) {
        if (entry.paste) break;
        this.repredictAtAck = entry === todo[0] && repredictsAtAck(entry, echoAck, shownGuessWrong);
        for (const byte of entry.bytes) this.onByte(byte, screen, entry.inputEnd, entry.time);
      }
    } finally {
      this.repredicting = false;
      this.repredictAtAck = false;
      this.restoreParser(live);
    }
  }

  private restoreParser(snapshot: ParserSnapshot): void {
    this.parser = snapshot.parser;
    this.csiParams = snapshot.csiParams;
    this.pendingUtf8 = [...snapshot.pendingUtf8];
  }

  private isTentative(epoch: number): boolean {
    return epoch > this.confirmedEpoch;
  }

  private becomeTentative(): void {
    if (this.mode === 'experimental') {
      this.predictionEpoch = this.confirmedEpoch;
      return;
    }
    this.predictionEpoch++;
  }

  private onByte(byte: number, screen: Framebuffer, inputEnd: number, now: number): void {
    if (this.mode === 'experimental') this.predictionEpoch = this.confirmedEpoch;
    switch (this.parser) {
      case 'escape':
        if (byte === 0x5b) {
          this.parser = 'csi';
          this.csiParams = '';
        } else if (byte === 0x4f) {
          this.parser = 'ss3';
        } else {
          this.parser = 'ground';
          this.becomeTentative();
        }
        return;
      case 'csi':
        if (byte >= 0x40 && byte <= 0x7e) {
          this.parser = 'ground';
          this.onCsi(String.fromCharCode(byte), this.csiParams, screen, inputEnd, now);
        } else if (this.csiParams.length < 32) {
          this.csiParams += String.fromCharCode(byte);
        }
        return;
      case 'ss3':
        this.parser = 'ground';
        this.onCsi(String.fromCharCode(byte), '', screen, inputEnd, now);
        return;
      case 'ground':
        break;
    }
    if (this.pendingUtf8.length > 0 || byte >= 0x80) {
      this.onUtf8Byte(byte, screen, inputEnd, now);
      return;
    }
    if (byte === 0x1b) {
      this.parser = 'escape';
      return;
    }
    if (byte === 0x7f || byte === 0x08) return this.onBackspace(screen, inputEnd, now);
    if (byte === 0x0d) return this.onCarriageReturn(screen, inputEnd, now);
    if (byte < 0x20) return this.becomeTentative();
    this.onPrintable(String.fromCharCode(byte), 1, screen, inputEnd, now);
  }

  private onUtf8Byte(byte: number, screen: Framebuffer, inputEnd: number, now: number): void {
    if (this.pendingUtf8.length === 0) {
      if (byte >= 0xc2 && byte <= 0xf4) this.pendingUtf8.push(byte);
      else this.becomeTentative(); // a stray continuation or invalid lead byte: the app will show something odd
      return;
    }
    if ((byte & 0xc0) !== 0x80) {
      this.pendingUtf8 = [];
      this.becomeTentative();
      this.onByte(byte, screen, inputEnd, now);
      return;
    }
    this.pendingUtf8.push(byte);
    const lead = this.pendingUtf8[0]!;
    const needed = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    if (this.pendingUtf8.length < needed) return;
    const text = new TextDecoder('utf-8', { fatal: false }).decode(new Uint8Array(this.pendingUtf8));
    this.pendingUtf8 = [];
    const codePoint = text.codePointAt(0)!;
    const width = charWidth(codePoint);
    if (width === 0) return this.becomeTentative(); // combining marks attach to a cell we cannot be sure of
    this.onPrintable(text, width, screen, inputEnd, now);
  }

  private onCsi(final: string, params: string, screen: Framebuffer, inputEnd: number, now: number): void {
    const simple = params === '' || params === '1';
    if ((final === 'C' || final === 'D') && simple) {
      const cursor = this.currentCursor(screen);
      if (cursor.col >= screen.cols) return this.becomeTentative();
      let col = cursor.col;
      if (final === 'C') {
        const here = this.displayedCell(screen, cursor.row, col);
        col = Math.min(col + (here.width === 2 ? 2 : 1), screen.cols - 1);
      } else if (col > 0) {
        col -= 1;
        if (col > 0 && this.displayedCell(screen, cursor.row, col).width === 0) col -= 1;
      }
      this.pushCursor(screen, cursor.row, col, inputEnd, now, cursor);
      return;
    }
    this.becomeTentative();
  }

  private onCarriageReturn(screen: Framebuffer, inputEnd: number, now: number): void {
    this.becomeTentative();
    const cursor = this.currentCursor(screen);
    // At the bottom row the terminal would scroll; scrolling is not predicted. Nor is where a program that keeps
    // its own insertion point goes on Enter.
    if (cursor.row + 1 < screen.rows && !cursor.detached) this.pushCursor(screen, cursor.row + 1, 0, inputEnd, now, cursor);
  }

  private onBackspace(screen: Framebuffer, inputEnd: number, now: number): void {
    const cursor = this.currentCursor(screen);
    this.guessingDetached = cursor.detached;
    if (cursor.col >= screen.cols) return this.becomeTentative(); // pending-wrap: terminals disagree on where BS goes
    if (cursor.col === 0) {
      // Line editors move back onto a soft-wrapped previous row; anything else at column 0 is unpredictable.
      if (cursor.row > 0 && screen.lines[cursor.row - 1]!.wrapped) {
        this.becomeTentative();
        this.putCell(screen, cursor.row - 1, screen.cols - 1, BLANK_CELL, false, false, inputEnd, now);
        this.pushCursor(screen, cursor.row - 1, screen.cols - 1, inputEnd, now, cursor);
      } else {
        this.becomeTentative();
      }
      return;
    }
    let target = cursor.col - 1;
    let width = 1;
    if (target > 0 && this.displayedCell(screen, cursor.row, target).width === 0) {
      target -= 1;
      width = 2;
    }
    // At the end of the text (a blank under the cursor) the deleted character just goes: shifting the rest of the row
    // left would pull a box's right border in with it.
    if (this.overwrite || isBlank(this.displayedCell(screen, cursor.row, cursor.col))) {
      for (let x = target; x < target + width; x++) this.putCell(screen, cursor.row, x, BLANK_CELL, false, false, inputEnd, now);
    } else {
      const row = this.displayedRow(screen, cursor.row);
      for (let x = target; x < screen.cols; x++) {
        const source = x + width < screen.cols ? row[x + width]! : undefined;
        // The cells that come in from beyond the right edge are unknowable (the app may have more text).
        if (source === undefined) this.putCell(screen, cursor.row, x, BLANK_CELL, true, true, inputEnd, now);
        else this.putCell(screen, cursor.row, x, source, true, false, inputEnd, now);
      }
    }
    this.pushCursor(screen, cursor.row, target, inputEnd, now, cursor);
  }

  private onPrintable(text: string, width: 1 | 2, screen: Framebuffer, inputEnd: number, now: number): void {
    const from = this.currentCursor(screen);
    this.guessingDetached = from.detached;
    let { row, col } = from;
    if (col >= screen.cols || (width === 2 && col === screen.cols - 1)) {
      // The character goes to the start of the next row, as the terminal will wrap it; at the bottom row the
      // screen would scroll, which is not predicted.
      if (row + 1 >= screen.rows) return this.becomeTentative();
      // Where the next row already shows something, the program draws below the line being typed (an editor's next
      // line, a prompt box's border under Claude Code's input) and wraps the text itself, elsewhere: a guess at the
      // next row's start would overwrite what it shows until the echo came.
      if (!this.displayedRow(screen, row + 1).every(isBlank)) return this.becomeTentative();
      row += 1;
      col = 0;
    }
    if (!this.repredicting) this.stats.predicted++;
    if (this.cursorMovedToEmptyRow(screen, from)) this.becomeTentative();
    this.considerKnownPrompt(screen, row, col);
    const left = col > 0 ? this.displayedCell(screen, row, col - 1) : this.displayedCell(screen, row, col);
    // The left cell's pen without its underline (style bits included): the guess's own underline, when shown, is
    // the engine's single one, not whatever style the program used beside it.
    const rendition = { fg: left.fg, bg: left.bg, attrs: left.attrs & ~(Attr.Underline | UNDERLINE_STYLE_MASK) };
    if (!this.overwrite && !isBlank(this.displayedCell(screen, row, col))) {
      // Insert semantics: the rest of the row moves right by the character's width; what falls off the edge
      // and what the last cells become is unknowable. Typing at the end of the text (a blank under the cursor)
      // moves nothing: a box's right border or a status column stays where the program keeps it.
      const rowCells = this.displayedRow(screen, row);
      for (let x = screen.cols - 1; x >= col + width; x--) {
        const source = rowCells[x - width]!;
        const unknown = x >= screen.cols - width;
        this.putCell(screen, row, x, source, true, unknown, inputEnd, now);
      }
    }
    this.putCell(screen, row, col, { text, width, ...rendition }, false, false, inputEnd, now);
    if (width === 2 && col + 1 < screen.cols) this.putCell(screen, row, col + 1, { text: '', width: 0, ...rendition }, true, false, inputEnd, now);
    this.pushCursor(screen, row, col + width, inputEnd, now, from);
  }

  /**
   * A typed character about to be guessed at the terminal's cursor (nothing pending) in a confirmed epoch, where the
   * program, not the user's typing, has moved the cursor: to column 0 of an empty row other than the row the last
   * confirmed key was on. tmux redrawing a flood's pane leaves screens like that between its writes (the cursor at
   * the start of the pane's emptied last row), and a key typed on one was guessed there, shown, and erased when its
   * echo came in the other pane (docs/benchmarks-journal.md, the thin link in every seed: seed 42). Typing at the start of a
   * new empty row happens after Enter, which starts a tentative epoch anyway. Such a guess starts a tentative epoch
   * instead: shown once confirmed, and if the echo is elsewhere dropped unshown and predicted again. A hidden cursor
   * (an Ink app's, below its last line) is left to locateEcho.
   */
  private cursorMovedToEmptyRow(screen: Framebuffer, from: { row: number; col: number; detached: boolean }): boolean {
    if (from.detached || from.col !== 0 || !screen.cursor.visible || this.cells.size > 0 || this.cursors.length > 0) return false;
    if (this.isTentative(this.predictionEpoch) || this.confirmedRow === undefined || from.row === this.confirmedRow) return false;
    const cells = screen.lines[from.row]?.cells;
    return cells !== undefined && cells.every(isBlank);
  }

  /**
   * At the first printable key of a tentative epoch, with nothing pending: show the epoch at once if it starts at a
   * known prompt, else remember where it started so that a confirmation can make it known.
   */
  private considerKnownPrompt(screen: Framebuffer, row: number, col: number): void {
    // Not for input predicted again after a wrong guess: that guess just showed the place cannot be trusted. Unless
    // the key is the first input the screen has not answered, and only unshown guesses were wrong (repredictsAtAck).
    if ((this.repredicting && !this.repredictAtAck) || !this.isTentative(this.predictionEpoch) || this.cells.size > 0 || this.cursors.length > 0) return;
    if (this.candidatePrompt?.epoch === this.predictionEpoch) return;
    const text = promptText(screen, row, col);
    if (text === undefined) return;
    if (this.knownPrompts.includes(text)) {
      this.confirmedEpoch = this.predictionEpoch;
      this.stats.knownPromptEpochs++;
      this.learnPrompt(text);
      return;
    }
    this.candidatePrompt = { epoch: this.predictionEpoch, text, row, col };
  }

  /**
   * A screen not yet acknowledged for `prediction`'s key shows it right at the cell a candidate prompt's first key
   * went to: typing at that prompt echoes, which is all a known prompt needs. The epoch still waits for its
   * acknowledgement. A command typed in one piece with its Enter (a paste, a quick typist, the thin-link bench) is
   * acknowledged once its output settles, or 50 ms after it: beside a flood that is on a screen where the output has
   * scrolled the echo away, the epoch is judged wrong and the prompt was never learned (docs/benchmarks-journal.md, "The thin
   * link's first key, traced").
   */
  private learnPromptFromEarlyEcho(prediction: CellPrediction, screen: Framebuffer): void {
    const candidate = this.candidatePrompt;
    if (candidate?.epoch !== prediction.epoch || prediction.row !== candidate.row || prediction.col !== candidate.col) return;
    if (!prediction.noCredit && !prediction.detached && judgeCell(prediction, screen) === 'correct') this.learnPrompt(candidate.text);
  }

  private learnPrompt(text: string): void {
    if (this.knownPrompts[0] === text) {
      this.candidatePrompt = undefined;
      return;
    }
    this.knownPrompts = [text, ...this.knownPrompts.filter((known) => known !== text)].slice(0, KNOWN_PROMPTS_LIMIT);
    this.candidatePrompt = undefined;
  }

  private putCell(screen: Framebuffer, row: number, col: number, replacement: Cell, noCredit: boolean, unknown: boolean, inputEnd: number, now: number): void {
    if (row >= screen.rows || col >= screen.cols) return;
    const cellKey = key(row, col);
    const original = this.displayedCell(screen, row, col);
    this.cells.set(cellKey, { row, col, replacement, original, base: screen, detached: this.guessingDetached, noCredit, unknown, epoch: this.predictionEpoch, inputEnd, time: now });
  }

  private pushCursor(screen: Framebuffer, row: number, col: number, inputEnd: number, now: number, from: { row: number; col: number; detached: boolean }): void {
    this.cursors.push({ row, col, fromRow: from.row, fromCol: from.col, screenRow: screen.cursor.y, screenCol: screen.cursor.x, detached: from.detached, epoch: this.predictionEpoch, inputEnd, time: now });
  }

  private currentCursor(screen: Framebuffer): { row: number; col: number; detached: boolean } {
    const last = this.cursors[this.cursors.length - 1];
    if (last !== undefined) return { row: last.row, col: last.col, detached: last.detached };
    const located = this.located;
    if (located !== undefined && !screen.cursor.visible && screen.cursor.x === located.cursorX && screen.cursor.y === located.cursorY && located.row < screen.rows && located.col <= screen.cols) {
      return { row: located.row, col: located.col, detached: true };
    }
    return { row: Math.min(screen.cursor.y, screen.rows - 1), col: Math.min(screen.cursor.x, screen.cols - 1), detached: false };
  }

  /**
   * A typed character's guess was not answered where it was made: if the cursor is hidden and the character appeared
   * elsewhere since the guess was made, typing goes there, while the hidden cursor stays where it is now. Claude
   * Code keeps its hidden cursor at the insertion point, so its guesses are right where they are and do not come
   * here; an Ink app leaves it below its last line.
   */
  private locateEcho(prediction: CellPrediction, screen: Framebuffer): boolean {
    if (screen.cursor.visible) return false;
    const { x: cursorX, y: cursorY } = screen.cursor;
    const base = prediction.base;
    if (base.rows !== screen.rows || base.cols !== screen.cols) return false;
    let found: { row: number; col: number } | undefined;
    for (let y = 0; y < screen.rows; y++) {
      const before = base.lines[y]!.cells;
      const after = screen.lines[y]!.cells;
      if (before === after) continue;
      for (let x = 0; x < screen.cols; x++) {
        // The last such cell in reading order: typing moves right and down.
        if (!sameContents(before[x]!, after[x]!) && sameContents(after[x]!, prediction.replacement)) found = { row: y, col: x };
      }
    }
    if (found === undefined) return false;
    this.located = { row: found.row, col: found.col + prediction.replacement.width, cursorX, cursorY };
    return true;
  }

  private displayedCell(screen: Framebuffer, row: number, col: number): Cell {
    return this.cells.get(key(row, col))?.replacement ?? screen.lines[row]?.cells[col] ?? BLANK_CELL;
  }

  private displayedRow(screen: Framebuffer, row: number): Cell[] {
    const cells: Cell[] = [];
    for (let x = 0; x < screen.cols; x++) cells.push(this.displayedCell(screen, row, x));
    return cells;
  }
}

/**
 * Whether input predicted again after a wrong guess may start a new epoch at a known prompt (considerKnownPrompt), as
 * a key typed just after this screen would: it is the first input the screen has not answered (it starts right at the
 * acknowledgement), it begins with a printable byte (an arrow key or Ctrl-U before it would change the line first),
 * and no shown guess was wrong (then the place just proved untrustworthy). tmux's Ctrl-B o is the case: the pane
 * switch reaches the client before the acknowledgement, whose flood never settles (50 ms), and a key typed in
 * between was guessed after the `o`'s guess, in the other pane (docs/benchmarks-journal.md, "The thin link's first key, traced").
 */
function repredictsAtAck(entry: LoggedInput, echoAck: number, shownGuessWrong: boolean): boolean {
  const first = entry.bytes[0];
  return !shownGuessWrong && entry.inputEnd - entry.bytes.length === echoAck && entry.parserBefore.parser === 'ground' && entry.parserBefore.pendingUtf8.length === 0 && first !== undefined && first >= 0x20 && first !== 0x7f;
}

function key(row: number, col: number): number {
  return row * 65536 + col;
}

/**
 * The row's text left of the cursor when it can be a prompt: something visible there and nothing from the cursor to
 * the end of the row. Undefined otherwise.
 */
function promptText(screen: Framebuffer, row: number, col: number): string | undefined {
  const cells = screen.lines[row]?.cells;
  if (cells === undefined || col <= 0 || col >= cells.length) return undefined;
  for (let x = col; x < cells.length; x++) if (!isBlank(cells[x]!)) return undefined;
  let text = '';
  let visible = false;
  for (let x = 0; x < col; x++) {
    const cell = cells[x]!;
    if (cell.width === 0) continue;
    text += cell.text === '' ? ' ' : cell.text;
    if (!isBlank(cell)) visible = true;
  }
  return visible ? text : undefined;
}

/** The hidden cursor is on a row with nothing on it: no one is typing there. */
function cursorOnEmptyRow(screen: Framebuffer): boolean {
  if (screen.cursor.visible) return false;
  const cells = screen.lines[screen.cursor.y]?.cells;
  return cells !== undefined && cells.every(isBlank);
}

function isBlank(cell: Cell): boolean {
  return (cell.text === '' || cell.text === ' ') && cell.width !== 0;
}

function sameContents(a: Cell, b: Cell): boolean {
  const textA = a.text === '' ? ' ' : a.text;
  const textB = b.text === '' ? ' ' : b.text;
  return textA === textB && a.width === b.width;
}

/**
 * correct: the cell shows the guess (and did not before); unechoed: it still shows what it did before the key, the
 * program has not drawn its answer; wrong: it shows something else.
 */
function judgeCell(prediction: CellPrediction, screen: Framebuffer): 'correct' | 'no-credit' | 'unechoed' | 'wrong' {
  if (prediction.row >= screen.rows || prediction.col >= screen.cols) return 'wrong';
  if (prediction.unknown) return 'no-credit';
  const actual = screen.lines[prediction.row]!.cells[prediction.col]!;
  // A blank guess proves nothing either way (apps such as zsh with autosuggestions draw right of the cursor), and
  // cells guessed by shifting the rest of the row are dropped quietly when wrong: only the typed character itself
  // can be a wrong guess that costs the epoch.
  if (isBlank(prediction.replacement) || prediction.noCredit) return 'no-credit';
  if (!sameContents(actual, prediction.replacement)) return sameContents(actual, prediction.original) ? 'unechoed' : 'wrong';
  if (sameContents(actual, prediction.original)) return 'no-credit';
  // The server's screen already showed this character here when the key was typed (typing into text the guess
  // shifts right, the next letter the same as the one there): a screen that never echoed matches too, so it proves
  // nothing (it confirmed a wrong epoch in the property test below, seed -1537768109: 'a' then 'e' into "hello").
  const before = prediction.base.lines[prediction.row]?.cells[prediction.col];
  if (before !== undefined && sameContents(actual, before)) return 'no-credit';
  return 'correct';
}
