import type { Cursor, Framebuffer, Row } from './framebuffer.js';

/**
 * A frame that is an earlier one with a few rows and the cursor replaced: what the terminal shows after a
 * keystroke's draw (Renderer.renderRows). Making it costs the replaced rows, not the screen: its `lines` array is
 * built the first time someone reads it (the next whole-screen render, at the next server frame), and successive
 * patches share one base frame and one map of replaced rows instead of a chain.
 */

interface Patch {
  readonly base: Framebuffer;
  readonly rows: ReadonlyMap<number, Row>;
}

/** The base and replaced rows of each patched frame this module made. */
const patches = new WeakMap<Framebuffer, Patch>();

/** `previous` with `rows` (row index → row) and `cursor` in place of its own. */
export function patchedFrame(previous: Framebuffer, rows: ReadonlyMap<number, Row>, cursor: Cursor): Framebuffer {
  const earlier = patches.get(previous);
  const base = earlier?.base ?? previous;
  let merged: ReadonlyMap<number, Row> = rows;
  if (earlier !== undefined && earlier.rows.size > 0) {
    const both = new Map(earlier.rows);
    for (const [y, row] of rows) both.set(y, row);
    merged = both;
  }
  const frame: Framebuffer = { ...base, cursor };
  let lines: readonly Row[] | undefined;
  // An own, enumerable getter: a spread or a JSON copy of the frame sees whole lines like any other frame's.
  Object.defineProperty(frame, 'lines', {
    enumerable: true,
    get: () => (lines ??= base.lines.map((row, y) => merged.get(y) ?? row)),
  });
  patches.set(frame, { base, rows: merged });
  return frame;
}

/** Row `y` of `frame`, without building a patched frame's whole lines. */
export function frameRow(frame: Framebuffer, y: number): Row | undefined {
  const patch = patches.get(frame);
  if (patch === undefined) return frame.lines[y];
  return patch.rows.get(y) ?? patch.base.lines[y];
}
