// The writer against a real terminal: @xterm/headless stands in for the user's terminal, and its own history
// (buffer lines above the screen) must hold the log's lines exactly once, in order, whatever the frames did.
import { afterEach, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Renderer } from './renderer.js';
import { ScrollbackLog } from './scrollback-log.js';
import { ScrollbackWriter, paintWithHistory } from './scrollback-writer.js';
import { createTestTerminal, framebuffer, screenDifference, textRow, type TestTerminal } from './xterm-readback.test-helpers.js';
import { blankRow, type Framebuffer, type Row } from './framebuffer.js';
import { arbRow } from './arbitrary-framebuffer.test-helpers.js';
import { trimmedLogLine } from './scrollback-log.js';
import { displayedFramebuffer } from './renderer.js';

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
  const lines = writer.write(log, next.cols, next.rows);
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

  it('an Enter at the bottom of a shell scrolls the top line off into the history: a line feed and a row, no repaint', async () => {
    const cols = 80;
    const rows = 24;
    const t = localTerminal(cols, rows);
    const writer = new ScrollbackWriter();
    const renderer = new Renderer();
    await t.write(renderer.enter());
    const lines = Array.from({ length: rows }, (_, i) => `$ echo ${i}`);
    const screen = (from: number): Framebuffer =>
      framebuffer(cols, rows, lines.slice(from, from + rows), { cursor: { x: 2, y: rows - 1, visible: true, style: 'block', blink: true } });
    let log = ScrollbackLog.empty;
    let shown = screen(0);
    await t.write(paintWithHistory(writer, renderer, log, undefined, shown));
    // Enter: the remote screen scrolled by one, its top line went to the log.
    lines.push('$ ');
    log = log.append([logLine(lines[0]!, cols)]);
    const next = screen(1);
    const out = paintWithHistory(writer, renderer, log, shown, next);
    await t.write(out);
    expect(history(t)).toEqual(['$ echo 0']);
    expect(screenDifference(t.read(), next)).toBe('');
    // The writer and a repaint: the line, then every row of the screen erased and drawn (over 500 bytes here).
    expect(out.length).toBeLessThan(40);
    shown = next;
    // With the guess of a status line over the top row, the rows differ from the log's lines: the writer's way.
    lines.push('$ x');
    log = log.append([logLine(lines[1]!, cols)]);
    const covered = { ...screen(2), lines: [textRow('tsmosh: last contact 7 s ago', cols), ...screen(2).lines.slice(1)] };
    await t.write(paintWithHistory(writer, renderer, log, shown, covered));
    expect(history(t)).toEqual(['$ echo 0', '$ echo 1']);
    expect(screenDifference(t.read(), covered)).toBe('');
  });

  it('scrolling lines off leaves the terminal as the writer and a whole repaint do, history and screen (property)', async () => {
    // A shell-like remote screen: rows of random cells (colours, wide characters, links, soft wraps) printed at the
    // bottom, each step pushing 0 or more lines off the top into the log; now and then a status line covers the
    // client's top row. One terminal is painted with paintWithHistory (rows scrolled off where it can), the other by
    // the writer and a whole render each time: both must end with the same history and the same screen.
    let scrolledOff = 0;
    const arbStep = (cols: number, rows: number) =>
      fc.record({
        added: fc.array(arbRow(cols), { maxLength: rows + 2 }),
        // The bottom row changed in place (an echo), without scrolling.
        echo: fc.option(arbRow(cols), { nil: undefined }),
        covered: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
      });
    // At least 4 rows: the writer pushes a soft-wrapped line's rows together, up to four (RUN_MAX), and on such a
    // window whole lines in runs of up to four rows (paintWithHistory), where the other terminal gets them one by one.
    const arbSession = fc
      .record({ cols: fc.integer({ min: 2, max: 10 }), rows: fc.integer({ min: 4, max: 6 }) })
      .chain(({ cols, rows }) => fc.record({ cols: fc.constant(cols), rows: fc.constant(rows), steps: fc.array(arbStep(cols, rows), { minLength: 1, maxLength: 7 }) }));
    await fc.assert(
      fc.asyncProperty(arbSession, async ({ cols, rows, steps }) => {
        const scrolling = localTerminal(cols, rows);
        const whole = localTerminal(cols, rows);
        const scrollWriter = new ScrollbackWriter();
        const wholeWriter = new ScrollbackWriter();
        const scrollRenderer = new Renderer();
        const wholeRenderer = new Renderer();
        await scrolling.write(scrollRenderer.enter());
        await whole.write(wholeRenderer.enter());
        const all: Row[] = [];
        let log = ScrollbackLog.empty;
        let shownScrolling: Framebuffer | undefined;
        let shownWhole: Framebuffer | undefined;
        for (const [index, step] of steps.entries()) {
          all.push(...step.added);
          if (step.echo !== undefined && all.length > 0) all[all.length - 1] = step.echo;
          const pushed = Math.max(0, all.length - rows);
          log = log.append(all.slice(log.end, pushed).map(trimmedLogLine));
          const screenRows = all.slice(pushed);
          while (screenRows.length < rows) screenRows.push(blankRow(cols));
          let frame = framebuffer(cols, rows, screenRows, { cursor: { x: 0, y: Math.min(all.length, rows - 1), visible: true, style: 'block', blink: true } });
          if (step.covered) frame = { ...frame, lines: [textRow('status', cols), ...frame.lines.slice(1)] };
          const bytes = paintWithHistory(scrollWriter, scrollRenderer, log, shownScrolling, frame);
          await scrolling.write(bytes);
          // The writer's lines start by resetting the scroll region and pen; a scroll-off is the renderer's alone.
          if (bytes.includes('\x1b[9999;1H\x1bD') && !bytes.includes('\x1b[r\x1b[m')) scrolledOff++;
          await whole.write(wholeWriter.write(log, cols) + wholeRenderer.render(undefined, frame));
          shownScrolling = frame;
          shownWhole = frame;
          const context = `step ${index} bytes ${JSON.stringify(bytes)}`;
          expect(screenDifference(scrolling.read(), displayedFramebuffer(frame)), context).toBe('');
          expect(historyCells(scrolling), context).toEqual(historyCells(whole));
          // Soft wraps: the writer joins a run of full rows it pushes together, never across paints; scrolled rows
          // keep the flag the screen had, which joins at least as much and only where the line did wrap.
          const flagsScrolling = historyWraps(scrolling);
          const flagsWhole = historyWraps(whole);
          for (let y = 1; y < flagsScrolling.length; y++) {
            if (flagsWhole[y]) expect(flagsScrolling[y], `${context} history row ${y}`).toBe(true);
            if (flagsScrolling[y]) expect(log.line(y - 1).wrapped, `${context} history row ${y}`).toBe(true);
          }
        }
        expect(shownWhole).toBe(shownScrolling);
      }),
      { numRuns: 150 },
    );
    // The property is about the scrolling paint: most steps that push lines take it.
    expect(scrolledOff).toBeGreaterThan(40);
  });
});

