import { cellsEqual, cursorsEqual, type Framebuffer, type Row } from './framebuffer.js';
import type { OverlayCell, PredictionOverlay } from './prediction.js';
import type { Renderer } from './renderer.js';

/**
 * A keystroke's draw: its guesses written over the frame last drawn, at a cost that follows the rows the guesses
 * touch, not the screen (issue 18: a predicted key needs no network, so its cost is the client's alone). A typed key
 * changes the engine's guesses, never the server's screen, so only the cells guessed before or after the key can
 * differ from what the terminal shows; the whole-screen build and diff stay with the server's frames.
 */

/** What the last draw put on the terminal: a server screen with the guesses drawn over it. */
export interface DrawnGuesses {
  /** The server's screen the frame was drawn from. */
  readonly screen: Framebuffer;
  /** The guesses drawn over it. */
  readonly overlay: PredictionOverlay;
  /** The frame on the terminal: withOverlay(screen, overlay), whole or patched (patched-frame.ts). */
  readonly frame: Framebuffer;
}

/**
 * Bytes that change the terminal from `drawn` to `overlay` over the same screen, and what it then shows. The
 * terminal ends as a whole-screen `renderer.render(drawn.frame, withOverlay(drawn.screen, overlay))` would leave it
 * (keystroke-draw.test.ts checks this on a terminal emulator); `drawn.frame` must be what `renderer` drew last.
 */
export function drawGuessChange(renderer: Renderer, drawn: DrawnGuesses, overlay: PredictionOverlay): { out: string; drawn: DrawnGuesses } {
  // The same guesses as on the terminal: nothing to draw. An Enter's is such a change (its new line is a tentative
  // guess, never shown before the program answers), and so is every key while guesses are not shown (a fast link);
  // both are drawn just after their datagram left, on a core the daemon and the program want right then.
  if (sameOverlay(drawn.overlay, overlay)) return { out: '', drawn };
  const screen = drawn.screen;
  const guessedRows = new Set<number>();
  for (const { row } of drawn.overlay.cells) guessedRows.add(row);
  const cellsByRow = new Map<number, OverlayCell[]>();
  for (const guess of overlay.cells) {
    guessedRows.add(guess.row);
    let cells = cellsByRow.get(guess.row);
    if (cells === undefined) cellsByRow.set(guess.row, (cells = []));
    cells.push(guess);
  }
  const rows = new Map<number, Row>();
  for (const y of guessedRows) {
    const base = screen.lines[y];
    if (base === undefined) continue;
    const guesses = cellsByRow.get(y);
    // A row no guess covers any more shows the server's own again.
    if (guesses === undefined) {
      rows.set(y, base);
      continue;
    }
    const cells = [...base.cells];
    for (const { col, cell } of guesses) cells[col] = cell;
    rows.set(y, { cells, wrapped: base.wrapped });
  }
  const { out, drawn: frame } = renderer.renderRows(drawn.frame, rows, overlay.cursor);
  return { out, drawn: { screen, overlay, frame } };
}

/** Whether two overlays draw the same cells and cursor. */
function sameOverlay(a: PredictionOverlay, b: PredictionOverlay): boolean {
  if (a === b) return true;
  if (a.cells.length !== b.cells.length || !cursorsEqual(a.cursor, b.cursor)) return false;
  for (let i = 0; i < a.cells.length; i++) {
    const x = a.cells[i]!;
    const y = b.cells[i]!;
    if (x.row !== y.row || x.col !== y.col || !cellsEqual(x.cell, y.cell)) return false;
  }
  return true;
}
