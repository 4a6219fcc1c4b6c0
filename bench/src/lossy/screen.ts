/**
 * What the user sees: a program (a terminal client, or the application itself for the reference run) in a real
 * pty of fixed size, its output parsed by an @xterm/headless terminal. Every time a chunk of output has been
 * parsed, listeners get the moment (performance.now(), ms) and can look at the screen.
 */
import { performance } from 'node:perf_hooks';
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
 * Equal as far as a trace cares. Row 0 is never compared: mosh and tsmosh draw their "last contact" notices there
 * during outages, and the traces start their work below a banner line so nothing they measure lives on row 0.
 */
export function sameScreen(a: ScreenSnapshot, b: ScreenSnapshot, ignoreRows: readonly number[] = []): boolean {
  if (a.cursorX !== b.cursorX || a.cursorY !== b.cursorY) return false;
  for (let y = 1; y < a.rows.length; y++) {
    if (ignoreRows.includes(y)) continue;
    if (a.rows[y] !== b.rows[y]) return false;
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
    this.pty.onParsed(() => {
      const at = performance.now();
      for (const listener of this.listeners) listener(at);
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

  /** Types `bytes` now; returns the moment they were handed to the pty. */
  type(bytes: string): number {
    const at = performance.now();
    if (this.pty.running) this.pty.write(bytes);
    return at;
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

  /** Resolves once no output has come for `quietMs` (or after `timeoutMs`), ignoring changes confined to `ignoreRows`. */
  async settle(quietMs: number, timeoutMs: number, ignoreRows: readonly number[] = []): Promise<ScreenSnapshot> {
    const deadline = performance.now() + timeoutMs;
    let last = this.snapshot();
    let lastChange = performance.now();
    while (performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, Math.min(25, quietMs)));
      const now = this.snapshot();
      if (!sameScreen(now, last, ignoreRows) || now.rows[0] !== last.rows[0]) {
        if (!sameScreen(now, last, ignoreRows)) lastChange = performance.now();
        last = now;
      }
      if (performance.now() - lastChange >= quietMs) return now;
    }
    return this.snapshot();
  }

  kill(): void {
    this.pty.kill();
  }
}
