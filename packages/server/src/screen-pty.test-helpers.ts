/** A stand-in program for the session tests under a manual clock: the screen it announces, and nothing else. */
import { BLANK_CELL, blankFramebuffer, type Framebuffer } from '@tsmosh/terminal';
import type { SessionPty } from './session.js';

/** What the stand-ins share: the screen they announce, and no size, exit or resources of their own. */
export abstract class ScreenPty implements SessionPty {
  protected screen: Framebuffer;
  private frameListener: () => void = () => {};
  abstract readonly pid: number;
  abstract write(bytes: Uint8Array): void;
  constructor(cols: number, rows: number) {
    this.screen = blankFramebuffer(cols, rows);
  }
  resize(_cols: number, _rows: number): void {}
  snapshot(): Framebuffer {
    return this.screen;
  }
  onFrame(listener: () => void): void {
    this.frameListener = listener;
  }
  onExit(_listener: (exitCode: number, signal: number | undefined) => void): void {}
  dispose(): void {}
  /** The screen with its first row reading `text` and the cursor just after it (an echo, a prompt). */
  protected withFirstRow(text: string): Framebuffer {
    const cells = [...this.screen.lines[0]!.cells];
    [...text].forEach((char, x) => (cells[x] = { ...BLANK_CELL, text: char }));
    return { ...this.screen, lines: [{ cells, wrapped: false }, ...this.screen.lines.slice(1)], cursor: { ...this.screen.cursor, x: text.length, y: 0 } };
  }
  /** Shows `screen` and tells the session a frame is ready. */
  protected announce(screen: Framebuffer): void {
    this.screen = screen;
    this.frameListener();
  }
}
