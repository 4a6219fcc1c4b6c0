/**
 * Properties of the renderer against a real @xterm/headless terminal: whatever the frames, drawing them in order
 * leaves the terminal showing the last one, cell for cell, with its wrap flags, cursor and modes.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arbFramebuffer, arbFramebufferHistory, arbFramebufferPair } from './arbitrary-framebuffer.test-helpers.js';
import type { Framebuffer } from './framebuffer.js';
import { CHANGED_ROWS_MAX, displayedFramebuffer, Renderer } from './renderer.js';
import { createTestTerminal, screenDifference, type TestTerminal } from './xterm-readback.test-helpers.js';

/** xterm.js needs at least two columns; the renderer has no lower limit, the terminal does. */
const SIZE = { minCols: 2, maxCols: 14, minRows: 1, maxRows: 7 };
/** Mouse encodings xterm.js implements (it ignores 1005 and 1015, so those cannot be checked here). */
const CHECKABLE_ENCODINGS = new Set(['default', 'sgr', 'sgr-pixels']);

/**
 * Draw `frames` in order on one terminal and renderer; after each, the terminal must show exactly that frame.
 * `onlcr`: the bytes pass through a tty that turns LF into CR LF on output, as the client's own tty does (Node's raw
 * mode keeps OPOST and ONLCR on, unlike cfmakeraw): the renderer must be right through either kind of tty.
 */
async function drawAll(frames: readonly Framebuffer[], options: { repaintEach?: boolean; onlcr?: boolean } = {}): Promise<void> {
  const first = frames[0]!;
  const t: TestTerminal = createTestTerminal(first.cols, first.rows);
  try {
    const renderer = new Renderer();
    await t.write(renderer.enter());
    let shown: Framebuffer | undefined;
    for (const next of frames) {
      if (t.term.cols !== next.cols || t.term.rows !== next.rows) t.term.resize(next.cols, next.rows);
      const bellsBefore = t.bells;
      const historyBefore = t.term.buffer.normal.baseY;
      const bytes = renderer.render(options.repaintEach ? undefined : shown, next);
      await t.write(options.onlcr ? bytes.replace(/\n/g, '\r\n') : bytes);
      const expected = displayedFramebuffer(next);
      const actual = t.read();
      const context = `frame ${frames.indexOf(next)} bytes ${JSON.stringify(bytes)}`;
      expect(screenDifference(actual, expected), context).toBe('');
      const { mouseEncoding, kittyKeyboardFlags: _k, modifyOtherKeys: _m, reverseVideo: _r, ...modes } = expected.modes;
      expect(actual.modes, context).toMatchObject(modes);
      if (CHECKABLE_ENCODINGS.has(mouseEncoding)) expect(actual.modes.mouseEncoding, context).toBe(mouseEncoding);
      expect(actual.cursor, context).toMatchObject({ style: expected.cursor.style, blink: expected.cursor.blink });
      expect(t.titles.at(-1) ?? '', context).toBe(expected.title);
      const rang = shown !== undefined && next.bellCount > shown.bellCount;
      expect(t.bells - bellsBefore, context).toBe(rang ? 1 : 0);
      // Nothing reaches the terminal's history: no scroll up, no whole-screen erase (tmux keeps what those remove).
      expect(t.term.buffer.normal.baseY, context).toBe(historyBefore);
      expect(t.wholeScreenErases, context).toBe(0);
      shown = next;
    }
  } finally {
    t.dispose();
  }
}