/**
 * A remote shell printing whole lines: its screen shows the last rows of them with the cursor on a blank row below
 * the last (or cleared: the lines printed since), and its log holds every line that scrolled off its top.
 */
class RemoteShell {
  private readonly onScreen: string[] = [];
  /** What the cursor's row shows: a command being typed at a prompt. */
  typing = '';
  log = ScrollbackLog.empty;

  constructor(
    private readonly cols: number,
    private readonly rows: number,
  ) {}

  print(...lines: string[]): void {
    for (const line of lines) {
      this.onScreen.push(line);
      // The cursor's blank row below the last line is part of the screen: a row scrolls off when they fill it.
      if (this.onScreen.length > this.rows - 1) this.log = this.log.append([logLine(this.onScreen.shift()!, this.cols)]);
    }
  }

  /** `clear`: the screen erased, nothing logged (as xterm's ED 2 and the server's mirror do). */
  clear(): void {
    this.onScreen.length = 0;
  }

  get screen(): Framebuffer {
    const y = this.onScreen.length;
    return framebuffer(this.cols, this.rows, [...this.onScreen, this.typing], { cursor: { x: [...this.typing].length, y, visible: true, style: 'block', blink: true } });
  }
}

/**
 * A client's front end over `t` as frontend.ts drives it (paintWithHistory each frame, the suspension and resume
 * as suspend() and onContinue() write them).
 */
