import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { arbRow } from './arbitrary-framebuffer.test-helpers.js';
import { blankRow, COLOR_DEFAULT, rowsEqual, type Cell, type Row } from './framebuffer.js';
import { ByteReader, ByteWriter } from './screen-diff.js';
import { plainLogLine, ScrollbackLog, trimmedLogLine } from './scrollback-log.js';

const arbLines = (max: number): fc.Arbitrary<Row[]> => fc.array(fc.integer({ min: 0, max: 10 }).chain((cols) => arbRow(cols)), { maxLength: max });

function roundTrip(base: ScrollbackLog, next: ScrollbackLog): ScrollbackLog {
  const out = new ByteWriter();
  if (!next.writeDiff(base, out)) return base;
  const reader = new ByteReader(out.finish(), 'test');
  const rebuilt = base.readDiff(reader);
  reader.expectEnd();
  return rebuilt;
}

describe('plainLogLine', () => {
  const plainRow = (text: string, wrapped: boolean): Row =>
    Object.freeze({ cells: Object.freeze([...text].map((ch): Cell => Object.freeze({ text: ch, width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 }))), wrapped });

  it('is the wire form of the same row of printable ASCII in the default pen, at any width (varints of one and two bytes)', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }), fc.boolean(), fc.array(arbRow(4), { maxLength: 3 }), fc.boolean(), (text, wrapped, before, strided) => {
        const codes = [...text].map((ch) => ch.charCodeAt(0));
        // Every element its own character, and every third of a longer array (as the server hands over cell words).
        const line = !strided ? plainLogLine(text.length, wrapped, codes) : plainLogLine(text.length, wrapped, codes.flatMap((c) => [0x400000 | c, 7, 9]), 0, 3);
        const base = ScrollbackLog.empty.append(before);
        const viaPlain = base.append([line]);
        const viaRow = base.append([plainRow(text, wrapped)]);
        expect(viaPlain.equals(viaRow)).toBe(true);
        expect(viaPlain.line(before.length)).toEqual(viaRow.line(before.length));
        // And a peer rebuilds it from the diff.
        expect(roundTrip(base, viaPlain).equals(viaRow)).toBe(true);
      }),
    );
  });

  it('plainText gives the text of exactly the plain lines, and wrappedAt their wrap, without decoding (any row)', () => {
    fc.assert(
      fc.property(arbLines(12), (rows) => {
        const log = ScrollbackLog.empty.append(rows);
        rows.forEach((_, i) => {
          const row = log.line(i);
          const plain = row.cells.every((c) => c.width === 1 && /^[\x20-\x7e]$/.test(c.text) && c.fg === COLOR_DEFAULT && c.bg === COLOR_DEFAULT && c.attrs === 0 && c.link === undefined);
          expect(log.plainText(i)).toBe(plain ? row.cells.map((c) => c.text).join('') : undefined);
          expect(log.wrappedAt(i)).toBe(row.wrapped);
        });
      }),
    );
    const plain = ScrollbackLog.empty.append([plainRow('x'.repeat(200), true), plainRow('', false)]);
    expect(plain.plainText(0)).toBe('x'.repeat(200));
    expect(plain.plainText(1)).toBe('');
    expect(() => plain.plainText(2)).toThrow(/outside the kept window/);
  });

  it('refuses a width no line can have', () => {
    expect(() => plainLogLine(-1, false, [])).toThrow(RangeError);
    expect(() => plainLogLine(5000, false, [])).toThrow(/5000 cells is not a line width/);
  });
});

