/**
 * A session's pty that is still being started: what a cold daemon gives a new session so that `new` can be answered
 * (the port and the key) before the daemon has loaded node-pty and @xterm/headless, about a third of its start
 * (docs/benchmarks.md, start-up over SSH). The client's handshake and the load then overlap.
 *
 * Until the real pty arrives it shows a blank screen of the requested size, keeps what the session asks of it (keys,
 * the newest window size, the client terminal's answers, listeners) and hands all of it over, in order, in the same
 * turn the real pty is given: the real pty's listeners are attached before its program's first output can be read
 * (node-pty delivers output and the exit from the event loop, never inside the spawn), so no byte and no exit status
 * is lost. If the start fails, `failed` says why and the session is ended by its owner with that message.
 */
import { blankFramebuffer, ScrollbackLog, type Framebuffer, type TerminalCapabilities } from '@tsmosh/terminal';
import type { PtySpawnOptions } from './pty-host.js';
import type { SessionPty } from './session.js';
import { cellTextOf, cursorCellOf, type CursorCell } from './typed-echo.js';

export class LatePty implements SessionPty {
  private real: SessionPty | undefined;
  private readonly blank: Framebuffer;
  private readonly writes: Uint8Array[] = [];
  private size: { cols: number; rows: number } | undefined;
  private clientTerminal: TerminalCapabilities | undefined;
  /** The history limit the session set (SessionPty.setHistoryLimit), passed on to the real pty when it starts. */
  private historyLimit: number | undefined;
  private readonly frameListeners: Array<() => void> = [];
  private readonly exitListeners: Array<(exitCode: number, signal: number | undefined) => void> = [];
  private disposed = false;
  /** Resolves with the reason when the real pty could not be started (never resolves otherwise). */
  readonly failed: Promise<Error>;

  /** `pty`: the real pty's start; `cols`×`rows`: the size it starts at (the blank screen shown until then). */
  constructor(pty: Promise<SessionPty>, cols: number, rows: number) {
    this.blank = blankFramebuffer(cols, rows);
    this.failed = pty.then(
      (real) => {
        this.adopt(real);
        return new Promise<Error>(() => {});
      },
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
  }

  /** Whether the real pty is running (false while it starts, and after a failed start). */
  get started(): boolean {
    return this.real !== undefined;
  }

  private adopt(real: SessionPty): void {
    if (this.disposed) {
      real.dispose();
      return;
    }
    this.real = real;
    for (const listener of this.frameListeners) real.onFrame(listener);
    for (const listener of this.exitListeners) real.onExit(listener);
    if (this.clientTerminal !== undefined) real.setClientTerminal?.(this.clientTerminal);
    if (this.historyLimit !== undefined) real.setHistoryLimit?.(this.historyLimit);
    if (this.size !== undefined) real.resize(this.size.cols, this.size.rows);
    for (const bytes of this.writes) real.write(bytes);
    this.writes.length = 0;
    // The session took the blank screen; tell it the real one is there (blank too, or the program's first output).
    for (const listener of this.frameListeners) listener();
  }

  get pid(): number {
    return this.real?.pid ?? 0;
  }

  write(bytes: Uint8Array): void {
    if (this.real !== undefined) this.real.write(bytes);
    else if (!this.disposed) this.writes.push(bytes);
  }

  resize(cols: number, rows: number): void {
    if (this.real !== undefined) this.real.resize(cols, rows);
    else this.size = { cols, rows };
  }

  snapshot(): Framebuffer {
    return this.real !== undefined ? this.real.snapshot() : this.blank;
  }

  cursorCell(): CursorCell {
    if (this.real === undefined) return cursorCellOf(this.blank);
    return this.real.cursorCell?.() ?? cursorCellOf(this.real.snapshot());
  }

  cellText(x: number, y: number): string {
    if (this.real === undefined) return cellTextOf(this.blank, x, y);
    return this.real.cellText?.(x, y) ?? cellTextOf(this.real.snapshot(), x, y);
  }

  get offerHeldBack(): boolean {
    return this.real?.offerHeldBack === true;
  }

  get outputPending(): boolean {
    return this.real?.outputPending === true;
  }

  get answerIsSmall(): boolean {
    return this.real?.answerIsSmall ?? true;
  }

  get mirror(): SessionPty['mirror'] {
    return this.real?.mirror;
  }

  /** No history until the real pty keeps one. */
  scrollback(): ScrollbackLog {
    return this.real?.scrollback?.() ?? ScrollbackLog.empty;
  }

  onFrame(listener: () => void): void {
    this.frameListeners.push(listener);
    this.real?.onFrame(listener);
  }

  onExit(listener: (exitCode: number, signal: number | undefined) => void): void {
    this.exitListeners.push(listener);
    this.real?.onExit(listener);
  }

  setClientTerminal(capabilities: TerminalCapabilities): void {
    if (this.real !== undefined) this.real.setClientTerminal?.(capabilities);
    else this.clientTerminal = capabilities;
  }

  setHistoryLimit(limit: number | undefined): void {
    this.historyLimit = limit;
    this.real?.setHistoryLimit?.(limit);
  }

  dispose(): void {
    this.disposed = true;
    this.writes.length = 0;
    this.real?.dispose();
  }
}

type PtyHostModule = typeof import('./pty-host.js');
/** pty-host.js once imported (node-pty, @xterm/headless: a chunk of the daemon's bundle of its own). */
let ptyHost: PtyHostModule | undefined;
let ptyHostLoading: Promise<PtyHostModule> | undefined;
let ptyHostFailure: Error | undefined;

/**
 * The daemon's default `spawnPty`: the PtyHost itself once its module is loaded; before that (the daemon's first
 * session) a LatePty, and the module's load starts now, behind the answer to `new` (the import reads its file
 * before it compiles anything, so the answer already written goes out first). A load that failed is thrown, so
 * later sessions are refused in `new`'s one line.
 */
export function spawnWhenLoaded(options: PtySpawnOptions): SessionPty {
  if (ptyHost !== undefined) return ptyHost.spawnSessionPty(options);
  if (ptyHostFailure !== undefined) throw ptyHostFailure;
  ptyHostLoading ??= import('./pty-host.js').then(
    (module) => (ptyHost = module),
    (error: unknown) => {
      ptyHostFailure = error instanceof Error ? error : new Error(String(error));
      throw ptyHostFailure;
    },
  );
  return new LatePty(
    ptyHostLoading.then((module) => module.spawnSessionPty(options)),
    options.cols,
    options.rows,
  );
}
