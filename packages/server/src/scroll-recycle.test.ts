import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import xterm, { type Terminal } from '@xterm/headless';
import { recycleScrolledLines } from './scroll-recycle.js';
import { createHeadlessTerminal } from './headless-mirror.js';
import { guardXtermDefects } from './xterm-internals.js';

const ESC = '\x1b';
const CSI = `${ESC}[`;

/**
 * A plain xterm, as the package ships it: the reference the patched one must match. Its parser's known defect (ED 1
 * in the last column of the last row throws and wedges the write queue) is guarded on both sides alike.
 */
function plainTerminal(cols: number, rows: number, scrollback: number): Terminal {
  const term = new xterm.Terminal({ cols, rows, scrollback, allowProposedApi: true, logLevel: 'off' });
  guardXtermDefects(term, (error) => parseErrors.push(error));
  return term;
}

/** What xterm threw while parsing (guardXtermDefects drops the rest of that chunk): none is expected. */
const parseErrors: unknown[] = [];

function patchedTerminal(cols: number, rows: number, scrollback: number): Terminal {
  const term = plainTerminal(cols, rows, scrollback);
  expect(recycleScrolledLines(term)).toBeUndefined();
  return term;
}

function write(term: Terminal, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

interface LineInternals {
  _data: Uint32Array;
  _combined: Record<number, string>;
  _extendedAttrs: Record<number, unknown>;
  isWrapped: boolean;
  length: number;
}

/**
 * Everything a buffer holds, line by line and exactly: xterm's cell words, its combined characters and extended
 * attributes (underline styles, links), the wrap flags, plus the cursor, the region and where the screen starts.
 */
function bufferState(term: Terminal, which: 'normal' | 'alternate'): unknown {
  const core = (term as unknown as { _core: { buffers: Record<'normal' | 'alt', { lines: { length: number; get(i: number): LineInternals }; x: number; y: number; ybase: number; ydisp: number; scrollTop: number; scrollBottom: number }> } })._core;
  const buffer = core.buffers[which === 'normal' ? 'normal' : 'alt'];
  const lines: unknown[] = [];
  for (let i = 0; i < buffer.lines.length; i++) {
    const line = buffer.lines.get(i);
    lines.push({
      text: term.buffer[which].getLine(i)?.translateToString(false),
      words: Array.from(line._data.subarray(0, line.length * 3)).join(','),
      combined: JSON.stringify(line._combined),
      extended: JSON.stringify(line._extendedAttrs),
      wrapped: line.isWrapped,
      length: line.length,
    });
  }
  const { x, y, ybase, ydisp, scrollTop, scrollBottom } = buffer;
  return { lines, x, y, ybase, ydisp, scrollTop, scrollBottom };
}

function sameLineTwice(term: Terminal): boolean {
  const lines = (term as unknown as { _core: { buffer: { lines: { length: number; get(i: number): unknown } } } })._core.buffer.lines;
  const seen = new Set<unknown>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines.get(i);
    if (seen.has(line)) return true;
    seen.add(line);
  }
  return false;
}

