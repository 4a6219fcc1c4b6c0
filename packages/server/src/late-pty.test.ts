import { describe, expect, it } from 'vitest';
import { BLANK_CELL, blankFramebuffer, type Framebuffer, type TerminalCapabilities } from '@tsmosh/terminal';
import { LatePty } from './late-pty.js';
import type { SessionPty } from './session.js';

/** A program's pty as node-pty gives it: output and exit come later, from the event loop, to whoever listens then. */
class ProgramPty implements SessionPty {
  readonly pid = 4242;
  readonly written: string[] = [];
  readonly sizes: Array<[number, number]> = [];
  terminal: TerminalCapabilities | undefined;
  disposed = false;
  private screen: Framebuffer;
  private readonly frameListeners: Array<() => void> = [];
  private readonly exitListeners: Array<(code: number, signal: number | undefined) => void> = [];
  constructor(cols: number, rows: number) {
    this.screen = blankFramebuffer(cols, rows);
  }
  write(bytes: Uint8Array): void {
    this.written.push(new TextDecoder().decode(bytes));
  }
  resize(cols: number, rows: number): void {
    this.sizes.push([cols, rows]);
  }
  snapshot(): Framebuffer {
    return this.screen;
  }
  onFrame(listener: () => void): void {
    this.frameListeners.push(listener);
  }
  onExit(listener: (code: number, signal: number | undefined) => void): void {
    this.exitListeners.push(listener);
  }
  setClientTerminal(capabilities: TerminalCapabilities): void {
    this.terminal = capabilities;
  }
  dispose(): void {
    this.disposed = true;
  }
  /** The program prints `text` on its first row: the listeners of this moment hear of it, no one later. */
  print(text: string): void {
    const cells = [...this.screen.lines[0]!.cells];
    [...text].forEach((char, x) => (cells[x] = { ...BLANK_CELL, text: char }));
    this.screen = { ...this.screen, lines: [{ cells, wrapped: false }, ...this.screen.lines.slice(1)] };
    for (const listener of this.frameListeners) listener();
  }
  exit(code: number): void {
    for (const listener of this.exitListeners) listener(code, undefined);
  }
}

const firstRow = (screen: Framebuffer): string => screen.lines[0]!.cells.map((cell) => cell.text || ' ').join('').trimEnd();
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Lets the pty's start (a settled promise) reach the LatePty. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function pending(): { pty: Promise<SessionPty>; start: (pty: SessionPty) => void; fail: (error: Error) => void } {
  let start!: (pty: SessionPty) => void;
  let fail!: (error: Error) => void;
  const pty = new Promise<SessionPty>((resolve, reject) => {
    start = resolve;
    fail = reject;
  });
  return { pty, start, fail };
}

describe('LatePty', () => {
  it('shows a blank screen of its size while the pty starts, and keeps what the session asked of it', () => {
    const { pty } = pending();
    const late = new LatePty(pty, 100, 30);
    expect(late.snapshot().cols).toBe(100);
    expect(late.snapshot().rows).toBe(30);
    expect(late.cursorCell()).toEqual({ x: 0, y: 0, text: '' });
    expect(late.pid).toBe(0);
    expect(late.started).toBe(false);
    expect(late.outputPending).toBe(false);
    expect(late.answerIsSmall).toBe(true);
    expect(late.scrollback().end).toBe(0);
  });

  it("hands over the keys in order, the newest size and the client's terminal, then tells the session of the real screen", async () => {
    const { pty, start } = pending();
    const late = new LatePty(pty, 80, 24);
    let frames = 0;
    late.onFrame(() => frames++);
    late.write(bytes('ls'));
    late.resize(120, 40);
    late.resize(100, 30);
    late.write(bytes('\r'));
    late.setClientTerminal({ kittyKeyboard: true, synchronizedOutput: false, version: 'kitty' });
    const program = new ProgramPty(80, 24);
    start(program);
    await settle();
    expect(late.started).toBe(true);
    expect(late.pid).toBe(4242);
    expect(program.written).toEqual(['ls', '\r']);
    expect(program.sizes).toEqual([[100, 30]]);
    expect(program.terminal).toBeDefined();
    expect(frames).toBe(1);
    late.write(bytes('x'));
    late.resize(90, 20);
    expect(program.written).toEqual(['ls', '\r', 'x']);
    expect(program.sizes).toEqual([[100, 30], [90, 20]]);
  });

  it("gives the session the program's first output and its exit status, however early the program writes", async () => {
    const { pty, start } = pending();
    const late = new LatePty(pty, 80, 24);
    // The session listens from its start, while the pty is still loading (the daemon answered `new` before).
    const seen: string[] = [];
    const exits: Array<[number, number | undefined]> = [];
    late.onFrame(() => seen.push(firstRow(late.snapshot())));
    late.onExit((code, signal) => exits.push([code, signal]));
    const program = new ProgramPty(80, 24);
    start(program);
    await settle();
    // The program's first write and its exit, the moment it runs.
    program.print('first output');
    program.exit(7);
    expect(seen.at(-1)).toBe('first output');
    expect(firstRow(late.snapshot())).toBe('first output');
    expect(exits).toEqual([[7, undefined]]);
    // Listeners added once the pty runs go straight to it.
    const later: number[] = [];
    late.onExit((code) => later.push(code));
    program.exit(0);
    expect(later).toEqual([0]);
  });

  it('ends a pty that arrives after the session was disposed, and drops the keys it kept', async () => {
    const { pty, start } = pending();
    const late = new LatePty(pty, 80, 24);
    late.write(bytes('never'));
    late.dispose();
    const program = new ProgramPty(80, 24);
    start(program);
    await settle();
    expect(program.disposed).toBe(true);
    expect(program.written).toEqual([]);
    expect(late.started).toBe(false);
  });

  it('says why when the pty cannot be started', async () => {
    const { pty, fail } = pending();
    const late = new LatePty(pty, 80, 24);
    fail(new Error('cannot load pty.node'));
    expect((await late.failed).message).toBe('cannot load pty.node');
    expect(late.started).toBe(false);
  });
});
