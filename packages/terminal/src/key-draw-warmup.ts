import { BLANK_CELL, blankFramebuffer, type Framebuffer } from './framebuffer.js';
import { drawGuessChange, type DrawnGuesses } from './keystroke-draw.js';
import { PredictionEngine } from './prediction.js';
import { Renderer } from './renderer.js';

/**
 * A session's first predicted key is the first call of its draw path (the engine's guess, keystroke-draw's rows, the
 * renderer's row draw), and V8 compiles a function at its first call: at 300 ms RTT that key took 2.3–3.0 ms from
 * the client's read to its draw, against ~0.4 ms for the keys after it, and was over 5 ms in most bench runs
 * (docs/benchmarks-journal.md, session 20, tail). warmKeyDraw runs that path once on objects of its own (an engine, a
 * renderer, a screen with a prompt it knows) so the first real key finds the code compiled and its call sites fed.
 * Nothing it makes outlives the call; the client calls it while it waits for the server's first reply.
 */

/** The prompt on the warm-up's screen, given to its engine as known so its first guess shows at once. */
const WARMUP_PROMPT = '$ ';
/** The keys typed: two characters, each drawn over the last, as a person types. */
const WARMUP_KEYS = 'ab';
/** A round trip (ms) past FLAG_SRTT_HIGH_MS, so the guesses are underlined as on the links where prediction shows. */
const WARMUP_RTT_MS = 300;

/** Types WARMUP_KEYS at a prompt on a `cols`×`rows` screen and draws each key's guesses; returns the bytes drawn. */
export function warmKeyDraw(cols: number, rows: number): string {
  const screen = promptScreen(Math.max(cols, WARMUP_PROMPT.length + WARMUP_KEYS.length + 1), Math.max(rows, 1));
  const engine = new PredictionEngine({ knownPrompts: [WARMUP_PROMPT] });
  engine.setRtt(WARMUP_RTT_MS);
  engine.onServerScreen(screen, 0, 0);
  const renderer = new Renderer();
  let drawn: DrawnGuesses = { screen, overlay: engine.overlay(screen, 0), frame: screen };
  let out = '';
  let position = 0;
  for (const key of new TextEncoder().encode(WARMUP_KEYS)) {
    position++;
    engine.onUserInput(Uint8Array.of(key), screen, position, position);
    const change = drawGuessChange(renderer, drawn, engine.overlay(screen, position));
    out += change.out;
    drawn = change.drawn;
  }
  return out;
}

/** A blank screen with WARMUP_PROMPT on its top row and the cursor after it. */
function promptScreen(cols: number, rows: number): Framebuffer {
  const blank = blankFramebuffer(cols, rows);
  const cells = [...blank.lines[0]!.cells];
  for (let x = 0; x < WARMUP_PROMPT.length; x++) cells[x] = WARMUP_PROMPT[x] === ' ' ? BLANK_CELL : { ...BLANK_CELL, text: WARMUP_PROMPT[x]! };
  const lines = [...blank.lines];
  lines[0] = { cells, wrapped: false };
  return { ...blank, lines, cursor: { ...blank.cursor, x: WARMUP_PROMPT.length, y: 0 } };
}
