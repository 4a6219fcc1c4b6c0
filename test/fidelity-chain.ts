// The fidelity chain: what the server holds (mirror snapshot) travels as a ScreenState diff, is applied on the
// client side, rendered to escape bytes, and written into a second @xterm/headless terminal that stands for the
// user's terminal. At a checkpoint the user's terminal must show, cell for cell, what the mirror holds.
import type { Terminal } from '@xterm/headless';
import { Renderer, ScreenState, type Framebuffer } from '@tsmosh/terminal';
import { createHeadlessTerminal, snapshotTerminal } from '@tsmosh/server';
import { screenDifferences } from './fidelity-support.js';

export function writeTerminal(term: Terminal, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

export interface ChainCheck {
  wanted: Framebuffer;
  shown: Framebuffer;
  differences: string[];
  /** Bytes the renderer emitted for this step. */
  rendered: string;
}

export class FidelityChain {
  readonly userTerminal: Terminal;
  private readonly renderer = new Renderer();
  private serverState: ScreenState;
  private clientState: ScreenState;
  private drawn: Framebuffer | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Bytes rendered so far, for failure messages. */
  renderedBytes = 0;
  steps = 0;

  constructor(cols: number, rows: number) {
    this.userTerminal = createHeadlessTerminal({ cols, rows });
    this.serverState = ScreenState.initial(cols, rows);
    this.clientState = ScreenState.initial(cols, rows);
  }

  async enter(): Promise<void> {
    await writeTerminal(this.userTerminal, this.renderer.enter());
  }

  /** The user's terminal changes size first (a window resize), then the new screen arrives. */
  resizeUserTerminal(cols: number, rows: number): Promise<void> {
    const run = this.queue.then(() => this.userTerminal.resize(cols, rows));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Sends one screen through the chain; calls are serialized so diffs always apply to the state they were made from. */
  step(wanted: Framebuffer): Promise<ChainCheck> {
    const run = this.queue.then(() => this.stepNow(wanted));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async stepNow(wanted: Framebuffer): Promise<ChainCheck> {
    // A screen made before or after a window resize can meet the user's terminal at the other size; the real
    // terminal has the size the user gave it, which the server then follows, so match it to the screen.
    if (this.userTerminal.cols !== wanted.cols || this.userTerminal.rows !== wanted.rows) this.userTerminal.resize(wanted.cols, wanted.rows);
    const next = this.serverState.withFramebuffer(wanted);
    const diff = next.diffFrom(this.clientState);
    this.serverState = next;
    this.clientState = this.clientState.applyDiff(diff);
    const target = this.clientState.framebuffer;
    const rendered = this.renderer.render(this.drawn, target);
    this.drawn = target;
    this.renderedBytes += rendered.length;
    this.steps++;
    await writeTerminal(this.userTerminal, rendered);
    const shown = snapshotTerminal(this.userTerminal);
    const differences = screenDifferences(shown, wanted);
    if (shown.title !== wanted.title) differences.push(`title shown ${JSON.stringify(shown.title)} wanted ${JSON.stringify(wanted.title)}`);
    return { wanted, shown, differences, rendered };
  }

  dispose(): void {
    this.userTerminal.dispose();
  }
}
