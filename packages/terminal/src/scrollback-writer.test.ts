// The writer against a real terminal: @xterm/headless stands in for the user's terminal, and its own history
// (buffer lines above the screen) must hold the log's lines exactly once, in order, whatever the frames did.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Renderer } from './renderer.js';
import { ScrollbackLog } from './scrollback-log.js';
import { ScrollbackWriter } from './scrollback-writer.js';
import { createTestTerminal, framebuffer, screenDifference, textRow, type TestTerminal } from './xterm-readback.test-helpers.js';
import type { Framebuffer, Row } from './framebuffer.js';

const terminals: TestTerminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.dispose();
});

function localTerminal(cols: number, rows: number): TestTerminal {
  const t = createTestTerminal(cols, rows);
  t.term.options.scrollback = 100_000;
  terminals.push(t);
  return t;
}

/** The local terminal's history: the lines above the screen, as text; soft-wrapped rows joined as a terminal would. */
function history(t: TestTerminal): string[] {
  const buffer = t.term.buffer.active;
  const lines: string[] = [];
  for (let y = 0; y < buffer.baseY; y++) {
    const line = buffer.getLine(y)!;
    const text = line.translateToString(true);
    if (line.isWrapped && lines.length > 0) lines[lines.length - 1] += text;
    else lines.push(text);
  }
  return lines;
}

const logLine = (text: string, cols: number, wrapped = false): Row => {
  const row = textRow(text, cols, {}, wrapped);
  return { cells: row.cells.slice(0, [...text].length), wrapped };
};

/** A client's paint: the writer's lines first, then the screen (repainted whole when lines went to the history). */
function paint(writer: ScrollbackWriter, renderer: Renderer, log: ScrollbackLog, previous: Framebuffer | undefined, next: Framebuffer): string {
  const lines = writer.write(log, next.cols);
  return lines + renderer.render(lines === '' ? previous : undefined, next);
}

