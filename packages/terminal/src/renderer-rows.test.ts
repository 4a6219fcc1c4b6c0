/**
 * How much a frame's draw reads grows with the screen: row compares counted (not timed) on the tallest screen the
 * wire carries. cellRowsEqual is wrapped to count its calls; everything else is the real module.
 */
import { describe, expect, it, vi } from 'vitest';
import { cellRowsEqual, MAX_SCREEN_ROWS } from './framebuffer.js';
import { Renderer } from './renderer.js';
import { framebuffer } from './xterm-readback.test-helpers.js';

vi.mock('./framebuffer.js', async (importOriginal) => {
  const original = await importOriginal<typeof import('./framebuffer.js')>();
  return { ...original, cellRowsEqual: vi.fn(original.cellRowsEqual) };
});

describe('Renderer on a tall screen', () => {
  it('compares each row a handful of times per frame, not once for every blank row above it', () => {
    // Each blank row asked whether two rows below it were stale by scanning down the screen: rows²/2 compares a
    // frame, and a 1500x900 window left the client drawing for minutes, answering nothing (not even SIGTERM).
    const rows = MAX_SCREEN_ROWS;
    const text = ['top line', 'second line', 'third'];
    const renderer = new Renderer();
    expect(renderer.render(undefined, framebuffer(80, rows, text))).toContain('top line');
    const compares = vi.mocked(cellRowsEqual);
    for (const [from, to] of [
      [text, text],
      [text, ['top line']],
      [['top line'], ['top line', '', '', 'fourth']],
    ] as const) {
      compares.mockClear();
      const bytes = renderer.render(framebuffer(80, rows, [...from]), framebuffer(80, rows, [...to]));
      expect(compares.mock.calls.length, `${from.join('/')} → ${to.join('/')}`).toBeLessThanOrEqual(8 * rows);
      if (to.length < from.length) expect(bytes.split('\x1b[J').length - 1).toBe(1); // the blank rows in one ED
    }
  });
});
