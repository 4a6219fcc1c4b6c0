/**
 * Replaying a trace and timing each key until its effect is on screen.
 *
 * The expected effect of every key comes from a reference run: the trace's program in a local pty, no network,
 * each key typed only after the previous one's output has settled, and the screen recorded after each. In a
 * measured run keys go out at the trace's human pace, several may be in flight, and a key counts as on screen at
 * the first screen change after which the screen equals the reference screen of that key or of a later key already
 * typed (then every earlier key counts as shown too). Only changes are considered, so a screen that merely still
 * looks like an older state (a typo and its backspace both in flight) is not mistaken for their effect.
 */
import { performance } from 'node:perf_hooks';
import { harnessTraceFrom, type HarnessTrace } from './harness-trace.js';
import { sameScreen, type ScreenProgram, type ScreenSnapshot } from './screen.js';
import { screenRuleOf, type Trace } from './trace.js';

/** Quiet time that ends a reference key (ms): a local program answers in well under this. */
const REFERENCE_QUIET_MS = 150;
/** Bound on one reference key (ms): only a broken program takes this long locally. */
const REFERENCE_KEY_TIMEOUT_MS = 5000;
/** Bound on an app drawing its first screen in the reference run (ms): Claude Code starts in 2–6 s on a busy machine. */
const APP_START_TIMEOUT_MS = 60_000;

export interface Reference {
  /** The screen once the program has started and the trace's set-up keys have been typed. */
  readonly initial: ScreenSnapshot;
  /** The screen after each key of the trace. */
  readonly afterKey: readonly ScreenSnapshot[];
  /** Keys whose reference screen equals the one before: no visible effect, so no latency to measure. */
  readonly invisible: readonly boolean[];
  /**
   * Per key, the program's own time locally (ms): typed into the local pty to the last screen change before it
   * settled; undefined for a key without a visible effect. What no remote terminal can save (a command's fork and
   * exec after Enter), measured on the same machine in the same run.
   */
  readonly localMs: ReadonlyArray<number | undefined>;
}

/** Bound on waiting for the set-up line's first key to show (ms): its echo crosses the link, lost datagrams resent. */
const SETUP_FIRST_KEY_TIMEOUT_MS = 10_000;

/**
 * Types a trace's set-up line in a measured session as a person types a command: its first key alone, the rest once
 * that key shows (or after SETUP_FIRST_KEY_TIMEOUT_MS). Pasted in one piece, the shell trace's line (`clear; echo …`)
 * raced its own output over a lossy link: in some runs no screen the client received showed its echo before `clear`
 * wiped it, so a first-ever tsmosh client never saw typing echo at that prompt, the trace's first command began at a
 * prompt it did not know, and its first keys were drawn at their echo, 200-300 ms late, within the predicted-key
 * figure (docs/benchmarks-journal.md, "The predicted keys at 300 ms / 10 % from run to run"). A set-up of one key, or
 * one starting with a control key, is typed whole.
 */
export async function typeSetup(program: ScreenProgram, setup: string): Promise<void> {
  const first = setup.codePointAt(0);
  if (first === undefined) return;
  const firstKey = String.fromCodePoint(first);
  if (setup.length === firstKey.length || first < 0x20 || first === 0x7f) {
    program.type(setup);
    return;
  }
  const before = program.snapshot();
  program.type(firstKey);
  await program.waitFor((screen) => !sameScreen(screen, before, []), SETUP_FIRST_KEY_TIMEOUT_MS);
  program.type(setup.slice(firstKey.length));
}

export async function recordReference(program: ScreenProgram, trace: Trace): Promise<Reference> {
  const rule = screenRuleOf(trace);
  // An app with a region starts drawing it only once it is up (Claude Code takes seconds): quiet before it proves nothing.
  const anchor = rule.region === undefined ? undefined : new RegExp(rule.region.anchor, 'u');
  if (anchor !== undefined && (await program.waitFor((screen) => screen.rows.some((row, y) => y > 0 && anchor.test(row)), APP_START_TIMEOUT_MS)) === undefined) {
    throw new Error(`reference run of trace "${trace.name}": no row matching ${anchor} within ${APP_START_TIMEOUT_MS / 1000} s; output: ${JSON.stringify(program.recentOutput.slice(-300))}`);
  }
  await program.settle(500, 15_000, rule);
  if (trace.setup !== '') program.type(trace.setup);
  const initial = await program.settle(300, 15_000, rule);
  const afterKey: ScreenSnapshot[] = [];
  const invisible: boolean[] = [];
  const localMs: Array<number | undefined> = [];
  let previous = initial;
  // When the screen last changed (as the rule compares), for each key's local time.
  let shown = initial;
  let lastChangeAt = performance.now();
  const stopWatching = program.onChange((at) => {
    const screen = program.snapshot();
    if (sameScreen(screen, shown, rule)) return;
    shown = screen;
    lastChangeAt = at;
  });
  for (const event of trace.events) {
    if (trace.referenceKeepsPace === true) await new Promise((r) => setTimeout(r, event.gapMs));
    const typedAt = program.type(event.key);
    // Such an app may answer a key later than the quiet time (Claude Code's Enter; a typed key while it renders a
    // streaming answer on a busy machine): wait for the effect of a typed key or one the user waits for.
    if (trace.referenceKeepsPace === true && (event.wait === true || event.kind === 'typing')) await program.waitFor((screen) => !sameScreen(screen, previous, rule), REFERENCE_KEY_TIMEOUT_MS);
    const screen = await program.settle(REFERENCE_QUIET_MS, REFERENCE_KEY_TIMEOUT_MS, rule);
    afterKey.push(screen);
    const unchanged = sameScreen(screen, previous, rule);
    invisible.push(unchanged);
    localMs.push(unchanged ? undefined : Math.max(0, lastChangeAt - typedAt));
    previous = screen;
  }
  stopWatching();
  if (!program.running) throw new Error(`reference run of trace "${trace.name}": the program exited early; output: ${JSON.stringify(program.recentOutput.slice(-300))}`);
  return { initial, afterKey, invisible, localMs };
}

