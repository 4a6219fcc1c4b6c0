import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BLANK_CELL, COLOR_PALETTE_16, blankFramebuffer, type Cell, type Framebuffer, type Row } from './framebuffer.js';
import { charWidth } from './char-width.js';
import { ScrollbackLog, plainLogLine, trimmedLogLine } from './scrollback-log.js';
import { PlainTextWriter, rowCellsText, screenRowsToWrite } from './plain-text.js';

/**
 * Rows as a terminal `cols` wide lays out `text` written by a program: a character per cell (a wide one takes two,
 * and goes on to the next row when it does not fit in the last column), the row soft-wrapped when the text runs on.
 * Always at least one row.
 */
function layOut(text: string, cols: number, pen: Partial<Cell> = {}): Row[] {
  const rows: Row[] = [];
  let cells: Cell[] = [];
  const endRow = (wrapped: boolean): void => {
    while (cells.length < cols) cells.push(BLANK_CELL);
    rows.push({ cells, wrapped });
    cells = [];
  };
  for (const ch of text) {
    const width = charWidth(ch.codePointAt(0)!) === 2 ? 2 : 1;
    if (cells.length + width > cols) endRow(true);
    const cell: Cell = { ...BLANK_CELL, ...pen, text: ch, width };
    cells.push(cell);
    if (width === 2) cells.push({ ...cell, text: '', width: 0 });
  }
  endRow(false);
  return rows;
}

/** A screen `cols` x `rows` showing `shown` from the top, the cursor at (x, y). */
function screen(cols: number, rows: number, shown: readonly Row[], cursor: { x: number; y: number }, alternateScreen = false): Framebuffer {
  const blank = blankFramebuffer(cols, rows);
  const lines = blank.lines.map((row, y) => shown[y] ?? row);
  return { ...blank, lines, cursor: { ...blank.cursor, ...cursor }, alternateScreen };
}

/** As the server logs a row: trailing blanks off, and a plain row of printable ASCII in its plain wire form. */
function logged(row: Row): Row | ReturnType<typeof plainLogLine> {
  const trimmed = trimmedLogLine(row);
  const plain = trimmed.cells.every((c) => c.width === 1 && c.fg === 0 && c.bg === 0 && c.attrs === 0 && /^[\x20-\x7e]$/.test(c.text));
  return plain ? plainLogLine(trimmed.cells.length, trimmed.wrapped, trimmed.cells.map((c) => c.text.charCodeAt(0))) : trimmed;
}

describe('PlainTextWriter', () => {
  it('writes each line that leaves the screen once, then the final screen down to its last line', () => {
    const cols = 10;
    const writer = new PlainTextWriter();
    const rows = ['one', 'two', 'three', 'four'].flatMap((t) => layOut(t, cols));
    let log = ScrollbackLog.empty.append(rows.slice(0, 2).map(logged));
    expect(writer.history(log)).toEqual({ text: 'one\ntwo\n', dropped: 0 });
    // The same log again (a frame that added no line): nothing.
    expect(writer.history(log).text).toBe('');
    log = log.append(rows.slice(2, 3).map(logged));
    expect(writer.history(log).text).toBe('three\n');
    const final = screen(cols, 3, [rows[3]!], { x: 0, y: 1 });
    expect(writer.finish(log, final)).toEqual({ text: 'four\n', dropped: 0 });
    expect(writer.finish(log, final).text).toBe('');
  });

  it('joins soft-wrapped rows into one line, across the history and the screen, and writes a wide character once', () => {
    const cols = 6;
    const writer = new PlainTextWriter();
    // 16 columns of text at 6 columns: three rows. The wide characters: "漢" needs two columns, and at column 5 it
    // goes on to the next row, leaving the last cell empty (no blank is inserted in the line).
    const long = layOut('abcdefghijklmnop', cols);
    const wide = layOut('abcde漢字', cols);
    expect(wide.map((r) => r.wrapped)).toEqual([true, false]);
    const log = ScrollbackLog.empty.append([...long, wide[0]!].map(logged));
    // The first rows of a line that still goes on: nothing yet.
    expect(writer.history(log.upTo(2)).text).toBe('');
    expect(writer.history(log).text).toBe('abcdefghijklmnop\n');
    const final = screen(cols, 4, [wide[1]!, ...layOut('end ', cols)], { x: 4, y: 1 });
    expect(writer.finish(log, final).text).toBe('abcde漢字\nend\n');
  });

  it('trims trailing blanks and keeps blanks inside a line; no colour, no escape sequence', () => {
    const red = { fg: COLOR_PALETTE_16 | 1 };
    expect(rowCellsText(layOut('red text   ', 20, red)[0]!, false)).toBe('red text');
    expect(rowCellsText(layOut('a  b', 4)[0]!, true)).toBe('a  b');
    const escape: Row = { cells: [{ ...BLANK_CELL, text: '\x1b' }, { ...BLANK_CELL, text: '[' }, { ...BLANK_CELL, text: '\x07' }], wrapped: false };
    expect(rowCellsText(escape, false)).toBe(' [');
  });

  it('writes the final screen down to the last non-blank row, or the cursor when it waits after a line break', () => {
    const cols = 8;
    const rows = ['a', '', 'b'].flatMap((t) => layOut(t, cols));
    // `printf 'a\n\nb\n'`: cursor at the start of the fourth row.
    expect(screenRowsToWrite(screen(cols, 5, rows, { x: 0, y: 3 }))).toBe(3);
    // `printf 'a\n\n\n'`: three lines, two of them empty.
    expect(screenRowsToWrite(screen(cols, 5, layOut('a', cols), { x: 0, y: 3 }))).toBe(3);
    // `printf 'a\n\nb'`: the cursor after b.
    expect(screenRowsToWrite(screen(cols, 5, rows, { x: 1, y: 2 }))).toBe(3);
    // Nothing written: nothing.
    expect(screenRowsToWrite(screen(cols, 5, [], { x: 0, y: 0 }))).toBe(0);
    // A program that moved the cursor up (a progress bar redrawn) still has its lower lines written.
    expect(screenRowsToWrite(screen(cols, 5, rows, { x: 0, y: 0 }))).toBe(3);
    const writer = new PlainTextWriter();
    expect(writer.finish(ScrollbackLog.empty, screen(cols, 5, rows, { x: 0, y: 3 })).text).toBe('a\n\nb\n');
  });

  it('writes nothing of a final alternate screen, and counts lines the log no longer held or never sent', () => {
    const cols = 8;
    const lines = Array.from({ length: 30 }, (_, i) => layOut(`L${i}`, cols)[0]!);
    const writer = new PlainTextWriter();
    expect(writer.history(ScrollbackLog.empty.append(lines.slice(0, 5).map(logged))).text).toBe('L0\nL1\nL2\nL3\nL4\n');
    // The log kept its last 10 lines of 20: 10 (L5 to L14) are gone.
    const kept = ScrollbackLog.empty.append(lines.slice(0, 25).map(logged), 10);
    expect(writer.history(kept)).toEqual({ text: lines.slice(15, 25).map((_, i) => `L${15 + i}\n`).join(''), dropped: 10 });
    // The session ended with its history offered a window at a time, three lines short of the screen; on the
    // alternate screen, whose rows are not the program's output.
    const full = kept.append(lines.slice(25, 30).map(logged), 10);
    const final = writer.finish(full.upTo(27), screen(cols, 3, layOut('vim', cols), { x: 0, y: 0 }, true));
    expect(final).toEqual({ text: 'L25\nL26\n', dropped: 3 });
  });
});