class Front {
  readonly writer = new ScrollbackWriter();
  readonly renderer = new Renderer();
  private shown: Framebuffer | undefined;
  private suspendedRows: { rows: readonly Row[]; cols: number } | undefined;

  constructor(
    private readonly t: TestTerminal,
    private readonly remote: RemoteShell,
  ) {}

  async start(): Promise<void> {
    await this.t.write(this.renderer.enter());
  }

  async paint(): Promise<void> {
    const next = this.remote.screen;
    await this.t.write(paintWithHistory(this.writer, this.renderer, this.remote.log, this.shown, next));
    this.shown = next;
  }

  /** Ctrl-^ Ctrl-Z: the rows left above the note, the terminal restored, the note. */
  async suspend(): Promise<void> {
    this.suspendedRows = this.renderer.rowsAboveExit(this.shown);
    await this.t.write(this.renderer.exit(this.shown) + '[tsmosh is suspended.]\r\n');
  }

  /**
   * SIGCONT. `touched`: a shell had the terminal (after our suspend always); otherwise the screen is as drawn and
   * only repainted.
   */
  async resume(touched: boolean): Promise<void> {
    let pushed = this.suspendedRows;
    this.suspendedRows = undefined;
    if (pushed === undefined && touched && this.shown !== undefined) pushed = { rows: this.shown.lines.slice(0, this.shown.cursor.y), cols: this.shown.cols };
    await this.t.write((touched ? '\x1bD'.repeat(this.t.term.rows - 1) : '') + this.renderer.enter());
    if (pushed !== undefined && touched) this.writer.terminalPushed(pushed.rows, pushed.cols);
    this.shown = undefined;
    await this.paint();
  }
}

const ticks = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `tick ${from + i}`);