const int = (min: number, max: number) => fc.integer({ min, max });
const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** Traffic that scrolls regions every way xterm can, in colours and with the cell contents copyFrom must clear. */
const token = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9 ]{1,40}$/) },
  { weight: 1, arbitrary: pick('宽字符', '😀', 'e\u0301', 'a\u0308\u0323', '─│┌┐') },
  { weight: 5, arbitrary: fc.tuple(int(0, 12), int(0, 14)).map(([t, b]) => `${CSI}${t};${b}r`) },
  { weight: 8, arbitrary: int(0, 16).map((n) => `${CSI}${n}S`) },
  { weight: 2, arbitrary: pick('S', 'T', 'L', 'M', 'K', 'J', 'X', '@', 'P').chain((f) => int(0, 5).map((n) => `${CSI}${n}${f}`)) },
  { weight: 3, arbitrary: pick('\r\n', '\n', `${ESC}D`, `${ESC}M`, `${ESC}E`, '\r') },
  { weight: 3, arbitrary: fc.tuple(int(1, 14), int(1, 30)).map(([r, c]) => `${CSI}${r};${c}H`) },
  {
    weight: 3,
    arbitrary: pick('0', '1', '4:3', '7', '41', '44', '49', '48;5;200', '48;2;1;2;3', '38;5;9', '53').map((p) => `${CSI}${p}m`),
  },
  { weight: 1, arbitrary: pick(`${ESC}]8;;https://example.com/\x07`, `${ESC}]8;;\x07`) },
  { weight: 1, arbitrary: pick(`${CSI}?1049h`, `${CSI}?1049l`, `${CSI}?6h`, `${CSI}?6l`, `${CSI}!p`, `${CSI}?7l`, `${CSI}?7h`) },
  // Erases in line and display, plain and selective (DECSEL/DECSED keep cells protected by DECSCA).
  { weight: 4, arbitrary: fc.tuple(pick('', '?'), int(0, 3), pick('K', 'J')).map(([q, n, f]) => `${CSI}${q}${n}${f}`) },
  { weight: 1, arbitrary: pick(`${CSI}1"q`, `${CSI}0"q`) },
  // Wide characters at the edges of an erase: the cursor on either half, then EL 0 or EL 1.
  { weight: 2, arbitrary: fc.tuple(int(1, 12), int(1, 20), pick('0', '1')).map(([r, c, n]) => `${CSI}${r};${c}H宽宽${CSI}${r};${c + 1}H${CSI}${n}K`) },
  { weight: 1, arbitrary: pick(`${ESC}c`) },
);

/** A step: bytes to write, or a resize (which reflows, and changes the blank line's width). */
const step = fc.oneof(
  { weight: 12, arbitrary: fc.array(token, { minLength: 1, maxLength: 12 }).map((parts) => ({ data: parts.join('') })) },
  { weight: 1, arbitrary: fc.tuple(int(10, 30), int(4, 14)).map(([cols, rows]) => ({ cols, rows })) },
);