describe('ScrollbackWriter', () => {
  it('writes only lines above the screen, skips lines the terminal pushed itself, and writes again lines it pulled back', async () => {
    const cols = 10;
    const t = localTerminal(cols, 4);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    await t.write(renderer.enter());
    const line = (n: number) => logLine(`line ${n}`, cols);
    let log = ScrollbackLog.empty.append([1, 2, 3].map(line));
    // Lines 2 and 3 were pulled back onto the screen by a taller window: only line 1 goes to the history now.
    await t.write(writer.write(log.withScreen(1, 0), cols));
    expect(history(t)).toEqual(['line 1']);
    // Our own window grew and our terminal pulled line 1 out of its history (as the server's mirror did): the
    // writer rewinds, and line 1 is written again once it leaves the screen.
    writer.terminalMoved(-1);
    expect(writer.written).toBe(0);
    t.term.clear(); // stands in for the terminal's own pull (the history no longer holds line 1)
    await t.write(writer.write(log, cols));
    expect(history(t)).toEqual(['line 1', 'line 2', 'line 3']);
    // Our window shrank and our terminal pushed two lines up itself: the writer skips them.
    log = log.append([4, 5, 6].map(line));
    writer.terminalMoved(2);
    await t.write(writer.write(log, cols));
    expect(history(t)).toEqual(['line 1', 'line 2', 'line 3', 'line 6']);
  });

  it('a shorter window while the history lags the screen loses no line: the gap and the pushed rows follow in order', async () => {
    const cols = 10;
    const t = localTerminal(cols, 6);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    await t.write(renderer.enter());
    const line = (n: number) => logLine(`${n}`, cols);
    const numbers = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
    // The server logged 1–20 and shows 21–26; it offered only 1–10 so far (upTo): the screen's top lies beyond.
    const full = ScrollbackLog.empty.append(numbers(1, 20).map(line));
    const offered = full.upTo(10);
    expect([offered.end, offered.screenTop, offered.historyEnd]).toEqual([10, 20, 10]);
    // The cursor on the last row, as a shell's after output: a shorter window then pushes rows from the top.
    const atBottom = (rows: number) => ({ cursor: { x: 2, y: rows - 1, visible: true, style: 'block' as const, blink: true } });
    const screen = framebuffer(cols, 6, numbers(21, 26).map(String), atBottom(6));
    await t.write(paint(writer, renderer, offered, undefined, screen));
    expect(history(t)).toEqual(numbers(1, 10).map(String));
    // The window loses two rows: the terminal pushes its top rows, 21 and 22, after line 10; the server's mirror logs
    // the same two (the resize shift +2).
    writer.terminalResized();
    t.term.resize(cols, 4);
    expect(history(t)).toEqual([...numbers(1, 10), 21, 22].map(String));
    const resized = full.append([21, 22].map(line)).withScreen(22, 2);
    writer.terminalMoved(2);
    await t.write(paint(writer, renderer, resized, undefined, framebuffer(cols, 4, numbers(23, 26).map(String), atBottom(4))));
    // Nothing lost: after the pushed pair, 11–22 in order, so from line 11 on the history reads as the log.
    expect(history(t)).toEqual([...numbers(1, 10), 21, 22, ...numbers(11, 22)].map(String));
    // With the history caught up, the next shorter window's pushed rows are skipped as before: 23 stays once.
    writer.terminalResized();
    t.term.resize(cols, 3);
    writer.terminalMoved(1);
    await t.write(paint(writer, renderer, resized.append([line(23)]).withScreen(23, 3), undefined, framebuffer(cols, 3, ['24', '25', '26'], atBottom(3))));
    expect(history(t)).toEqual([...numbers(1, 10), 21, 22, ...numbers(11, 23)].map(String));
  });

  it('puts every log line into the history once, in order, and leaves the screen as the frame says', async () => {
    const cols = 20;
    const rows = 5;
    const t = localTerminal(cols, rows);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    await t.write(renderer.enter());
    let log = ScrollbackLog.empty;
    let shown: Framebuffer | undefined;
    let next = 1;
    for (const batch of [0, 3, 1, 12, 0, 7]) {
      const lines = Array.from({ length: batch }, () => logLine(`line ${next++}`, cols));
      log = log.append(lines);
      // The screen shows the five lines after the logged ones, as the remote screen would.
      const frame = framebuffer(cols, rows, Array.from({ length: rows }, (_, i) => `line ${next + i}`));
      await t.write(paint(writer, renderer, log, shown, frame));
      shown = frame;
      expect(screenDifference(t.read(), frame)).toBe('');
      expect(history(t)).toEqual(Array.from({ length: next - 1 }, (_, i) => `line ${i + 1}`));
    }
  });

  it('a frame that scrolls the screen pushes nothing into the history by itself', async () => {
    const t = localTerminal(30, 6);
    const renderer = new Renderer();
    await t.write(renderer.enter());
    let shown: Framebuffer | undefined;
    for (let first = 0; first < 20; first += 1 + (first % 3)) {
      const frame = framebuffer(30, 6, Array.from({ length: 6 }, (_, i) => `row ${first + i}`));
      await t.write(renderer.render(shown, frame));
      shown = frame;
      expect(screenDifference(t.read(), frame)).toBe('');
    }
    expect(history(t)).toEqual([]);
    // A resize repaints without a whole-screen erase either.
    t.term.resize(24, 4);
    await t.write(renderer.render(undefined, framebuffer(24, 4, ['a', 'b'])));
    expect(history(t)).toEqual([]);
  });

  it('joins soft-wrapped lines in the history as the remote terminal had them', async () => {
    const cols = 8;
    const t = localTerminal(cols, 3);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    const log = ScrollbackLog.empty.append([logLine('abcdefgh', cols, true), logLine('ij', cols), logLine('k', cols)]);
    await t.write(paint(writer, renderer, log, undefined, framebuffer(cols, 3, ['x'])));
    expect(history(t)).toEqual(['abcdefghij', 'k']);
    expect(t.term.buffer.active.getLine(1)!.isWrapped).toBe(true);
  });

  it('says how many lines it cannot show when the log moved on further than it keeps', async () => {
    const t = localTerminal(60, 3);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    const all = Array.from({ length: 10 }, (_, i) => logLine(`n${i}`, 60));
    const log = ScrollbackLog.empty.append(all, 4); // keeps n6–n9
    await t.write(paint(writer, renderer, log, undefined, framebuffer(60, 3, [])));
    expect(history(t)).toEqual(['[tsmosh: 6 earlier lines of history not kept]', 'n6', 'n7', 'n8', 'n9']);
    expect(writer.write(log, 60)).toBe('');
  });

  it('any sequence of log growth and screens leaves each line in the history exactly once (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 2, max: 7 })), { minLength: 1, maxLength: 8 }),
        async (steps) => {
          const cols = 12;
          const t = localTerminal(cols, 4);
          const writer = new ScrollbackWriter();
          const renderer = new Renderer();
          await t.write(renderer.enter());
          let log = ScrollbackLog.empty;
          let shown: Framebuffer | undefined;
          let count = 0;
          for (const [added, shift] of steps) {
            log = log.append(Array.from({ length: added }, () => logLine(`L${++count}`, cols)));
            const frame = framebuffer(cols, 4, Array.from({ length: 4 }, (_, i) => `s${count * shift + i}`));
            await t.write(paint(writer, renderer, log, shown, frame));
            shown = frame;
          }
          expect(history(t)).toEqual(Array.from({ length: count }, (_, i) => `L${i + 1}`));
          expect(screenDifference(t.read(), shown!)).toBe('');
        },
      ),
      { numRuns: 40 },
    );
  });
});
