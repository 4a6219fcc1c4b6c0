/**
 * Wrong guesses on display: how often a client showed a prediction that then had to be erased, read off the screen
 * alone, so the same rule applies to tsmosh, mosh and ssh.
 *
 * The rule. While the user types a run of typing keys (printable and backspace, between two keys of another kind:
 * Enter, vim's normal-mode keys), every screen the client shows must be one the program itself would show at some
 * point of that run: the reference screen before the run's first key, or the reference screen after a key of the run
 * already typed (reference screens: replay.ts's reference run, one key at a time in a local pty). A correct
 * prediction shows exactly such a screen, only sooner; a late echo shows an older one. A screen outside that set is
 * a guess on display that the program's real echo will contradict: a prediction that has to be erased.
 *
 * Legitimate screens that are in no reference are kept out by construction rather than by thresholds:
 * - the output of a command arrives after its Enter, and Enter closes the run: only screens shown between a run's
 *   first typing key and the next other key are judged;
 * - a run is judged only if the key before it (an Enter, a mode change) was already on screen when the run began,
 *   so late output of that key cannot fall into the run (runs after a key that never appeared are left unjudged);
 * - a spinner, the outage notice of mosh and tsmosh (row 0) and whatever the trace's screen rule leaves out (rows,
 *   a status line in its known forms, everything outside an app's prompt box: ScreenRule in screen.ts) are not
 *   compared (the same sameScreen as the latency measurement);
 * - text attributes (the underline of a flagged prediction) are not compared: snapshots are text and cursor only.
 * ssh predicts nothing, so its count is the control: anything found there is a screen the rule mistook.
 *
 * The share. A typing key counts as guessed on screen when its effect was shown sooner than the link's round-trip
 * delay after it was typed (the link model never delivers early, so its echo could not have come back yet: the
 * client drew it on its own), or when it was typed and not yet correctly on screen while a wrong screen was up (a
 * wrong guess involving it). erased share = keys involved in wrong screens ÷ keys guessed on screen. On a link
 * without delay (loopback) the two cannot be told apart and the share is not defined; the episodes still count.
 */
import { sameScreen, sameText, type ScreenRule, type ScreenSnapshot } from './screen.js';
import type { KeyKind } from './trace.js';

/** A distinct screen the client showed, and when (ms, the same clock as the keys' send times). */
export interface ScreenChange {
  readonly at: number;
  readonly screen: ScreenSnapshot;
}

export interface WrongGuessInput {
  /** Kind of each key of the trace. */
  readonly kinds: readonly KeyKind[];
  /** The reference run: the screen before the first key and after each key. */
  readonly initial: ScreenSnapshot;
  readonly afterKey: readonly ScreenSnapshot[];
  /** Keys whose reference screen equals the one before (a password prompt): nothing to show, nothing to time. */
  readonly invisible: readonly boolean[];
  /** What of a screen is compared (the trace's rule, the same as the latency measurement's: see ScreenRule). */
  readonly screenRule: ScreenRule;
  /** When each key was typed; keys not typed (a run cut short) are absent. */
  readonly sentAt: readonly number[];
  /** When each key counted as correctly on screen (replay.ts), undefined if never. */
  readonly shownAt: ReadonlyArray<number | undefined>;
  /** Every distinct screen shown from the first key on, in order. */
  readonly changes: readonly ScreenChange[];
  /** The link's fixed round-trip delay (ms); 0 on a link without delay. */
  readonly rttMs: number;
}

export interface WrongGuessEpisode {
  /** When the first wrong screen was shown (ms, the keys' clock). */
  readonly startAt: number;
  /** When a right screen came back; undefined if the run ended (next non-typing key) while it was still wrong. */
  readonly endAt: number | undefined;
  /** Typing keys typed before the episode ended and not yet correctly on screen when it began. */
  readonly keys: readonly number[];
  /** Every wrong screen of the episode had a right text and only the cursor elsewhere. */
  readonly cursorOnly: boolean;
  /** The first wrong screen, for diagnosis. */
  readonly screen: ScreenSnapshot;
}