/**
 * A program's output as lines of text, laid out on a screen `cols` x `rows` row by row the way a terminal scrolls:
 * the rows that left the top are the log, the rest the screen with the cursor below the last line (or after it, when
 * the output does not end with a line break). Every prefix of the rows is a moment a frame may show.
 */
function moments(lines: readonly string[], cols: number, rows: number, endsWithBreak: boolean): { log: ScrollbackLog; screen: Framebuffer; }[] {
  const all = lines.flatMap((line) => layOut(line, cols));
  const out: { log: ScrollbackLog; screen: Framebuffer }[] = [];
  let log = ScrollbackLog.empty;
  for (let count = 0; count <= all.length; count++) {
    const last = count === all.length;
    // Rows in use: the rows written, and the cursor's own row below them when a line break followed.
    const used = count + (last && !endsWithBreak ? 0 : 1);
    const top = Math.max(0, used - rows);
    if (top > log.end) log = log.append(all.slice(log.end, top).map(logged), 1_000_000);
    const shown = all.slice(top, count);
    // Without a final break the cursor stands after the last row's characters (at its last column when it is full).
    const lastRow = shown[shown.length - 1];
    const written = lastRow === undefined ? 0 : lastRow.cells.filter((c) => c !== BLANK_CELL).length;
    const cursor = last && !endsWithBreak ? { x: Math.min(cols - 1, written), y: Math.max(0, shown.length - 1) } : { x: 0, y: shown.length };
    out.push({ log, screen: screen(cols, rows, shown, cursor) });
  }
  return out;
}

describe('PlainTextWriter over any sequence of screens', () => {
  const arbLine = fc.array(fc.constantFrom('a', 'b', ' ', 'é', '漢', '😀', 'x'), { maxLength: 25 }).map((chars) => chars.join(''));

  it('writes every line once and in order, whichever frames it sees and however the log comes', () => {
    fc.assert(
      fc.property(
        fc.record({
          lines: fc.array(arbLine, { minLength: 1, maxLength: 30 }),
          cols: fc.integer({ min: 2, max: 9 }),
          rows: fc.integer({ min: 1, max: 5 }),
          endsWithBreak: fc.boolean(),
          // Which moments a frame shows (the rest were lost or skipped), and how much of the log each carried.
          seen: fc.array(fc.tuple(fc.boolean(), fc.nat()), { maxLength: 200 }),
        }),
        ({ lines, cols, rows, endsWithBreak, seen }) => {
          // Output that ends without a line break after an empty last line ended with the break before it.
          const expected = lines.map((l) => l.replace(/ +$/, ''));
          if (!endsWithBreak && lines[lines.length - 1] === '') expected.pop();
          const frames = moments(lines, cols, rows, endsWithBreak);
          const writer = new PlainTextWriter();
          let text = '';
          frames.forEach(({ log }, i) => {
            const [shown, window] = seen[i] ?? [false, 0];
            if (!shown) return;
            // A window of the log (the daemon sends a long history in windows), never behind what came before.
            const end = Math.min(log.end, Math.max(writer.position, log.start) + (window % 40));
            const got = writer.history(log.upTo(Math.max(end, log.start)));
            expect(got.dropped).toBe(0);
            text += got.text;
          });
          const final = frames[frames.length - 1]!;
          const last = writer.finish(final.log, final.screen);
          expect(last.dropped).toBe(0);
          text += last.text;
          expect(text).toBe(expected.map((l) => `${l}\n`).join(''));
        },
      ),
      { numRuns: 400 },
    );
  });
});