describe('ScrollbackLog', () => {
  it('reaches as far as a byte budget allows (endWithinBytes), within the line cap and the window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 300 }), fc.nat(40), fc.nat(5000), fc.nat(400), (width, count, from, budget, maxLines) => {
        // Equal lines: each takes the same wire bytes, `size`, the least budget that reaches one line.
        const text = 'x'.repeat(width);
        const codes = [...text].map((c) => c.charCodeAt(0));
        const log = ScrollbackLog.empty.append(Array.from({ length: count }, () => plainLogLine(width, false, codes)));
        if (count === 0) {
          expect(log.endWithinBytes(from, budget, maxLines)).toBe(0);
          return;
        }
        let size = 0;
        while (log.endWithinBytes(0, size, 1) === 0) size++;
        const first = Math.min(from, count);
        expect(log.endWithinBytes(from, budget, maxLines)).toBe(first + Math.min(Math.floor(budget / size), maxLines, count - first));
      }),
    );
  });

  it('numbers lines absolutely and keeps only the last `retain`', () => {
    const rows = Array.from({ length: 7 }, (_, i) => Object.freeze({ cells: blankRow(i).cells, wrapped: false }));
    const log = ScrollbackLog.empty.append(rows.slice(0, 4), 5).append(rows.slice(4), 5);
    expect([log.start, log.end, log.length]).toEqual([2, 7, 5]);
    expect(log.line(6)).toEqual(rows[6]);
    expect(log.linesFrom(0)).toEqual(rows.slice(2));
    expect(() => log.line(1)).toThrow(/outside the kept window \[2, 7\)/);
  });

  it('an older value keeps its own lines after a newer one grew from it (values share one array safely)', () => {
    fc.assert(
      fc.property(arbLines(5), arbLines(5), arbLines(5), fc.integer({ min: 1, max: 6 }), (a, b, c, retain) => {
        const base = ScrollbackLog.empty.append(a, retain);
        const first = base.append(b, retain);
        const second = base.append(c, retain); // a branch from a value that is no longer the tip
        expect(first.linesFrom(0)).toEqual([...a, ...b].slice(-Math.min(retain, a.length + b.length) || a.length + b.length));
        expect(second.linesFrom(0).every((row, i, all) => rowsEqual(row, [...a, ...c].slice(-all.length)[i]!))).toBe(true);
        expect(base.linesFrom(0)).toEqual(a.slice(Math.max(0, a.length - retain)));
      }),
    );
  });

  it('appending line by line gives the log its lines say: batches, branches from older values, compactions (property)', () => {
    const text = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 12 });
    // A line: plain text handed over as codes (LogAppend.plain), or any row (LogAppend.line).
    const arbLine = fc.oneof(fc.record({ text, wrapped: fc.boolean() }), fc.integer({ min: 0, max: 6 }).chain((cols) => arbRow(cols)));
    // flood: plain lines after the batch, as a flood's capture appends them, so stores are compacted (past 64 lines dropped).
    const arbStep = fc.record({ from: fc.nat(), fromTip: fc.boolean(), batch: fc.array(arbLine, { maxLength: 20 }), flood: fc.integer({ min: 0, max: 120 }) });
    const plainRow = (line: string, wrapped: boolean): Row =>
      Object.freeze({ cells: Object.freeze([...line].map((ch): Cell => Object.freeze({ text: ch, width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 }))), wrapped });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.array(arbStep, { minLength: 1, maxLength: 25 }), (retain, steps) => {
        // Every value made so far, with the lines it should hold (all ever appended on its way) and its start.
        const values: { log: ScrollbackLog; lines: Row[]; start: number }[] = [{ log: ScrollbackLog.empty, lines: [], start: 0 }];
        for (const step of steps) {
          const base = step.fromTip ? values[values.length - 1]! : values[step.from % values.length]!;
          const append = base.log.appending(retain);
          const rows: Row[] = [];
          const flood = Array.from({ length: step.flood }, (_, i) => ({ text: String(base.lines.length + step.batch.length + i), wrapped: false }));
          for (const line of [...step.batch, ...flood]) {
            if ('text' in line) {
              append.plain(line.text.length, line.wrapped, [...line.text].map((ch) => ch.charCodeAt(0)));
              rows.push(plainRow(line.text, line.wrapped));
            } else {
              append.line(line);
              rows.push(line);
            }
          }
          const log = append.done();
          const lines = [...base.lines, ...rows];
          const start = Math.max(base.start, lines.length - retain);
          expect([log.start, log.end, log.screenTop - base.log.screenTop]).toEqual([start, lines.length, rows.length]);
          expect(log.linesFrom(0).every((row, i) => rowsEqual(row, lines[start + i]!))).toBe(true);
          // The same log as append() with the same lines (plain ones as plainLogLine), and a peer rebuilds it.
          expect(log.equals(base.log.append(rows, retain))).toBe(true);
          expect(roundTrip(base.log, log).equals(log)).toBe(true);
          values.push({ log, lines, start });
        }
        // Nothing appended later changed what an older value holds.
        for (const value of values) expect(value.log.linesFrom(0).every((row, i) => rowsEqual(row, value.lines[value.start + i]!))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('a diff carries exactly the missing lines, whatever the gap (property)', () => {
    fc.assert(
      fc.property(arbLines(8), fc.array(arbLines(6), { maxLength: 5 }), fc.integer({ min: 1, max: 10 }), (first, later, retain) => {
        const base = ScrollbackLog.empty.append(first, retain);
        const next = later.reduce((log, lines) => log.append(lines, retain), base);
        const rebuilt = roundTrip(base, next);
        expect(rebuilt.equals(next)).toBe(true);
        expect([rebuilt.start, rebuilt.end]).toEqual([next.start, next.end]);
      }),
    );
  });

  it('carries where the screen stands and the resize shift, alone or with lines (property)', () => {
    fc.assert(
      fc.property(arbLines(8), arbLines(4), fc.nat(20), fc.integer({ min: -1000, max: 1000 }), (first, more, pulled, shift) => {
        const base = ScrollbackLog.empty.append(first, 10);
        for (const next of [base.withScreen(base.end - Math.min(pulled, base.end), shift), base.append(more, 10).withScreen(0, -shift || 0)]) {
          const rebuilt = roundTrip(base, next);
          expect(rebuilt.equals(next)).toBe(true);
          expect([rebuilt.screenTop, rebuilt.resizeShift]).toEqual([next.screenTop, next.resizeShift]);
        }
        // The top never passes the end, and lines appended move it down with them.
        expect(base.withScreen(base.end + 5, 0).screenTop).toBe(base.end);
        const pulledBack = base.withScreen(Math.max(0, base.end - 2), shift);
        expect(pulledBack.append(more, 10).screenTop).toBe(pulledBack.screenTop + more.length);
      }),
    );
  });

  it('upTo offers an earlier end of the same window, and the rest follows in a later diff (property)', () => {
    fc.assert(
      fc.property(arbLines(6), arbLines(12), fc.nat(), (first, more, cut) => {
        const base = ScrollbackLog.empty.append(first, 10);
        const full = base.append(more, 10);
        const partial = full.upTo(full.start + (cut % (full.length + 1)));
        // The screen stays where it stands, beyond the offered lines: the receiver learns its history stops short.
        expect([partial.screenTop, partial.historyEnd]).toEqual([full.screenTop, partial.end]);
        const step = roundTrip(base.end <= partial.end ? base : ScrollbackLog.empty, partial);
        expect(step.equals(partial)).toBe(true);
        expect(step.screenTop).toBe(full.screenTop);
        expect(roundTrip(step, full).equals(full)).toBe(true);
        // Growing a shortened value copies instead of writing into the array the full one shares.
        partial.append([blankRow(2)], 10);
        expect(full.linesFrom(0)).toEqual(base.append(more, 10).linesFrom(0));
      }),
    );
  });

  it('an unchanged log writes nothing and a log cannot go backwards', () => {
    const log = ScrollbackLog.empty.append([blankRow(3)]);
    expect(log.writeDiff(log, new ByteWriter())).toBe(false);
    expect(() => ScrollbackLog.empty.writeDiff(log, new ByteWriter())).toThrow(/only grows/);
  });

  it('rejects malformed field bytes with a RangeError, never anything else (property)', () => {
    fc.assert(
      fc.property(arbLines(4), fc.uint8Array({ maxLength: 40 }), (lines, bytes) => {
        const base = ScrollbackLog.empty.append(lines);
        try {
          base.readDiff(new ByteReader(bytes, 'test'));
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
        }
      }),
    );
  });

  it('keeps a received line in canonical form whether or not it came in plain form, near misses included (property)', () => {
    // A line in plainLogLine's form is copied as it came; anything else (another flag, an overlong or wrong varint, a
    // byte outside printable ASCII, a second segment) is decoded and encoded again, or refused. Either way the log
    // holds what encoding its own rows gives, and a plain line's text reads back.
    const varint = (value: number, overlong: boolean): number[] => {
      const out: number[] = [];
      for (; value >= 0x80; value = Math.floor(value / 0x80)) out.push((value % 0x80) | 0x80);
      return overlong ? [...out, value | 0x80, 0] : [...out, value];
    };
    const arbLine = fc.record({
      text: fc.array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 200 }),
      flags: fc.constantFrom(0, 1, 0, 1, 2, 3),
      overlong: fc.constantFrom(false, false, false, true),
      headerDelta: fc.constantFrom(0, 0, 0, 0, 1, -1, 32),
      lengthDelta: fc.constantFrom(0, 0, 0, 0, 1, -1),
      control: fc.option(fc.nat(), { freq: 4 }),
    });
    fc.assert(
      fc.property(fc.array(arbLine, { maxLength: 6 }), (lines) => {
        const bytes: number[] = [0, ...varint(lines.length, false)];
        const plainTexts: Array<string | undefined> = [];
        for (const line of lines) {
          const text = [...line.text];
          if (line.control !== null && text.length > 0) text[line.control % text.length] = 0x1b;
          const count = text.length;
          bytes.push(line.flags, ...varint(count, line.overlong));
          if (count > 0) bytes.push(...varint(count * 32 + 1 + line.headerDelta, false), ...varint(count + line.lengthDelta, false), ...text);
          const exact = line.flags <= 1 && !line.overlong && (count === 0 || (line.headerDelta === 0 && line.lengthDelta === 0 && line.control === null));
          plainTexts.push(exact ? String.fromCharCode(...text) : undefined);
        }
        bytes.push(0, 0); // the screen's top at the end, no resize shift
        const reader = new ByteReader(Uint8Array.from(bytes), 'test');
        let log: ScrollbackLog;
        try {
          log = ScrollbackLog.empty.readDiff(reader);
        } catch (error) {
          expect(error).toBeInstanceOf(RangeError);
          expect(plainTexts.every((text) => text !== undefined)).toBe(false);
          return;
        }
        // A near miss may be read as other lines than were meant, its bytes then taken for the screen's top.
        if (!reader.atEnd || log.screenTop !== log.end || log.resizeShift !== 0) {
          expect(plainTexts.every((text) => text !== undefined)).toBe(false);
          return;
        }
        expect(log.equals(ScrollbackLog.empty.append(log.linesFrom(0)))).toBe(true);
        plainTexts.forEach((text, i) => expect(log.plainText(i)).toBe(text));
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a window that starts before the lines the receiver kept', () => {
    const base = ScrollbackLog.empty.append([blankRow(1), blankRow(1), blankRow(1)], 2); // keeps [1, 3)
    const out = new ByteWriter();
    out.varint(0);
    out.varint(0);
    expect(() => base.readDiff(new ByteReader(out.finish(), 'test'))).toThrow(/precedes the lines kept/);
  });

  it('rejects a screen top further beyond the end than the kept window, and reads version 3 unsigned', () => {
    const base = ScrollbackLog.empty.append([blankRow(1), blankRow(1)]); // [0, 2)
    const field = (top: number): Uint8Array => {
      const out = new ByteWriter();
      out.varint(0); // start
      out.varint(0); // no lines added
      out.varint(top);
      out.varint(0); // resize shift
      return out.finish();
    };
    // zigzag 5 = -3: the screen's top three lines beyond the end, within a window of 4 lines kept.
    expect(base.readDiff(new ByteReader(field(5), 'test'), 4).screenTop).toBe(5);
    expect(() => base.readDiff(new ByteReader(field(9), 'test'), 4)).toThrow(/5 lines beyond the end 2 exceeds the 4 kept/);
    // Version 3 wrote end - screenTop unsigned: 1 is one line pulled back onto the screen, not zigzag's -1.
    expect(base.readDiff(new ByteReader(field(1), 'test'), 4, 3).screenTop).toBe(1);
    expect(base.readDiff(new ByteReader(field(2), 'test'), 4).screenTop).toBe(1);
  });

  it('trims trailing erased cells, keeping coloured or written ones', () => {
    const text = { text: 'a', width: 1 as const, fg: 0, bg: 0, attrs: 0 };
    const blank = blankRow(4).cells[0]!;
    const coloured = { ...blank, bg: 0x1000001 };
    expect(trimmedLogLine({ cells: [text, blank, blank], wrapped: false }).cells).toEqual([text]);
    expect(trimmedLogLine({ cells: [text, coloured, blank], wrapped: false }).cells).toEqual([text, coloured]);
  });
});
