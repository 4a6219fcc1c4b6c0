/**
 * What the user sees: a program (a terminal client, or the application itself for the reference run) in a real
 * pty of fixed size, its output parsed by an @xterm/headless terminal. Every time a chunk of output has been
 * parsed, listeners get the moment that chunk came out of the pty (performance.now(), ms) and can look at the screen.
 */
import { performance } from 'node:perf_hooks';
import { collectYoungGeneration } from './harness-gc.js';
import { PtyTerminal } from '../pty-terminal.js';

/** The user's terminal in every run: 80×24 as in the mosh paper's traces and most defaults. */
export const COLS = 80;
export const ROWS = 24;

/** A screen as compared between runs: the text of each row (trailing blanks trimmed) and the cursor. */
export interface ScreenSnapshot {
  readonly rows: readonly string[];
  readonly cursorX: number;
  readonly cursorY: number;
}

/**
 * What of a screen a trace's keys determine, as data (Trace.compare): everything but row 0 by default. An app that
 * draws things no key decides (Claude Code: a streamed answer scrolling above its prompt box, a status line that
 * changes when typing starts or an answer streams) declares the part its keys own:
 * - `region`: only the rows from the last row matching `anchor` (shifted by `offset` rows) to the bottom are
 *   compared, row by row from that start, and the cursor relative to it. A screen where the anchor is missing
 *   equals only another screen without it (then the whole screens are compared);
 * - `ignorePatterns`: a pair of rows (same place) is skipped when both rows match one of these (the whole row, as a
 *   regular expression): a status line may change between its known forms, but anything else drawn there (a guess
 *   in the wrong place) is still a difference;
 * - `maskPatterns`: what matches these (regular expressions) is left out of every row before it is compared, so a
 *   count the program derives from the clock (vim's "2 seconds ago") does not decide, and the rest of the row does.
 * `ignoreRows` (absolute rows never compared, besides row 0) applies when there is no region.
 */
export interface ScreenRule {
  readonly ignoreRows?: readonly number[];
  readonly region?: { readonly anchor: string; readonly offset: number };
  readonly ignorePatterns?: readonly string[];
  readonly maskPatterns?: readonly string[];
}

const compiled = new Map<string, RegExp>();
function pattern(source: string): RegExp {
  let regex = compiled.get(source);
  if (regex === undefined) {
    regex = new RegExp(source, 'u');
    compiled.set(source, regex);
  }
  return regex;
}

/** The first row a region compares: the last row (below row 0) matching the anchor, shifted; undefined without one. */
function regionStart(screen: ScreenSnapshot, region: NonNullable<ScreenRule['region']>): number | undefined {
  const anchor = pattern(region.anchor);
  for (let y = screen.rows.length - 1; y >= 1; y--) if (anchor.test(screen.rows[y]!)) return Math.max(1, y + region.offset);
  return undefined;
}

function masked(row: string, patterns: readonly string[]): string {
  let out = row;
  for (const source of patterns) out = out.replace(pattern(source), '');
  return out;
}

function bothIgnored(a: string, b: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => pattern(p).test(a)) && patterns.some((p) => pattern(p).test(b));
}

/**
 * Equal as far as a trace cares. Row 0 is never compared: mosh and tsmosh draw their "last contact" notices there
 * during outages, and the traces start their work below a banner line so nothing they measure lives on row 0.
 * `rule`: the trace's ScreenRule, or (older callers) the rows to ignore.
 */
export function sameScreen(a: ScreenSnapshot, b: ScreenSnapshot, rule: ScreenRule | readonly number[] = []): boolean {
  return compareScreens(a, b, rule, true);
}

/** The compared rows equal, wherever the cursor is (a wrong screen whose only fault is the cursor). */
export function sameText(a: ScreenSnapshot, b: ScreenSnapshot, rule: ScreenRule | readonly number[] = []): boolean {
  return compareScreens(a, b, rule, false);
}

function compareScreens(a: ScreenSnapshot, b: ScreenSnapshot, rule: ScreenRule | readonly number[], withCursor: boolean): boolean {
  const { ignoreRows = [], region, ignorePatterns = [], maskPatterns = [] } = Array.isArray(rule) ? { ignoreRows: rule as readonly number[] } : (rule as ScreenRule);
  let startA = 1;
  let startB = 1;
  if (region !== undefined) {
    const ra = regionStart(a, region);
    const rb = regionStart(b, region);
    if ((ra === undefined) !== (rb === undefined)) return false;
    if (ra !== undefined && rb !== undefined) {
      startA = ra;
      startB = rb;
    }
  }
  if (withCursor && (a.cursorX !== b.cursorX || a.cursorY - startA !== b.cursorY - startB)) return false;
  const count = Math.max(a.rows.length - startA, b.rows.length - startB);
  for (let i = 0; i < count; i++) {
    if (region === undefined && ignoreRows.includes(startA + i)) continue;
    const rowA = masked(a.rows[startA + i] ?? '', maskPatterns);
    const rowB = masked(b.rows[startB + i] ?? '', maskPatterns);
    if (rowA === rowB) continue;
    if (ignorePatterns.length > 0 && bothIgnored(rowA, rowB, ignorePatterns)) continue;
    return false;
  }
  return true;
}

