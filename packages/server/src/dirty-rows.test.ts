import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Terminal } from '@xterm/headless';
import { framebuffersEqual, rowText, type Framebuffer } from '@tsmosh/terminal';
import { createHeadlessTerminal } from './headless-mirror.js';
import { snapshotTerminal } from './snapshot.js';
import { dirtyRowsOf } from './dirty-rows.js';

function write(term: Terminal, data: string): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

/** Overwrites the first cell's code point of screen row `y` behind xterm's back (no row marked dirty). */
function poke(term: Terminal, y: number, char: string): void {
  const buffer = (term as unknown as { _core: { buffer: { ybase: number; lines: { get(i: number): { _data: Uint32Array } } } } })._core.buffer;
  const data = buffer.lines.get(buffer.ybase + y)._data;
  data[0] = (data[0]! & ~0x1fffff) | char.codePointAt(0)!;
}

describe('dirty rows: a snapshot reads only the rows output touched', () => {
  it('reads the rows a write touched and no other (a row changed behind xterm is not seen)', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 4 });
    await write(term, 'one\r\ntwo\r\nthree\r\n$ ');
    const before = snapshotTerminal(term);
    await write(term, 'x');
    expect(dirtyRowsOf(term)!.changedSince(before)).toMatchObject({ start: 3, end: 3, shift: 0 });
    poke(term, 0, 'O');
    const after = snapshotTerminal(term, before);
    expect(rowText(after.lines[3]!)).toBe('$ x');
    // Row 0 was not read again: the snapshot shares it, though its cell changed unmarked.
    expect(after.lines[0]).toBe(before.lines[0]);
    expect(rowText(snapshotTerminal(term).lines[0]!)).toBe('One');
  });

  it('shifts the rows a whole-screen scroll moved, and reads the new bottom row', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 4 });
    await write(term, 'one\r\ntwo\r\nthree\r\n$ ');
    const before = snapshotTerminal(term);
    await write(term, 'ls\r\nfile\r\n$ ');
    expect(dirtyRowsOf(term)!.changedSince(before)).toMatchObject({ start: 1, end: 3, shift: 2 });
    const after = snapshotTerminal(term, before);
    expect(after.lines.map(rowText)).toEqual(['three', '$ ls', 'file', '$']);
    expect(after.lines[0]).toBe(before.lines[2]);
  });

  it('marks the rows of a scroll region that scrolled, and leaves the rows outside it', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 5 });
    await write(term, 'r0\r\nr1\r\nr2\r\nr3\r\nr4\x1b[2;4r\x1b[4H');
    const before = snapshotTerminal(term);
    await write(term, '\n');
    expect(dirtyRowsOf(term)!.changedSince(before)).toMatchObject({ start: 0, end: 3, shift: 0 });
    const after = snapshotTerminal(term, before);
    expect(after.lines.map(rowText)).toEqual(['r0', 'r2', 'r3', '', 'r4']);
    expect(after.lines[4]).toBe(before.lines[4]);
  });

  it('reads every row after a buffer switch, a resize or a parse that threw', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 4 });
    await write(term, 'one\r\ntwo');
    let previous = snapshotTerminal(term);
    await write(term, '\x1b[?1049h');
    expect(dirtyRowsOf(term)!.changedSince(previous)).toBeUndefined();
    previous = snapshotTerminal(term, previous);
    term.resize(12, 4);
    expect(dirtyRowsOf(term)!.changedSince(previous)).toBeUndefined();
    previous = snapshotTerminal(term, previous);
    expect(dirtyRowsOf(term)!.changedSince(previous)).toBeDefined();
    // ED 1 from the bottom row's last column threw inside xterm before guardXtermDefects ran it as ED 2; make the
    // guarded parse throw some other way: a handler of ours that fails.
    const disposable = term.parser.registerCsiHandler({ final: 'y' }, () => {
      throw new Error('boom');
    });
    await write(term, '\x1b[y');
    expect(dirtyRowsOf(term)!.changedSince(previous)).toBeUndefined();
    disposable.dispose();
  });

  it('counts from the snapshot it was last reset to: another previous reads every row', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 3 });
    await write(term, 'a\r\nb');
    const first = snapshotTerminal(term);
    await write(term, '\r\nc');
    const second = snapshotTerminal(term, first);
    expect(dirtyRowsOf(term)!.changedSince(first)).toBeUndefined();
    expect(dirtyRowsOf(term)!.changedSince(second)).toBeDefined();
  });

  // Random output of every kind that moves or changes rows. The snapshot read through the dirty rows (from the
  // previous one, taken after some steps only, so changes pile up) must equal a full read of a twin terminal fed the
  // same bytes (a full read of the same terminal would reset its tracking).
  const pieces = fc.oneof(
    fc.constantFrom('a', 'word ', '$ ', 'echo hi', '中', '😀', 'e\u0301', 'e\u0301\u0302', '\t', '\r\n', '\r\n', '\n', '\r', '\b', ' ', 'x'.repeat(25)),
    fc.constantFrom('\x1b[31m', '\x1b[44m', '\x1b[1;4m', '\x1b[7m', '\x1b[4:3m', '\x1b[58:5:2m', '\x1b[38;2;1;2;3m', '\x1b[m', '\x1b[1"q', '\x1b[0"q'),
    fc.constantFrom('\x1b[H', '\x1b[3;2H', '\x1b[A', '\x1b[2B', '\x1b[5G', '\x1b7', '\x1b8', '\x1b[?6h', '\x1b[?6l', '\x1b[?7l', '\x1b[?7h', '\x1b[4h', '\x1b[4l'),
    fc.constantFrom('\x1b[K', '\x1b[1K', '\x1b[2K', '\x1b[J', '\x1b[1J', '\x1b[2J', '\x1b[3J', '\x1b[2X', '\x1b[2P', '\x1b[3@', '\x1b[?K', '\x1b[?J', "\x1b[2'}", "\x1b[2'~", '\x1b[3b'),
    fc.constantFrom('\x1b[L', '\x1b[2M', '\x1b[S', '\x1b[2T', '\x1bM', '\x1bD', '\x1bE', '\x1b[2;3r', '\x1b[1;2r', '\x1b[3;5r', '\x1b[r', '\x1b[2 @', '\x1b[2 A'),
    // A scroll region scrolled by a newline at its bottom (with and without its top at the screen's top).
    fc.constantFrom('\x1b[2;4r\x1b[4H\n', '\x1b[1;3r\x1b[3H\r\nz', '\x1b[3;5r\x1b[5Hq\n', '\x1b[2;4r\x1b[2H\x1bM'),
    fc.constantFrom('\x1b[?1049h', '\x1b[?1049l', '\x1b[?47h', '\x1b[?47l', '\x1bc', '\x1b[!p', '\x1b#8'),
    fc.constantFrom('\x1b]8;;https://example.com/\x1b\\', '\x1b]8;;\x1b\\'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 8 }),
  );
  const step = fc.oneof(
    { weight: 6, arbitrary: fc.record({ write: fc.array(pieces, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')), snapshot: fc.boolean() }) },
    { weight: 1, arbitrary: fc.record({ cols: fc.integer({ min: 2, max: 12 }), rows: fc.integer({ min: 1, max: 6 }), snapshot: fc.boolean() }) },
  );

  it('gives exactly what a full read gives, after any output, scroll, region, buffer switch, erase or resize', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 30 }), fc.constantFrom(0, 3, 1000), async (steps, scrollback) => {
        const term = createHeadlessTerminal({ cols: 10, rows: 5, scrollback });
        const twin = createHeadlessTerminal({ cols: 10, rows: 5, scrollback });
        try {
          // A shell's screen: full, the cursor on its bottom row, where each newline scrolls.
          const start = Array.from({ length: 7 }, (_, i) => `line ${i}`).join('\r\n') + '\r\n$ ';
          await write(term, start);
          await write(twin, start);
          let previous: Framebuffer = snapshotTerminal(term);
          const check = (): void => {
            previous = snapshotTerminal(term, previous);
            expect(framebuffersEqual(previous, snapshotTerminal(twin))).toBe(true);
          };
          for (const s of steps) {
            if ('write' in s) {
              await write(term, s.write);
              await write(twin, s.write);
            } else {
              term.resize(s.cols, s.rows);
              twin.resize(s.cols, s.rows);
            }
            if (s.snapshot) check();
          }
          check();
        } finally {
          term.dispose();
          twin.dispose();
        }
      }),
      { numRuns: 400 },
    );
  });
});
