/**
 * A program in a real pty (node-pty) whose output an @xterm/headless terminal parses: the user's terminal as the
 * benchmarks and the end-to-end tests see it. The bench's ScreenProgram (lossy/screen.ts) and the tests' PtyProgram
 * (test/client-harness.ts) are this plus how each of them waits and measures.
 */
import { writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
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
  /** Lines kept above the screen as a terminal's scrollback (default 0: the benchmarks read the screen only). */
  readonly scrollback?: number;
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
  private readonly parsedListeners = new Set<(arrivedAt: number) => void>();
  /** Settles once everything the program wrote so far is parsed (xterm parses writes in order). */
  private lastParsed: Promise<void> = Promise.resolve();
  private hasExited = false;
  /** Bytes for the program not yet taken by the pty (its input buffer was full), oldest first; see write(). */
  private readonly unwritten: Buffer[] = [];
  private retryWrite: NodeJS.Immediate | undefined;

  constructor(options: PtyTerminalOptions) {
    this.terminal = new Terminal({ cols: options.cols, rows: options.rows, allowProposedApi: true, scrollback: options.scrollback ?? 0 });
    if (options.unicode11 === true) {
      this.terminal.loadAddon(new unicode11.Unicode11Addon());
      this.terminal.unicode.activeVersion = '11';
    }
    this.process = pty.spawn(options.file, [...options.args], { cols: options.cols, rows: options.rows, env: options.env, name: 'xterm-256color', cwd: options.cwd });
    if (options.answerQueries) {
      this.terminal.onData((reply) => {
        if (!this.hasExited) this.write(reply);
      });
    }
    this.process.onData((data) => {
      // Taken as the bytes come out of the pty, before xterm parses them: its write buffer parses a turn later (a
      // timer of 1 ms or more), which is this terminal's own delay, not the program's (see onParsed).
      const arrivedAt = performance.now();
      for (const listener of this.outputListeners) listener(data);
      this.lastParsed = new Promise<void>((done) =>
        this.terminal.write(data, () => {
          for (const listener of this.parsedListeners) listener(arrivedAt);
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

  /**
   * Calls `listener` after each chunk of output is parsed, until the returned function is called, with the moment
   * that chunk came out of the pty (performance.now(), ms). The screen then shows what the program had written by
   * that moment: chunks are parsed in order, each before the next one's listeners run.
   */
  onParsed(listener: (arrivedAt: number) => void): () => void {
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

  /**
   * Hands `bytes` to the pty now, as a terminal does with a keystroke: write(2) on its master, in this turn.
   * node-pty's own write queues every write to fs.write on libuv's thread pool, so a key reached the kernel only once
   * a worker thread had been scheduled, milliseconds later on a loaded machine, while the benchmarks timed it from
   * this call. What the pty cannot take yet (a paste larger than its buffer) waits here, in order, for the next turn.
   * Returns the keystroke's moment (performance.now(), ms): taken once the bytes' buffer exists, just before they go
   * to the pty. A scavenge of this process that the buffer's allocation set off (0.5-4.8 ms, at 1 to 3 of a 300 ms /
   * 10 % run's 300 keys: docs/benchmarks-journal.md, "The predicted keys at 300 ms / 10 % from run to run") is the
   * harness's, and was timed as the program's when the moment was taken before the call.
   */
  write(bytes: string): number {
    if (typeof (this.process as unknown as { readonly fd?: unknown }).fd !== 'number') {
      const at = performance.now();
      this.process.write(bytes); // not a Unix pty: node-pty's own path
      return at;
    }
    const buffer = Buffer.from(bytes, 'utf8');
    const at = performance.now();
    this.unwritten.push(buffer);
    if (this.unwritten.length === 1) this.flushWrites();
    return at;
  }

  /**
   * The pty master's descriptor while node-pty still holds it open; undefined once its stream is destroyed (the
   * program gone), when the number may already belong to another file.
   */
  private openMasterFd(): number | undefined {
    const pty = this.process as unknown as { readonly fd?: unknown; readonly _socket?: { readonly destroyed?: boolean } };
    if (this.hasExited || pty._socket?.destroyed !== false || typeof pty.fd !== 'number') return undefined;
    return pty.fd;
  }

  private flushWrites(): void {
    this.retryWrite = undefined;
    while (this.unwritten.length > 0) {
      const fd = this.openMasterFd();
      if (fd === undefined) {
        this.unwritten.length = 0; // no one to deliver to
        return;
      }
      const head = this.unwritten[0]!;
      let written: number;
      try {
        written = writeSync(fd, head);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EAGAIN') {
          this.retryWrite = setImmediate(() => this.flushWrites());
        } else {
          this.unwritten.length = 0; // the pty is gone (EIO once the program has exited): no one to deliver to
        }
        return;
      }
      if (written < head.length) this.unwritten[0] = head.subarray(written);
      else this.unwritten.shift();
    }
  }

  resize(cols: number, rows: number): void {
    this.process.resize(cols, rows);
    this.terminal.resize(cols, rows);
  }

  kill(): void {
    if (this.retryWrite !== undefined) clearImmediate(this.retryWrite);
    this.unwritten.length = 0;
    if (this.hasExited) return;
    try {
      this.process.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}