describe('ScrollbackWriter after a suspension', () => {
  const cols = 30;
  const rows = 8;
  const isRemote = (line: string): boolean => line.startsWith('tick ') || line === '$ loop';
  /** A local terminal, a remote shell and a client front end between them, started. */
  const started = async (): Promise<{ t: TestTerminal; remote: RemoteShell; front: Front }> => {
    const t = localTerminal(cols, rows);
    const remote = new RemoteShell(cols, rows);
    const front = new Front(t, remote);
    await front.start();
    return { t, remote, front };
  };

  it('a stop a job-control shell acted on: each remote line once, the shell\'s lines where it wrote them', async () => {
    const { t, remote, front } = await started();
    remote.print('$ loop', ...ticks(1, 5));
    await front.paint();
    // kill -STOP: the shell that started the client says so and takes the terminal; the user types fg.
    await t.write('\r\n[1]+  Stopped   tsmosh\r\n$ fg\r\ntsmosh\r\n');
    // Meanwhile the remote loop went on, scrolling lines off its screen.
    remote.print(...ticks(6, 40));
    await front.resume(true);
    for (let n = 41; n <= 50; n++) {
      remote.print(`tick ${n}`);
      await front.paint();
    }
    const lines = history(t);
    expect(lines.filter(isRemote)).toEqual(['$ loop', ...ticks(1, 50 - (rows - 1))]);
    // The shell's lines follow the rows that stood above the cursor when it stopped.
    expect(lines.indexOf('[1]+  Stopped   tsmosh')).toBeGreaterThan(lines.indexOf('tick 5'));
    expect(lines.indexOf('tsmosh')).toBeLessThan(lines.indexOf('tick 6'));
    expect(screenDifference(t.read(), remote.screen)).toBe('');
  });

  it('our own suspend, shell lines below the note, fg, then output line by line: remote lines once, the note and shell lines in place', async () => {
    const { t, remote, front } = await started();
    remote.print('$ loop', ...ticks(1, 3));
    await front.paint();
    await front.suspend();
    await t.write('\r\n[1]+  Stopped   tsmosh\r\n$ echo local\r\nlocal\r\n$ fg\r\ntsmosh\r\n');
    await front.resume(true);
    // After fg the remote scrolls a line at a time: the rows pushed at fg come up first and must not go up again,
    // whether drawn by the writer or scrolled off the screen.
    for (let n = 4; n <= 30; n++) {
      remote.print(`tick ${n}`);
      await front.paint();
      expect(screenDifference(t.read(), remote.screen), `tick ${n}`).toBe('');
    }
    const lines = history(t);
    expect(lines.filter(isRemote)).toEqual(['$ loop', ...ticks(1, 30 - (rows - 1))]);
    const local = ['[tsmosh is suspended.]', '[1]+  Stopped   tsmosh', '$ echo local', 'local', '$ fg', 'tsmosh'];
    expect(lines.filter((line) => local.includes(line))).toEqual(local);
    expect(lines.indexOf('[tsmosh is suspended.]')).toBe(lines.indexOf('tick 3') + 1);
    expect(lines.indexOf('tick 4')).toBeGreaterThan(lines.indexOf('tsmosh'));
  });

  it('suspended while typing at a prompt: the pushed rows are skipped but the prompt\'s, which the command changed', async () => {
    const { t, remote, front } = await started();
    remote.print('$ loop', ...ticks(1, 6));
    remote.typing = '$ ec';
    await front.paint();
    await front.suspend();
    await t.write('[1]+  Stopped   tsmosh\r\n$ fg\r\ntsmosh\r\n');
    await front.resume(true);
    remote.typing = '';
    remote.print('$ echo hi', 'hi', ...ticks(7, 20));
    await front.paint();
    const lines = history(t);
    // The prompt as it was at the suspension stays in place; the command line, finished, comes once after fg.
    expect(lines.slice(0, 8)).toEqual(['$ loop', ...ticks(1, 6), '$ ec']);
    expect(lines.slice(lines.indexOf('tsmosh') + 1)).toEqual(['$ echo hi', 'hi', ...ticks(7, 20 - (rows - 1))]);
  });

  it('a remote that clears its screen after the resume instead of scrolling loses no line', async () => {
    const { t, remote, front } = await started();
    remote.print('$ loop', ...ticks(1, 4));
    await front.paint();
    await front.suspend();
    await t.write('[1]+  Stopped   tsmosh\r\n$ fg\r\n');
    await front.resume(true);
    // The rows pushed at fg never become history lines: the screen is cleared, and its new lines (one of them the
    // same text as a pushed row, but not in its place) scroll off instead.
    remote.clear();
    await front.paint();
    remote.print('$ loop', 'after 1', 'tick 1', ...Array.from({ length: 20 }, (_, i) => `after ${i + 2}`));
    await front.paint();
    const lines = history(t);
    const logged = Array.from({ length: remote.log.end }, (_, i) => remote.log.line(i).cells.map((c) => c.text).join(''));
    expect(logged.slice(0, 3)).toEqual(['$ loop', 'after 1', 'tick 1']);
    // Every logged line is in the history, in order, after the lines of the suspension.
    const afterSuspension = lines.slice(lines.indexOf('$ fg') + 1);
    expect(afterSuspension).toEqual(logged);
  });

  it('any run of output, clears, suspensions and stops loses no line of the log; without clears none shows twice (property)', async () => {
    type Step =
      | { kind: 'print'; lines: number[] }
      | { kind: 'clear' }
      | { kind: 'typing'; text: string }
      | { kind: 'suspend'; shellLines: number; meanwhile: number[] }
      | { kind: 'stop'; shellLines: number; meanwhile: number[] };
    // Texts from a few words, so rows pushed at a resume and later lines often look alike (the case a skip must not
    // get wrong); numbered lines otherwise, each unique.
    const arbStep = (alike: boolean): fc.Arbitrary<Step> => {
      const text = alike ? fc.integer({ min: 0, max: 2 }) : fc.constant(-1);
      return fc.oneof(
        fc.record({ kind: fc.constant('print' as const), lines: fc.array(text, { maxLength: 12 }) }),
        fc.record({ kind: fc.constant('clear' as const) }),
        fc.record({ kind: fc.constant('typing' as const), text: fc.constantFrom('', '$ ', '$ ec', '$ echo') }),
        fc.record({ kind: fc.constant('suspend' as const), shellLines: fc.integer({ min: 0, max: 9 }), meanwhile: fc.array(text, { maxLength: 12 }) }),
        fc.record({ kind: fc.constant('stop' as const), shellLines: fc.integer({ min: 0, max: 9 }), meanwhile: fc.array(text, { maxLength: 12 }) }),
      );
    };
    const run = async (steps: readonly Step[], alike: boolean): Promise<void> => {
      const t = localTerminal(cols, rows);
      const remote = new RemoteShell(cols, rows);
      const front = new Front(t, remote);
      await front.start();
      let count = 0;
      const lineText = (n: number): string => (n < 0 ? `L${++count}` : ['$ ', 'word', 'L1'][n]!);
      const shell = (n: number): string => Array.from({ length: n }, (_, i) => `shell ${i}\r\n`).join('');
      for (const step of steps) {
        if (step.kind === 'print') remote.print(...step.lines.map(lineText));
        else if (step.kind === 'clear') remote.clear();
        else if (step.kind === 'typing') remote.typing = step.text;
        else {
          if (step.kind === 'suspend') await front.suspend();
          await t.write(shell(step.shellLines));
          remote.print(...step.meanwhile.map(lineText));
          await front.resume(true);
        }
        await front.paint();
        expect(screenDifference(t.read(), remote.screen)).toBe('');
      }
      const lines = history(t);
      const logged = Array.from({ length: remote.log.end }, (_, i) => remote.log.line(i).cells.map((c) => c.text).join(''));
      // Every logged line in the history, in order (rows pushed at a resume may stand for the lines equal to them).
      let at = 0;
      for (const line of lines) if (at < logged.length && line === logged[at]) at++;
      expect(at, `history ${JSON.stringify(lines)}\nlog ${JSON.stringify(logged)}`).toBe(logged.length);
      // With unique lines, no clear and one suspension, none twice. (Each suspension pushes the screen as it shows:
      // two with no output between leave its rows twice, as any program's repaint between them would.)
      const suspensions = steps.filter((step) => step.kind === 'suspend' || step.kind === 'stop').length;
      if (!alike && suspensions <= 1 && !steps.some((step) => step.kind === 'clear')) {
        const numbered = lines.filter((line) => /^L\d+$/.test(line));
        expect(new Set(numbered).size, JSON.stringify(lines)).toBe(numbered.length);
      }
    };
    await fc.assert(fc.asyncProperty(fc.array(arbStep(true), { minLength: 1, maxLength: 10 }), (steps) => run(steps, true)), { numRuns: 60 });
    await fc.assert(fc.asyncProperty(fc.array(arbStep(false), { minLength: 1, maxLength: 10 }), (steps) => run(steps, false)), { numRuns: 60 });
  });
});

/**
 * The history's rows as a terminal shows them, cell by cell (text, width, colours, attributes); an erased
 * cell and a printed space read alike (the writer prints a line's inner blanks as spaces).
 */
function historyCells(t: TestTerminal): string[] {
  const buffer = t.term.buffer.active;
  const out: string[] = [];
  for (let y = 0; y < buffer.baseY; y++) {
    const line = buffer.getLine(y)!;
    let text = '';
    for (let x = 0; x < t.term.cols; x++) {
      const c = line.getCell(x)!;
      const chars = c.getChars() === '' && c.getWidth() === 1 ? ' ' : c.getChars();
      text += `${chars}/${c.getWidth()}/${c.getFgColorMode()}:${c.getFgColor()}/${c.getBgColorMode()}:${c.getBgColor()}/${c.isBold()}${c.isItalic()}${c.isUnderline()}${c.isInverse()}${c.isDim()}|`;
    }
    out.push(text);
  }
  return out;
}

function historyWraps(t: TestTerminal): boolean[] {
  const buffer = t.term.buffer.active;
  return Array.from({ length: buffer.baseY }, (_, y) => buffer.getLine(y)!.isWrapped);
}