describe('SU recycling the lines that leave the region, EL copying blank cells (scroll-recycle.ts)', () => {
  it('installs on the @xterm/headless version in package.json (the flood path stays fast)', () => {
    const term = plainTerminal(20, 6, 10);
    const handler = (term as unknown as { _core: { _inputHandler: { scrollUp: unknown; _eraseInBufferLine: unknown } } })._core._inputHandler;
    const own = handler.scrollUp;
    const ownErase = handler._eraseInBufferLine;
    expect(recycleScrolledLines(term)).toBeUndefined();
    expect(handler.scrollUp).not.toBe(own);
    expect(handler._eraseInBufferLine).not.toBe(ownErase);
    const mirrorTerm = createHeadlessTerminal({ cols: 20, rows: 6 });
    const mirrorHandler = (mirrorTerm as unknown as { _core: { _inputHandler: { scrollUp: unknown } } })._core._inputHandler;
    expect(mirrorHandler.scrollUp).not.toBe(Object.getPrototypeOf(mirrorHandler).scrollUp);
    term.dispose();
    mirrorTerm.dispose();
  });

  it('leaves every buffer exactly as xterm does on random scroll-region traffic, step by step', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), int(5, 40), async (steps, scrollback) => {
        const plain = plainTerminal(20, 8, scrollback);
        const patched = patchedTerminal(20, 8, scrollback);
        try {
          for (const s of steps) {
            if ('data' in s) {
              await write(plain, s.data);
              await write(patched, s.data);
            } else {
              plain.resize(s.cols, s.rows);
              patched.resize(s.cols, s.rows);
            }
            expect(bufferState(patched, 'normal')).toEqual(bufferState(plain, 'normal'));
            expect(bufferState(patched, 'alternate')).toEqual(bufferState(plain, 'alternate'));
            expect(sameLineTwice(patched)).toBe(false);
          }
          // A recycled line that was still shared somewhere would show this text twice.
          const after = `${CSI}r${CSI}0m${CSI}H${'marked '.repeat(20)}${CSI}2;5r${CSI}3S${CSI}5;1Hmore`;
          await write(plain, after);
          await write(patched, after);
          expect(bufferState(patched, 'normal')).toEqual(bufferState(plain, 'normal'));
          expect(parseErrors).toEqual([]);
        } finally {
          plain.dispose();
          patched.dispose();
        }
      }),
      { seed: 0x5c011, numRuns: 300 },
    );
  });

  it('matches xterm for a pane-like flood: a partial region at the top and at the bottom, SU by 1 and by many', async () => {
    for (const region of ['1;5', '7;11', '1;12', '3;3', '1;11']) {
      const plain = plainTerminal(30, 12, 20);
      const patched = patchedTerminal(30, 12, 20);
      let data = `${CSI}${region}r${CSI}44m`;
      for (let i = 0; i < 200; i++) data += `${CSI}${region.split(';')[1]};1H${CSI}${1 + (i % 7)}S${CSI}K${i} line${'x'.repeat(i % 40)}`;
      await write(plain, data);
      await write(patched, data);
      expect(bufferState(patched, 'normal'), region).toEqual(bufferState(plain, 'normal'));
      plain.dispose();
      patched.dispose();
    }
  });

  it('leaves a buffer with markers to xterm, whose splices move them', async () => {
    const plain = plainTerminal(20, 8, 10);
    const patched = patchedTerminal(20, 8, 10);
    const data = `${CSI}H1\r\n2\r\n3\r\n4\r\n5${CSI}2;6r`;
    await write(plain, data);
    await write(patched, data);
    const markers = [plain, patched].map((term) => term.registerMarker(-2));
    await write(plain, `${CSI}2S`);
    await write(patched, `${CSI}2S`);
    expect(markers[1]!.line).toBe(markers[0]!.line);
    expect(markers[1]!.isDisposed).toBe(markers[0]!.isDisposed);
    expect(bufferState(patched, 'normal')).toEqual(bufferState(plain, 'normal'));
    plain.dispose();
    patched.dispose();
  });

  it('leaves SU to xterm when its private shape differs (another version), and says why', async () => {
    expect(recycleScrolledLines({} as Terminal)).toMatch(/_core\._inputHandler is missing/);
    const term = plainTerminal(20, 6, 10);
    const handler = (term as unknown as { _core: { _inputHandler: Record<string, unknown> } })._core._inputHandler;
    handler._eraseAttrData = undefined;
    const own = handler.scrollUp;
    expect(recycleScrolledLines(term)).toMatch(/_eraseAttrData is missing/);
    expect(handler.scrollUp).toBe(own);
    delete handler._eraseAttrData;
    // xterm's own path still runs (and reads its real _eraseAttrData from the prototype).
    const plain = plainTerminal(20, 6, 10);
    const data = `${CSI}44m${CSI}2;5r${CSI}5Ha\r\nb${CSI}2Sc`;
    await write(term, data);
    await write(plain, data);
    expect(bufferState(term, 'normal')).toEqual(bufferState(plain, 'normal'));
    const lines = (term as unknown as { _core: { buffer: { lines: { get(i: number): Record<string, unknown> } } } })._core.buffer.lines;
    const line = lines.get(0)!;
    const noCopy = plainTerminal(20, 6, 10);
    const noCopyLine = (noCopy as unknown as { _core: { buffer: { lines: { get(i: number): Record<string, unknown> } } } })._core.buffer.lines.get(0)!;
    noCopyLine.copyFrom = undefined;
    expect(recycleScrolledLines(noCopy)).toMatch(/copyFrom/);
    expect(typeof line.copyFrom).toBe('function');
    term.dispose();
    plain.dispose();
    noCopy.dispose();
  });
});