describe('Renderer properties (real xterm)', () => {
  it('a full repaint shows any screen exactly', async () => {
    await fc.assert(
      fc.asyncProperty(arbFramebuffer(SIZE), fc.boolean(), async (fb, onlcr) => drawAll([fb], { onlcr })),
      { numRuns: 300 },
    );
  });

  it('render(undefined, A) then render(A, B) shows B exactly', async () => {
    await fc.assert(
      fc.asyncProperty(arbFramebufferPair(SIZE), fc.boolean(), async ([a, b], onlcr) => drawAll([a, b], { onlcr })),
      { numRuns: 400 },
    );
  });

  it('a history of plausible frames stays exact at every step', async () => {
    await fc.assert(
      fc.asyncProperty(arbFramebufferHistory(SIZE, 6), fc.boolean(), async (frames, onlcr) => drawAll(frames, { onlcr })),
      { numRuns: 200 },
    );
  });

  it('two unrelated screens in a row: render(A, B) for any A and B', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 12 }).chain((cols) =>
          fc.integer({ min: 1, max: 6 }).chain((rows) => fc.tuple(arbFramebuffer({ minCols: cols, maxCols: cols, minRows: rows, maxRows: rows }), arbFramebuffer({ minCols: cols, maxCols: cols, minRows: rows, maxRows: rows }))),
        ),
        async ([a, b]) => drawAll([a, b]),
      ),
      { numRuns: 300 },
    );
  });

  it('a frame drawn by its changed rows leaves the terminal as the whole-screen diff does', async () => {
    // The same frames on two terminals: one renderer draws a frame that replaced few rows by those rows
    // (CHANGED_ROWS_MAX), the other always by the whole-screen diff. Cells, wrap flags, cursor and pen-free history
    // must agree after every frame; each terminal is also checked against the frame itself.
    await fc.assert(
      fc.asyncProperty(arbFramebufferHistory(SIZE, 6), fc.boolean(), async (frames, onlcr) => {
        const first = frames[0]!;
        const byRows = createTestTerminal(first.cols, first.rows);
        const whole = createTestTerminal(first.cols, first.rows);
        try {
          const rowsRenderer = new Renderer();
          const wholeRenderer = new Renderer({ changedRowsMax: -1 });
          await byRows.write(rowsRenderer.enter());
          await whole.write(wholeRenderer.enter());
          let shown: Framebuffer | undefined;
          for (const next of frames) {
            for (const t of [byRows, whole]) if (t.term.cols !== next.cols || t.term.rows !== next.rows) t.term.resize(next.cols, next.rows);
            const a = rowsRenderer.render(shown, next);
            const b = wholeRenderer.render(shown, next);
            await byRows.write(onlcr ? a.replace(/\n/g, '\r\n') : a);
            await whole.write(onlcr ? b.replace(/\n/g, '\r\n') : b);
            const context = `frame ${frames.indexOf(next)} by rows ${JSON.stringify(a)} whole ${JSON.stringify(b)}`;
            const shownByRows = byRows.read();
            expect(screenDifference(shownByRows, whole.read()), context).toBe('');
            expect(screenDifference(shownByRows, displayedFramebuffer(next)), context).toBe('');
            expect(shownByRows.cursor, context).toEqual(whole.read().cursor);
            expect(byRows.term.buffer.normal.baseY, context).toBe(whole.term.buffer.normal.baseY);
            shown = next;
          }
        } finally {
          byRows.dispose();
          whole.dispose();
        }
      }),
      { numRuns: 200 },
    );
  });

  it('prints a run of cells in one pen as the same bytes as cell by cell', () => {
    // Byte for byte, not just the same screen: the run path (printRun) appends exactly the texts print() would, with
    // no pen, link or cursor bytes between them, and leaves the same model behind, so every later choice (the gap
    // reprints, the wrap, the scroll plans' lengths) is the same too. Wide rows make long runs; cells of wide text,
    // odd widths, links and the last column are in the generated rows around them.
    const size = { minCols: 2, maxCols: 40, minRows: 1, maxRows: 8 };
    // Plausible histories, and a screen followed by itself with its wide characters overwritten by narrow text in
    // their pen and its wrap flags redrawn: a run that starts on a wide character's second half (store()'s checks).
    const narrowed = fc.tuple(arbFramebuffer(size), fc.infiniteStream(fc.boolean())).map(([a, flips]): Framebuffer[] => {
      const lines = a.lines.map((row) => ({
        cells: row.cells.map((cell) => (cell.width === 1 ? cell : Object.freeze({ ...cell, text: cell.width === 2 ? 'w' : 'h', width: 1 as const }))),
        wrapped: flips.next().value ? !row.wrapped : row.wrapped,
      }));
      return [a, { ...a, lines }];
    });
    fc.assert(
      fc.property(fc.oneof(arbFramebufferHistory(size, 6), narrowed), fc.integer({ min: -1, max: CHANGED_ROWS_MAX }), (frames, changedRowsMax) => {
        const runs = new Renderer({ changedRowsMax });
        const cells = new Renderer({ changedRowsMax, printRuns: false });
        let shown: Framebuffer | undefined;
        for (const next of frames) {
          expect(runs.render(shown, next), `frame ${frames.indexOf(next)}`).toBe(cells.render(shown, next));
          if (shown !== undefined && shown.cols === next.cols && shown.rows === next.rows) {
            // The sparse path (a keystroke's guesses): the next frame's rows over the one shown.
            const rows = new Map(next.lines.map((row, y) => [y, row] as const).filter(([y]) => y % 2 === 0));
            expect(runs.renderRows(shown, rows, next.cursor).out).toBe(cells.renderRows(shown, rows, next.cursor).out);
            runs.render(undefined, next);
            cells.render(undefined, next);
          }
          shown = next;
        }
      }),
      { numRuns: 600 },
    );
  });

  it('is never larger than a full repaint by more than the mode preamble', async () => {
    await fc.assert(
      fc.property(arbFramebufferPair({ ...SIZE, minCols: 10, maxCols: 40, minRows: 4, maxRows: 12 }), ([a, b]) => {
        if (a.cols !== b.cols || a.rows !== b.rows) return;
        const incremental = new Renderer();
        incremental.render(undefined, a);
        const diff = incremental.render(a, b);
        const repaint = new Renderer().render(undefined, b);
        expect(diff.length).toBeLessThanOrEqual(repaint.length + 40);
      }),
      { numRuns: 300 },
    );
  });
});
