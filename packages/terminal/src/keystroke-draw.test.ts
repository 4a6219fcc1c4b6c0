/**
 * A keystroke's draw (keystroke-draw.ts) against the whole-screen path it stands in for: on a real @xterm/headless
 * terminal, drawing each key's guesses over the last frame must leave exactly what rendering the whole predicted
 * screen leaves, whatever the screen, the keys, the echoes and the wrong guesses; and its work must follow the rows
 * the guesses touch, not the screen.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbFramebufferOfSize, arbRow, replaceRow, writeText } from './arbitrary-framebuffer.test-helpers.js';
import { BLANK_CELL, blankFramebuffer, type Framebuffer, type Row } from './framebuffer.js';
import { drawGuessChange, type DrawnGuesses } from './keystroke-draw.js';
import { PredictionEngine, withOverlay, type PredictionMode } from './prediction.js';
import { displayedFramebuffer, Renderer } from './renderer.js';
import { createTestTerminal, screenDifference, textRow } from './xterm-readback.test-helpers.js';

const encoder = new TextEncoder();

/**
 * Keys a user types at a prompt: letters, a space, a wide character, backspace, the arrows, Ctrl-U, and a paste
 * (longer than PASTE_THRESHOLD_BYTES: the engine drops every guess, so rows go back to the server's).
 */
const arbKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 24, arbitrary: fc.constantFrom('a', 'b', 'x', ' ', '中', '\x7f') },
  { weight: 6, arbitrary: fc.constantFrom('\x1b[D', '\x1b[C', '\x15') },
  { weight: 1, arbitrary: fc.constant('pasted '.repeat(16)) },
);

type Action =
  | { readonly kind: 'key'; readonly key: string; readonly waitMs: number }
  /** The server echoes the first `share` of the keys not yet echoed (at least one when any is waiting). */
  | { readonly kind: 'echo'; readonly share: number; readonly waitMs: number }
  /** The program writes over a row of the screen (output beside the prompt, a status line). */
  | { readonly kind: 'scribble'; readonly row: number; readonly cells: Row; readonly waitMs: number };

interface Case {
  readonly screen: Framebuffer;
  readonly mode: PredictionMode;
  readonly rttMs: number;
  readonly actions: readonly Action[];
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({ cols: fc.integer({ min: 4, max: 16 }), rows: fc.integer({ min: 1, max: 6 }) })
  .chain(({ cols, rows }) =>
    fc.record({
      screen: arbFramebufferOfSize(cols, rows),
      // Room to type, mostly: a prompt near the right edge makes the guesses wrap, which the echo below does not.
      promptX: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: Math.floor(cols / 2) })),
      // Typing on the second row of a long, soft-wrapped command line.
      continuesAbove: fc.boolean(),
      promptY: fc.integer({ min: 0, max: rows - 1 }),
      mode: fc.constantFrom<PredictionMode>('always', 'always', 'experimental', 'adaptive'),
      rttMs: fc.integer({ min: 5, max: 600 }),
      actions: fc.array(
        fc.oneof(
          { weight: 6, arbitrary: fc.record({ kind: fc.constant('key' as const), key: arbKey, waitMs: fc.integer({ min: 0, max: 150 }) }) },
          { weight: 3, arbitrary: fc.record({ kind: fc.constant('echo' as const), share: fc.double({ min: 0, max: 1, noNaN: true }), waitMs: fc.integer({ min: 0, max: 400 }) }) },
          { weight: 1, arbitrary: fc.record({ kind: fc.constant('scribble' as const), row: fc.integer({ min: 0, max: rows - 1 }), cells: arbRow(cols), waitMs: fc.integer({ min: 0, max: 100 }) }) },
        ),
        { minLength: 1, maxLength: 24 },
      ),
    }).map(({ screen: drawnScreen, promptX, promptY, continuesAbove, ...rest }) => {
      const above = drawnScreen.lines[promptY - 1];
      const screen = continuesAbove && above !== undefined ? replaceRow(drawnScreen, promptY - 1, { ...above, wrapped: true }) : drawnScreen;
      // A prompt: the rest of its row blank, so typed text echoes where the engine guesses it (and sometimes not:
      // the scribbles and a wide character at the edge make wrong guesses too).
      const cells = screen.lines[promptY]!.cells.map((cell, x) => (x < promptX ? cell : BLANK_CELL));
      if (promptX > 0 && cells[promptX - 1]!.width === 2) cells[promptX - 1] = BLANK_CELL;
      const prompt = replaceRow(screen, promptY, { cells, wrapped: false });
      return { ...rest, screen: { ...prompt, cursor: { ...prompt.cursor, x: promptX, y: promptY } } };
    }),
  );