export interface ScreenProgramOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd?: string;
}

export class ScreenProgram {
  readonly startedAt = performance.now();
  readonly exited: Promise<number>;
  private readonly pty: PtyTerminal;
  private readonly listeners = new Set<(at: number) => void>();
  /** Bytes the program wrote to its terminal, for the report when something goes wrong. */
  private tail = '';

  constructor(options: ScreenProgramOptions) {
    // The terminal's answers to queries (DA, DSR) go back to the program, as a real terminal's would.
    this.pty = new PtyTerminal({ ...options, cols: COLS, rows: ROWS, answerQueries: true, unicode11: true });
    this.pty.onOutput((data) => (this.tail = (this.tail + data).slice(-2000)));
    // A screen counts as shown when the bytes that made it reached the user's terminal, as a real terminal reads
    // them: the headless parser runs a timer turn later (1.4 ms median, p99 5.7 ms on the loaded 2-core machine,
    // docs/benchmarks.md), a delay of this harness that every system would otherwise be charged alike.
    this.pty.onParsed((arrivedAt) => {
      for (const listener of this.listeners) listener(arrivedAt);
    });
    this.exited = this.pty.exited.then(({ exitCode }) => exitCode);
  }

  get pid(): number {
    return this.pty.pid;
  }

  get running(): boolean {
    return this.pty.running;
  }

  /**
   * The program is inside a synchronized-output block (DEC mode 2026): a real terminal keeps showing the previous
   * frame until the block ends, so what the buffer holds now is not on the user's screen.
   */
  get frameHeld(): boolean {
    return this.pty.terminal.modes.synchronizedOutputMode;
  }

  get recentOutput(): string {
    return this.tail;
  }

  /**
   * Types `bytes` now; returns the moment they were handed to the pty (PtyTerminal.write). A scavenge of this
   * process's heap runs first (harness-gc.ts), so that none of its own falls between the keystroke and the screen.
   */
  type(bytes: string): number {
    if (!this.pty.running) return performance.now();
    collectYoungGeneration();
    return this.pty.write(bytes);
  }

  snapshot(): ScreenSnapshot {
    const buffer = this.pty.terminal.buffer.active;
    return { rows: this.pty.visibleRows(), cursorX: buffer.cursorX, cursorY: buffer.cursorY };
  }

  /** Calls `listener(at)` after each parsed chunk of output until the returned function is called. */
  onChange(listener: (at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the moment `test` first holds (checked now and after every chunk), or undefined after
   * `timeoutMs`. A bound for a stuck run, not a speed claim.
   */
  waitFor(test: (screen: ScreenSnapshot) => boolean, timeoutMs: number): Promise<number | undefined> {
    if (test(this.snapshot())) return Promise.resolve(performance.now());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        stop();
        resolve(undefined);
      }, timeoutMs);
      const stop = this.onChange((at) => {
        if (!test(this.snapshot())) return;
        clearTimeout(timer);
        stop();
        resolve(at);
      });
    });
  }

  /** Resolves once no output has come for `quietMs` (or after `timeoutMs`), ignoring changes `rule` does not compare. */
  async settle(quietMs: number, timeoutMs: number, rule: ScreenRule | readonly number[] = []): Promise<ScreenSnapshot> {
    const deadline = performance.now() + timeoutMs;
    let last = this.snapshot();
    let lastChange = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(25, quietMs)));
      const now = this.snapshot();
      if (!sameScreen(now, last, rule) || now.rows[0] !== last.rows[0]) {
        if (!sameScreen(now, last, rule)) lastChange = performance.now();
        last = now;
      }
      if (performance.now() - lastChange >= quietMs) return now;
    }
    return this.snapshot();
  }

  /**
   * Hangs the program up as a closed terminal would (SIGHUP, so it can clean up what it started), then kills it if
   * it is still there after `graceMs`.
   */
  async hangUp(graceMs = 5000): Promise<void> {
    if (!this.pty.running) return;
    try {
      process.kill(this.pty.pid, 'SIGHUP');
    } catch {
      return; // already gone
    }
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, graceMs))]);
    this.kill();
  }

  kill(): void {
    this.pty.kill();
  }
}