export interface WrongGuessReport {
  /** Typing keys in judged runs. */
  readonly judgedKeys: number;
  /** Runs of typing keys not judged because the key before them never appeared in time. */
  readonly unjudgedRuns: number;
  /** Visible typing keys shown correctly sooner than the link's round-trip delay. */
  readonly shownBeforeEcho: number;
  readonly episodes: readonly WrongGuessEpisode[];
  /** Typing keys involved in at least one episode. */
  readonly wrongKeys: number;
  /** Keys shown before their echo could return, or involved in a wrong screen (the union). */
  readonly guessedKeys: number;
  /** wrongKeys ÷ guessedKeys; NaN when nothing was guessed or the link has no delay. */
  readonly erasedShare: number;
}

export function detectWrongGuesses(input: WrongGuessInput): WrongGuessReport {
  const { kinds, sentAt, shownAt, changes, screenRule } = input;
  const typed = sentAt.length;
  const episodes: WrongGuessEpisode[] = [];
  const wrong = new Set<number>();
  const early = new Set<number>();
  let judgedKeys = 0;
  let unjudgedRuns = 0;

  for (let first = 0; first < typed; first++) {
    if (kinds[first] !== 'typing' || (first > 0 && kinds[first - 1] === 'typing')) continue;
    let last = first;
    while (last + 1 < typed && kinds[last + 1] === 'typing') last++;
    // The screen must already show the key before the run (for the first key, runTrace waited for the start screen).
    const before = first === 0 ? input.initial : input.afterKey[first - 1]!;
    const previousShown = first === 0 ? sentAt[0]! : shownAt[first - 1];
    if (previousShown === undefined || previousShown > sentAt[first]!) {
      unjudgedRuns++;
      continue;
    }
    judgedKeys += last - first + 1;
    for (let k = first; k <= last; k++) {
      const shown = shownAt[k];
      if (input.rttMs > 0 && input.invisible[k] !== true && shown !== undefined && shown - sentAt[k]! < input.rttMs) early.add(k);
    }
    const windowStart = sentAt[first]!;
    const windowEnd = last + 1 < typed ? sentAt[last + 1]! : Infinity;

    let open: { startAt: number; cursorOnly: boolean; screen: ScreenSnapshot } | undefined;
    /** The last right screen of the run so far; undefined while the run has shown none (the screen before it was right). */
    let lastRightAt: number | undefined;
    const close = (endAt: number | undefined): void => {
      if (open === undefined) return;
      const until = endAt ?? windowEnd;
      const keys: number[] = [];
      for (let k = first; k <= last && sentAt[k]! < until; k++) {
        const shown = shownAt[k];
        // Not yet right on screen when the episode began, or typed since the last right screen: an invisible key
        // (a password prompt) counts as shown the moment it is typed, so only the second test catches its leaked echo.
        if (shown === undefined || shown > open.startAt || lastRightAt === undefined || sentAt[k]! > lastRightAt) keys.push(k);
      }
      for (const k of keys) wrong.add(k);
      episodes.push({ startAt: open.startAt, endAt, keys, cursorOnly: open.cursorOnly, screen: open.screen });
      open = undefined;
    };
    for (const change of changes) {
      if (change.at < windowStart) continue;
      if (change.at >= windowEnd) break;
      // Allowed: the screen before the run, or after any key of the run typed by now.
      const candidates = [before];
      for (let k = first; k <= last && sentAt[k]! <= change.at; k++) candidates.push(input.afterKey[k]!);
      if (candidates.some((screen) => sameScreen(change.screen, screen, screenRule))) {
        close(change.at);
        lastRightAt = change.at;
        continue;
      }
      const cursorOnly = candidates.some((screen) => sameText(change.screen, screen, screenRule));
      if (open === undefined) open = { startAt: change.at, cursorOnly, screen: change.screen };
      else open.cursorOnly &&= cursorOnly;
    }
    close(undefined);
  }

  const guessed = new Set([...early, ...wrong]);
  return {
    judgedKeys,
    unjudgedRuns,
    shownBeforeEcho: early.size,
    episodes,
    wrongKeys: wrong.size,
    guessedKeys: guessed.size,
    erasedShare: input.rttMs > 0 && guessed.size > 0 ? wrong.size / guessed.size : NaN,
  };
}