/** What the program shows after the first `count` keys: a line editor at the prompt, echoing as it goes. */
function echoScreen(base: Framebuffer, prompt: { x: number; y: number }, keys: readonly string[]): Framebuffer {
  const text: string[] = [];
  let at = 0;
  for (const key of keys) {
    if (key === '\x7f') {
      if (at > 0) text.splice(--at, 1);
    } else if (key === '\x1b[D') at = Math.max(0, at - 1);
    else if (key === '\x1b[C') at = Math.min(text.length, at + 1);
    else if (key === '\x15') {
      text.splice(0, at);
      at = 0;
    } else text.splice(at++, 0, key);
  }
  const blankTail = { cells: base.lines[prompt.y]!.cells.map((cell, x) => (x < prompt.x ? cell : BLANK_CELL)), wrapped: false };
  const written = writeText(replaceRow(base, prompt.y, blankTail), prompt.x, prompt.y, text.join(''));
  const cursorAt = writeText(written, prompt.x, prompt.y, text.slice(0, at).join('')).cursor;
  return { ...written, cursor: { ...base.cursor, x: cursorAt.x, y: prompt.y } };
}

describe('a keystroke draw', () => {
  it('leaves the terminal as the whole-screen render of the predicted screen does (real xterm)', async () => {
    let keysDrawn = 0;
    let keysWithGuesses = 0;
    await fc.assert(
      fc.asyncProperty(arbCase, async ({ screen: first, mode, rttMs, actions }) => {
        const whole = createTestTerminal(first.cols, first.rows);
        const incremental = createTestTerminal(first.cols, first.rows);
        try {
          const engine = new PredictionEngine({ mode });
          engine.setRtt(rttMs);
          const wholeRenderer = new Renderer();
          const keyRenderer = new Renderer();
          await whole.write(wholeRenderer.enter());
          await incremental.write(keyRenderer.enter());
          const prompt = { x: first.cursor.x, y: first.cursor.y };
          let base = first;
          let screen = first;
          const typed: string[] = [];
          let echoed = 0;
          let now = 1000;
          let wholeShown: Framebuffer | undefined;
          let drawn: DrawnGuesses | undefined;
          /** A server screen: both terminals get the whole-screen render. */
          const serverFrame = async (): Promise<void> => {
            const overlay = engine.overlay(screen, now);
            const frame = withOverlay(screen, overlay);
            await whole.write(wholeRenderer.render(wholeShown, frame));
            await incremental.write(keyRenderer.render(drawn?.frame, frame));
            wholeShown = frame;
            drawn = { screen, overlay, frame };
          };
          await serverFrame();
          for (const [step, action] of actions.entries()) {
            now += action.waitMs;
            if (action.kind === 'scribble') {
              base = replaceRow(base, action.row, action.cells);
              screen = echoScreen(base, prompt, typed.slice(0, echoed));
              engine.onServerScreen(screen, echoed, now);
              await serverFrame();
              continue;
            }
            if (action.kind === 'echo') {
              const waiting = typed.length - echoed;
              echoed += waiting === 0 ? 0 : Math.max(1, Math.round(waiting * action.share));
              screen = echoScreen(base, prompt, typed.slice(0, echoed));
              engine.onServerScreen(screen, echoed, now);
              await serverFrame();
              continue;
            }
            typed.push(action.key);
            engine.onUserInput(encoder.encode(action.key), screen, typed.length, now);
            const overlay = engine.overlay(screen, now);
            const frame = withOverlay(screen, overlay);
            await whole.write(wholeRenderer.render(wholeShown, frame));
            wholeShown = frame;
            const change = drawGuessChange(keyRenderer, drawn!, overlay);
            await incremental.write(change.out);
            drawn = change.drawn;
            keysDrawn++;
            if (overlay.cells.length > 0) keysWithGuesses++;
            const context = `step ${step} (${JSON.stringify(action.key)}), key bytes ${JSON.stringify(change.out)}`;
            expect(screenDifference(incremental.read(), whole.read()), context).toBe('');
            // What the front end keeps as drawn is the whole path's frame, for the next whole-screen render to diff.
            expect(screenDifference(displayedFramebuffer(drawn.frame), displayedFramebuffer(frame)), context).toBe('');
          }
          // A server frame after keys drawn incrementally diffs against the patched frame: still exact.
          screen = echoScreen(base, prompt, typed);
          engine.onServerScreen(screen, typed.length, now + 10);
          await serverFrame();
          expect(screenDifference(incremental.read(), whole.read()), 'the frame after the keys').toBe('');
        } finally {
          whole.dispose();
          incremental.dispose();
        }
      }),
      { numRuns: 250 },
    );
    // The property must have drawn real guesses, not only empty overlays.
    expect(keysWithGuesses).toBeGreaterThan(keysDrawn / 5);
  });

  it('touches only the rows its guesses touch on a 200x60 screen, and builds no whole frame', () => {
    const cols = 200;
    const rows = 60;
    let rowReads = 0;
    /** A screen whose every row read is counted: by the engine, the key draw, the renderer and a patched frame. */
    const countedScreen = (prompt: string): Framebuffer => {
      const blank = blankFramebuffer(cols, rows);
      const lines = blank.lines.map((_, y) => (y === rows - 1 ? textRow(prompt, cols) : textRow(`line ${y} of earlier output`, cols)));
      const counted = new Proxy(lines, {
        get(target, property, receiver) {
          if (typeof property === 'string' && /^\d+$/.test(property)) rowReads++;
          return Reflect.get(target, property, receiver);
        },
      });
      return { ...blank, lines: counted, cursor: { ...blank.cursor, x: prompt.length, y: rows - 1 } };
    };
    const engine = new PredictionEngine({ mode: 'always' });
    engine.setRtt(300);
    engine.onUserInput(encoder.encode('l'), countedScreen('$ '), 1, 0);
    const echoed = countedScreen('$ l');
    engine.onServerScreen(echoed, 1, 300);
    const renderer = new Renderer();
    const overlay = engine.overlay(echoed, 300);
    let drawn: DrawnGuesses = { screen: echoed, overlay, frame: withOverlay(echoed, overlay) };
    renderer.render(undefined, drawn.frame);

    rowReads = 0;
    for (const [i, key] of [...'s -la'].entries()) {
      const now = 310 + i * 50;
      engine.onUserInput(encoder.encode(key), echoed, 2 + i, now);
      const change = drawGuessChange(renderer, drawn, engine.overlay(echoed, now));
      expect(change.out).toContain(key);
      drawn = change.drawn;
    }
    // Five keys on one row: a few row reads each, where one whole-screen build or diff reads all 60 rows.
    expect(rowReads).toBeLessThan(5 * 10);
    expect(drawn.frame.lines[rows - 1]!.cells.slice(0, 8).map((cell) => cell.text).join('')).toBe('$ ls -la');
    // Only now, asked for its lines, does the patched frame build them (from the screen's 60 rows).
    expect(rowReads).toBeGreaterThanOrEqual(60);
  });

  it('writes nothing for a key that leaves the guesses shown as they are (an Enter: its new line is tentative)', () => {
    const at = (text: string): Framebuffer => {
      const blank = blankFramebuffer(20, 4);
      return { ...blank, lines: blank.lines.map((row, y) => (y === 0 ? textRow(text, 20) : row)), cursor: { ...blank.cursor, x: text.length, y: 0 } };
    };
    const engine = new PredictionEngine({ mode: 'always' });
    engine.onUserInput(encoder.encode('l'), at('$ '), 1, 0);
    const echoed = at('$ l');
    engine.onServerScreen(echoed, 1, 20);
    const renderer = new Renderer();
    renderer.render(undefined, echoed);
    let drawn: DrawnGuesses = { screen: echoed, overlay: engine.overlay(echoed, 20), frame: echoed };
    engine.onUserInput(encoder.encode('s'), echoed, 2, 30);
    const typed = drawGuessChange(renderer, drawn, engine.overlay(echoed, 30));
    expect(typed.out).toContain('s');
    drawn = typed.drawn;
    engine.onUserInput(encoder.encode('\r'), echoed, 3, 40);
    const enter = drawGuessChange(renderer, drawn, engine.overlay(echoed, 40));
    expect(enter.out).toBe('');
    expect(enter.drawn.frame).toBe(drawn.frame);
  });
});