export interface KeyTiming {
  readonly index: number;
  readonly kind: Trace['events'][number]['kind'];
  /** When the key was typed (ms, performance.now()). */
  readonly sentAt: number;
  /** Typed to on screen (ms); undefined when it never appeared before the run gave up. */
  readonly latencyMs: number | undefined;
  readonly invisible: boolean;
  /** The same key's time in the local reference run (Reference.localMs); absent in results saved before it was kept. */
  readonly localMs?: number;
}

export interface ReplayOptions {
  /** How long a waited-for key may take before the user types on anyway (ms), and the final drain bound. */
  readonly waitTimeoutMs: number;
  /** Called with the elapsed time since the first key before each key is typed (for scheduled blackouts). */
  readonly beforeKey?: (index: number) => void;
  /**
   * Called with every screen shown that differs from the one before it (as sameScreen compares), until the last key
   * is shown; screens inside a synchronized-output block are not shown (see ScreenProgram.frameHeld).
   */
  readonly onScreen?: (screen: ScreenSnapshot, at: number) => void;
  /** Where the harness marks each key typed and shown; from TSMOSH_TRACE when not given (off when that is unset). */
  readonly harnessTrace?: HarnessTrace;
}

export async function replay(program: ScreenProgram, trace: Trace, reference: Reference, options: ReplayOptions): Promise<KeyTiming[]> {
  const events = trace.events;
  const rule = screenRuleOf(trace);
  const sentAt: number[] = [];
  const shownAt: Array<number | undefined> = events.map(() => undefined);
  let credited = -1;
  let lastSeen = program.snapshot();
  const waiters = new Map<number, () => void>();
  const harnessTrace = options.harnessTrace ?? harnessTraceFrom();

  let lastReported = lastSeen;
  const stopReporting = options.onScreen === undefined
    ? () => undefined
    : program.onChange((at) => {
        // Half a frame inside a synchronized-output block never reaches a real screen (ssh passes an Ink-style
        // app's redraws through in pieces); the whole frame is reported when the block ends.
        if (program.frameHeld) return;
        const screen = program.snapshot();
        if (sameScreen(screen, lastReported, rule)) return;
        lastReported = screen;
        options.onScreen!(screen, at);
      });
  const stop = program.onChange((at) => {
    if (credited >= sentAt.length - 1) return;
    const screen = program.snapshot();
    if (sameScreen(screen, lastSeen, rule)) return;
    lastSeen = screen;
    for (let j = credited + 1; j < sentAt.length; j++) {
      if (!sameScreen(screen, reference.afterKey[j]!, rule)) continue;
      for (let k = credited + 1; k <= j; k++) {
        shownAt[k] = at;
        harnessTrace?.shown(at, k);
        waiters.get(k)?.();
      }
      credited = j;
      break;
    }
  });

  const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
  const waitShown = (index: number, timeoutMs: number): Promise<void> =>
    shownAt[index] !== undefined
      ? Promise.resolve()
      : new Promise((resolve) => {
          const timer = setTimeout(done, timeoutMs);
          function done(): void {
            clearTimeout(timer);
            waiters.delete(index);
            resolve();
          }
          waiters.set(index, done);
        });

  // Keys go out on the trace's schedule measured from a fixed origin, so a slow timer does not stretch the pace.
  let origin = performance.now();
  let due = 0;
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    due += event.gapMs;
    const wait = origin + due - performance.now();
    if (wait > 0) await sleep(wait);
    options.beforeKey?.(i);
    if (!program.running) break;
    sentAt.push(program.type(event.key));
    harnessTrace?.typed(sentAt[i]!, event.kind);
    if (reference.invisible[i] === true && credited === i - 1) {
      shownAt[i] = sentAt[i];
      credited = i;
    }
    if (event.wait === true) {
      await waitShown(i, options.waitTimeoutMs);
      origin = performance.now();
      due = 0;
    }
  }
  await waitShown(sentAt.length - 1, options.waitTimeoutMs);
  stop();
  stopReporting();
  return sentAt.map((at, index) => ({
    index,
    kind: events[index]!.kind,
    sentAt: at,
    latencyMs: shownAt[index] === undefined ? undefined : Math.max(0, shownAt[index]! - at),
    invisible: reference.invisible[index] === true,
    ...(reference.localMs[index] === undefined ? {} : { localMs: reference.localMs[index] }),
  }));
}
