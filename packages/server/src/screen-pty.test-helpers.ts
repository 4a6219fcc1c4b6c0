/** A stand-in program for the session tests under a manual clock: the screen it announces, and nothing else. */
import { blankFramebuffer, type Framebuffer } from '@tsmosh/terminal';
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
  resize(): void {}
  snapshot(): Framebuffer {
    return this.screen;
  }
  onFrame(listener: () => void): void {
    this.frameListener = listener;
  }
  onExit(): void {}
  dispose(): void {}
  /** Shows `screen` and tells the session a frame is ready. */
  protected announce(screen: Framebuffer): void {
    this.screen = screen;
    this.frameListener();
  }
}
