/**
 * A program in a real pty (node-pty) whose output an @xterm/headless terminal parses: the user's terminal as the
 * benchmarks and the end-to-end tests see it. The bench's ScreenProgram (lossy/screen.ts) and the tests' PtyProgram
 * (test/client-harness.ts) are this plus how each of them waits and measures.
 */
import pty from 'node-pty';
import xterm from '@xterm/headless';
import unicode11 from '@xterm/addon-unicode11';

const { Terminal } = xterm;

export interface PtyTerminalOptions {
  readonly file: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
  readonly cwd?: string;
  readonly cols: number;
  readonly rows: number;
  /** The terminal answers the program's queries (DA, DSR, DECRQM…) back into the pty, as a real terminal does. */
  readonly answerQueries: boolean;
  /** Unicode 11 character widths (most emoji two cells wide), as current terminals; xterm's default is Unicode 6. */
  readonly unicode11?: boolean;
}

export interface PtyExit {
  readonly exitCode: number;
  readonly signal: number | undefined;
}

export class PtyTerminal {
  readonly terminal: InstanceType<typeof Terminal>;
  readonly exited: Promise<PtyExit>;
  private readonly process: pty.IPty;
  private readonly outputListeners = new Set<(data: string) => void>();
  private readonly parsedListeners = new Set<() => void>();
  /** Settles once everything the program wrote so far is parsed (xterm parses writes in order). */
  private lastParsed: Promise<void> = Promise.resolve();
  private hasExited = false;

  constructor(options: PtyTerminalOptions) {
    this.terminal = new Terminal({ cols: options.cols, rows: options.rows, allowProposedApi: true, scrollback: 0 });
    if (options.unicode11 === true) {
      this.terminal.loadAddon(new unicode11.Unicode11Addon());
      this.terminal.unicode.activeVersion = '11';
    }
    this.process = pty.spawn(options.file, [...options.args], { cols: options.cols, rows: options.rows, env: options.env, name: 'xterm-256color', cwd: options.cwd });
    if (options.answerQueries) {
      this.terminal.onData((reply) => {
        if (!this.hasExited) this.process.write(reply);
      });
    }
    this.process.onData((data) => {
      for (const listener of this.outputListeners) listener(data);
      this.lastParsed = new Promise<void>((done) =>
        this.terminal.write(data, () => {
          for (const listener of this.parsedListeners) listener();
          done();
        }),
      );
    });
    this.exited = new Promise((resolveExit) =>
      this.process.onExit(({ exitCode, signal }) => {
        this.hasExited = true;
        resolveExit({ exitCode, signal });
      }),
    );
  }

  get pid(): number {
    return this.process.pid;
  }

  get running(): boolean {
    return !this.hasExited;
  }

  /** Calls `listener` with each chunk of output as it comes, before it is parsed. */
  onOutput(listener: (data: string) => void): void {
    this.outputListeners.add(listener);
  }

  /** Calls `listener` after each chunk of output is parsed, until the returned function is called. */
  onParsed(listener: () => void): () => void {
    this.parsedListeners.add(listener);
    return () => this.parsedListeners.delete(listener);
  }

  /** Resolves once everything the program has written so far is on the terminal. */
  parsed(): Promise<void> {
    return this.lastParsed;
  }

  /** The visible rows as text, trailing blanks trimmed. */
  visibleRows(): string[] {
    const buffer = this.terminal.buffer.active;
    const rows: string[] = [];
    for (let y = 0; y < this.terminal.rows; y++) rows.push((buffer.getLine(buffer.viewportY + y)?.translateToString(true) ?? '').trimEnd());
    return rows;
  }

  write(bytes: string): void {
    this.process.write(bytes);
  }

  resize(cols: number, rows: number): void {
    this.process.resize(cols, rows);
    this.terminal.resize(cols, rows);
  }

  kill(): void {
    if (this.hasExited) return;
    try {
      this.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
