import { afterEach, describe, expect, it } from 'vitest';
import {
  Attr,
  BLANK_CELL,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  DEFAULT_CURSOR,
  DEFAULT_MODES,
  type Cell,
  type Framebuffer,
  type Row,
} from './framebuffer.js';
import { Renderer } from './renderer.js';
import {
  cell,
  createTestTerminal,
  framebuffer,
  screenDifference,
  textRow,
  withRow,
  type TestTerminal,
} from './xterm-readback.test-helpers.js';

const terminals: TestTerminal[] = [];
afterEach(() => {
  for (const t of terminals.splice(0)) t.dispose();
});

/** A real terminal behind a renderer: draws frames in order and checks that each shows exactly what was asked. */
async function harness(cols: number, rows: number) {
  const t = createTestTerminal(cols, rows);
  terminals.push(t);
  const renderer = new Renderer();
  await t.write(renderer.enter());
  let shown: Framebuffer | undefined;
  return {
    t,
    renderer,
    /** Render `next` on top of what is shown; returns the bytes. */
    async draw(next: Framebuffer, previous: Framebuffer | undefined = shown): Promise<string> {
      const bytes = renderer.render(previous, next);
      await t.write(bytes);
      shown = next;
      expect(screenDifference(t.read(), next), `after ${JSON.stringify(bytes)}`).toBe('');
      return bytes;
    },
  };
}

function rowOf(cells: Cell[], cols: number, wrapped = false): Row {
  const padded = cells.slice(0, cols);
  while (padded.length < cols) padded.push(BLANK_CELL);
  return { cells: padded, wrapped };
}

const wide = (text: string, pen: Partial<Cell> = {}): Cell[] => [cell(text, { ...pen, width: 2 }), cell('', { ...pen, width: 0 })];

describe('Renderer: drawing cells', () => {
  it('repaints a screen of text from an unknown state', async () => {
    const h = await harness(20, 4);
    await h.draw(framebuffer(20, 4, ['hello', '', 'world'], { cursor: { ...DEFAULT_CURSOR, x: 5, y: 2 } }));
  });

  it('types one character in under 20 bytes', async () => {
    const h = await harness(40, 5);
    const a = framebuffer(40, 5, ['$ ls'], { cursor: { ...DEFAULT_CURSOR, x: 4, y: 0 } });
    await h.draw(a);
    const b = framebuffer(40, 5, ['$ ls '], { cursor: { ...DEFAULT_CURSOR, x: 5, y: 0 } });
    const c = framebuffer(40, 5, ['$ ls -'], { cursor: { ...DEFAULT_CURSOR, x: 6, y: 0 } });
    expect((await h.draw(b)).length).toBeLessThan(20);
    const bytes = await h.draw(c);
    expect(bytes).toBe('-'); // the cursor is already there, the pen already right
  });

  it('skips unchanged rows and writes only changed spans', async () => {
    const h = await harness(30, 3);
    const a = framebuffer(30, 3, ['abcdefghijklmnopqrstuvwxyz', 'second line', 'third']);
    await h.draw(a);
    const b = withRow(a, 0, textRow('abcdefXhijklmnopqrstuvwxyZ', 30));
    const bytes = await h.draw(b);
    expect(bytes).not.toContain('second');
    expect(bytes).not.toContain('abcdef');
    expect(bytes.length).toBeLessThan(20);
  });

  it('reprints a short unchanged gap when that is cheaper than moving over it', async () => {
    const h = await harness(20, 2);
    const a = framebuffer(20, 2, ['abcdef']);
    await h.draw(a);
    const bytes = await h.draw(withRow(a, 0, textRow('AbCdef', 20)), a);
    expect(bytes).toContain('AbC');
  });

  it('handles the last column: pending wrap is never trusted', async () => {
    const h = await harness(10, 3);
    const a = framebuffer(10, 3, ['', 'x']);
    await h.draw(a);
    // Write the last column of row 0, then something at the start of row 1 and leave the cursor at (9, 0).
    const b = framebuffer(10, 3, ['         Z', 'y'], { cursor: { ...DEFAULT_CURSOR, x: 9, y: 0 } });
    await h.draw(b);
    const c = framebuffer(10, 3, ['        QZ', 'y'], { cursor: { ...DEFAULT_CURSOR, x: 9, y: 2 } });
    await h.draw(c);
  });

  it('fills the last row completely without scrolling', async () => {
    const h = await harness(5, 2);
    await h.draw(framebuffer(5, 2, ['abcde', 'fghij'], { cursor: { ...DEFAULT_CURSOR, x: 4, y: 1 } }));
  });

  it('lets the terminal wrap soft-wrapped rows, and unwraps them', async () => {
    const h = await harness(8, 4);
    const wrapped = framebuffer(8, 4, [textRow('abcdefgh', 8, {}, true), 'ijk', '']);
    const bytes = await h.draw(wrapped);
    // One uninterrupted run of text: the terminal wrapped it itself.
    expect(bytes).toContain('abcdefghijk');
    // The same cells, no longer joined.
    await h.draw(framebuffer(8, 4, [textRow('abcdefgh', 8), 'ijk', '']));
    // And joined again, with the continuation starting with an erased cell.
    await h.draw(framebuffer(8, 4, [textRow('abcdefgh', 8, {}, true), rowOf([BLANK_CELL, cell('i'), cell('j')], 8)]));
  });

  it('wraps a row that ends in an erased cell', async () => {
    const h = await harness(6, 3);
    await h.draw(framebuffer(6, 3, [rowOf([cell('a')], 6, true), 'b']));
  });

  it('draws wide characters, and one that did not fit at the end of a wrapped row', async () => {
    const h = await harness(7, 3);
    await h.draw(framebuffer(7, 3, [rowOf([...wide('中'), cell('a'), ...wide('文')], 7)]));
    // 'abcdef' then a wide character that could not start in the last column: xterm leaves that column empty.
    const a = framebuffer(7, 3, [rowOf([...'abcdef'].map((c) => cell(c)), 7, true), rowOf([...wide('字'), cell('!')], 7)]);
    await h.draw(a);
  });

  it('never overwrites half of a wide character', async () => {
    const h = await harness(8, 2);
    const a = framebuffer(8, 2, [rowOf([...wide('中'), ...wide('文'), ...wide('字')], 8)]);
    await h.draw(a);
    // Replace the second half of 文 only: the renderer must redraw it whole (here: as two narrow cells).
    await h.draw(framebuffer(8, 2, [rowOf([...wide('中'), cell('x'), cell('y'), ...wide('字')], 8)]));
    await h.draw(framebuffer(8, 2, [rowOf([cell('p'), ...wide('中'), cell('y'), ...wide('字')], 8)]));
  });

  it('treats a wide character in the last column as blank instead of breaking the layout', async () => {
    const h = await harness(4, 2);
    const malformed = framebuffer(4, 2, [rowOf([cell('a'), cell('b'), cell('c'), cell('中', { width: 2 })], 4), 'x']);
    const bytes = h.renderer.render(undefined, malformed);
    await h.t.write(bytes);
    const shown = h.t.read();
    expect(shown.lines[0]!.cells.map((c) => c.text).join('|')).toBe('a|b|c|');
    expect(shown.lines[1]!.cells[0]!.text).toBe('x');
  });

  it('keeps combining marks with their base character', async () => {
    const h = await harness(10, 2);
    await h.draw(framebuffer(10, 2, [rowOf([cell('e\u0301'), cell('x'), cell('a\u0308\u0304')], 10)]));
  });

  it('writes every colour in its own mode', async () => {
    const h = await harness(12, 2);
    const colours = [
      COLOR_PALETTE_16 | 1,
      COLOR_PALETTE_16 | 9, // bright: SGR 91
      COLOR_PALETTE_256 | 1, // same red, other mode
      COLOR_PALETTE_256 | 200,
      COLOR_RGB | 0x123456,
      0,
    ];
    const cells = colours.flatMap((c, i) => [cell(String(i), { fg: c }), cell(String(i), { bg: colours[(i + 2) % colours.length]! })]);
    const bytes = await h.draw(framebuffer(12, 2, [rowOf(cells, 12)]));
    expect(bytes).toContain('91');
    expect(bytes).toContain('38;5;1');
    expect(bytes).toContain('38;2;18;52;86');
  });

  it('writes every attribute, alone and together, with minimal changes', async () => {
    const h = await harness(16, 2);
    const all = [Attr.Bold, Attr.Dim, Attr.Italic, Attr.Underline, Attr.Blink, Attr.Inverse, Attr.Invisible, Attr.Strikethrough, Attr.Overline];
    const cells = all.map((a) => cell('a', { attrs: a }));
    cells.push(cell('b', { attrs: Attr.Bold | Attr.Dim }), cell('c', { attrs: Attr.Dim }), cell('d', { attrs: all.reduce((x, y) => x | y, 0) }));
    await h.draw(framebuffer(16, 2, [rowOf(cells, 16)]));
    // Every transition between two attribute sets, in a terminal that holds the first one.
    for (const from of all) {
      for (const to of all) {
        const both = from | to;
        await h.draw(framebuffer(16, 2, [rowOf([cell('x', { attrs: from }), cell('y', { attrs: both }), cell('z', { attrs: to })], 16)]));
      }
    }
  });

  it('erases with EL or ECH using the blank background (background colour erase)', async () => {
    const h = await harness(20, 3);
    const blue = COLOR_PALETTE_16 | 4;
    const a = framebuffer(20, 3, ['aaaaaaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb']);
    await h.draw(a);
    const blueBlanks = (n: number) => new Array<Cell>(n).fill(cell('', { bg: blue }));
    const b = framebuffer(20, 3, [rowOf([cell('a'), ...blueBlanks(19)], 20), rowOf([cell('b'), ...blueBlanks(10), ...'bbbbbbbbb'.split('').map((c) => cell(c))], 20)]);
    const bytes = await h.draw(b);
    expect(bytes).toContain('\x1b[K');
    expect(bytes).toContain('\x1b[10X');
    expect(bytes).not.toContain('          '); // no runs of spaces standing in for erased cells
  });

  it('clears the rest of the screen with one ED', async () => {
    const h = await harness(10, 6);
    await h.draw(framebuffer(10, 6, ['1', '2', '3', '4', '5', '6']));
    const bytes = await h.draw(framebuffer(10, 6, ['1']));
    expect(bytes).toContain('\x1b[J');
    expect(bytes.length).toBeLessThan(15);
  });
});

describe('Renderer: a frame that replaced few rows', () => {
  it("draws an Enter's answer by the rows it replaced, in the bytes the whole-screen diff writes", async () => {
    const h = await harness(80, 24);
    const lines = Array.from({ length: 24 }, (_, y) => (y < 6 ? `$ echo hi ${y}` : y < 12 ? `hi ${y}` : ''));
    const a = framebuffer(80, 24, [...lines.slice(0, 12), '$ echo hi 12'], { cursor: { ...DEFAULT_CURSOR, x: 12, y: 12 } });
    await h.draw(a);
    const echoed = { ...a, cursor: { ...DEFAULT_CURSOR, x: 0, y: 13 } };
    const answered = { ...withRow(withRow(echoed, 13, textRow('hi 12', 80)), 14, textRow('$ ', 80)), cursor: { ...DEFAULT_CURSOR, x: 2, y: 14 } };
    const whole = new Renderer({ changedRowsMax: -1 });
    whole.render(undefined, a);
    for (const [previous, next] of [[a, echoed], [echoed, answered]] as const) {
      const bytes = await h.draw(next, previous);
      expect(bytes).toBe(whole.render(previous, next));
    }
    expect(h.renderer.render(echoed, answered)).not.toContain('echo hi');
  });

  it('draws rows replaced after rows scrolled off into the history by those rows alone', async () => {
    const t = createTestTerminal(20, 5);
    terminals.push(t);
    const renderer = new Renderer();
    await t.write(renderer.enter());
    const a = framebuffer(20, 5, ['one', 'two', 'three', 'four', '$ x'], { cursor: { ...DEFAULT_CURSOR, x: 3, y: 4 } });
    await t.write(renderer.render(undefined, a));
    // The command's answer scrolled two lines off the top: rows 0-2 are a's rows 2-4, rows 3 and 4 are new.
    const b = framebuffer(20, 5, [a.lines[2]!, a.lines[3]!, a.lines[4]!, 'x out', '$ '], { cursor: { ...DEFAULT_CURSOR, x: 2, y: 4 } });
    const bytes = renderer.render(a, b, 2);
    await t.write(bytes);
    expect(screenDifference(t.read(), b), JSON.stringify(bytes)).toBe('');
    expect(t.term.buffer.normal.baseY).toBe(2);
    expect(bytes).not.toContain('three');
  });
});

describe('Renderer: scrolling', () => {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  /** Shell-like output where each line differs from its neighbours along its whole length. */
  const numbered = (from: number, rows: number) =>
    Array.from({ length: rows }, (_, i) => `${words[(from + i) % words.length]} ${(from + i) * 7919} ${words[((from + i) * 5) % 12]}`);

  it('moves a full screen up by one line without scrolling (which would reach the local history)', async () => {
    const h = await harness(40, 10);
    const a = framebuffer(40, 10, numbered(0, 10), { cursor: { ...DEFAULT_CURSOR, x: 0, y: 9 } });
    await h.draw(a);
    const b = framebuffer(40, 10, numbered(1, 10), { cursor: { ...DEFAULT_CURSOR, x: 0, y: 9 } });
    const bytes = await h.draw(b);
    // Only the scrollback writer puts lines into the history: the rows are redrawn.
    expect(bytes).not.toMatch(/\x1bD|\x1b\[\d*S/);
  });

  it('moves several lines up without scrolling', async () => {
    const h = await harness(40, 10);
    await h.draw(framebuffer(40, 10, numbered(0, 10)));
    const bytes = await h.draw(framebuffer(40, 10, numbered(3, 10)));
    expect(bytes).not.toMatch(/\x1bD|\x1b\[\d*S/);
  });

  it('redraws rather than scrolls a region up when a status line stays put', async () => {
    const h = await harness(40, 8);
    const status = textRow('-- INSERT --  status line', 40, { attrs: Attr.Inverse });
    await h.draw(framebuffer(40, 8, [...numbered(0, 7), status]));
    const bytes = await h.draw(framebuffer(40, 8, [...numbered(1, 7), status]));
    expect(bytes).not.toMatch(/\x1b\[\d*S/);
  });

  it('scrolls down (reverse) when rows moved down', async () => {
    const h = await harness(40, 8);
    await h.draw(framebuffer(40, 8, numbered(5, 8)));
    const bytes = await h.draw(framebuffer(40, 8, numbered(4, 8)));
    expect(bytes.length).toBeLessThan(50);
  });

  it('keeps wrap flags right when wrapped rows scroll', async () => {
    const h = await harness(6, 4);
    const joined = textRow('abcdef', 6, {}, true);
    await h.draw(framebuffer(6, 4, ['x', joined, 'gh', 'y']));
    await h.draw(framebuffer(6, 4, [joined, 'gh', 'y', 'z']));
  });
});

describe('Renderer: everything besides cells', () => {
  it('repaints everything after a resize', async () => {
    const h = await harness(10, 3);
    await h.draw(framebuffer(10, 3, ['abc']));
    h.t.term.resize(12, 4);
    const bytes = await h.draw(framebuffer(12, 4, ['abc', 'def']));
    // Row by row, never ED 2, which tmux would push into its history.
    expect(bytes).not.toContain('\x1b[2J');
    expect(bytes.match(/\x1b\[2K/g)).toHaveLength(4);
  });

  it('sets the title with OSC 2, rings once per frame with new bells, and copies on a new clipboard generation', async () => {
    const h = await harness(10, 2);
    const a = framebuffer(10, 2, [], { title: 'one', bellCount: 3, clipboard: { generation: 1, selection: 'c', data: 'aGk=' } });
    const first = await h.draw(a);
    expect(h.t.titles).toEqual(['one']);
    expect(h.t.bells).toBe(0); // bells and copies from before the first frame are history
    expect(first).not.toContain('\x1b]52');
    const bytes = await h.draw({ ...a, title: 'two', bellCount: 5, clipboard: { generation: 2, selection: 'c', data: 'aGk=' } });
    expect(h.t.titles).toEqual(['one', 'two']);
    expect(h.t.bells).toBe(1);
    expect(bytes).toContain('\x1b]52;c;aGk=\x07');
  });

  it("delivers a session's first clipboard write when the frame before it had none", async () => {
    const h = await harness(10, 2);
    const before = framebuffer(10, 2, []);
    await h.draw(before);
    const bytes = await h.draw({ ...before, clipboard: { generation: 1, selection: 'c', data: 'aGk=' } });
    expect(bytes).toContain('\x1b]52;c;aGk=\x07');
    // The same write seen again (a repaint of the same frame) is not a new copy.
    expect(h.renderer.render(undefined, { ...before, clipboard: { generation: 1, selection: 'c', data: 'aGk=' } })).not.toContain('\x1b]52');
  });

  it('sanitises title, cell text and clipboard from the network', async () => {
    const h = await harness(10, 2);
    const hostile = framebuffer(10, 2, [rowOf([cell('\x1b[2J'), cell('\x07'), cell('\u009b31m'), cell('ok')], 10)], {
      title: 'evil\x1b]52;c;AAAA\x07\x9b',
      clipboard: { generation: 1, selection: 'c', data: 'x\x07\x1b' },
    });
    const bytes = h.renderer.render(undefined, hostile);
    const query = h.renderer.render(hostile, { ...hostile, clipboard: { generation: 2, selection: 'c;', data: '?' } });
    expect(bytes).not.toContain('\x1b]52');
    expect(query).not.toContain('\x1b]52');
    await h.t.write(bytes);
    expect(h.t.titles).toEqual(['evil]52;c;AAAA']);
    // Each cell shows one printable character from its text; nothing ran as a command.
    const shown = h.t.read();
    expect(shown.lines[0]!.cells.slice(0, 4).map((c) => c.text)).toEqual(['[', '', '3', 'o']);
    expect(shown.lines[0]!.cells[3]!.fg).toBe(0);
  });

  it('does not throw on malformed framebuffers', () => {
    const renderer = new Renderer();
    const broken = {
      ...framebuffer(5, 3, ['abc']),
      lines: [
        { cells: [cell('a', { width: 0 }), cell('b', { width: 7 as never }), cell('c', { fg: -5, bg: 0x7000000, attrs: 1 << 20 })], wrapped: true },
        { cells: [], wrapped: false },
      ],
      cursor: { ...DEFAULT_CURSOR, x: 99, y: -4 },
      modes: { ...DEFAULT_MODES, mouseTracking: 'bogus' as never, kittyKeyboardFlags: -3 },
    } as Framebuffer;
    expect(() => renderer.render(undefined, broken)).not.toThrow();
    expect(() => renderer.render(broken, framebuffer(5, 3, ['xyz']))).not.toThrow();
  });

  it('mirrors terminal modes', async () => {
    const h = await harness(10, 2);
    const on = framebuffer(10, 2, [], {
      modes: { ...DEFAULT_MODES, applicationCursorKeys: true, applicationKeypad: true, bracketedPaste: true, mouseTracking: 'drag', mouseEncoding: 'sgr', focusReporting: true },
    });
    await h.draw(on);
    let modes = h.t.term.modes;
    expect([modes.applicationCursorKeysMode, modes.applicationKeypadMode, modes.bracketedPasteMode, modes.mouseTrackingMode, modes.sendFocusMode]).toEqual([true, true, true, 'drag', true]);
    expect(h.t.read().modes.mouseEncoding).toBe('sgr');
    // (xterm.js knows only the default, SGR and SGR-pixel encodings.)
    await h.draw({ ...on, modes: { ...on.modes, mouseTracking: 'any', mouseEncoding: 'sgr-pixels' } });
    expect(h.t.read().modes).toMatchObject({ mouseTracking: 'any', mouseEncoding: 'sgr-pixels' });
    await h.draw(framebuffer(10, 2, []));
    modes = h.t.term.modes;
    expect([modes.applicationCursorKeysMode, modes.applicationKeypadMode, modes.bracketedPasteMode, modes.mouseTrackingMode, modes.sendFocusMode]).toEqual([false, false, false, 'none', false]);
    expect(h.t.read().modes.mouseEncoding).toBe('default');
  });

  it('pushes kitty keyboard flags and sets modifyOtherKeys and reverse video, and undoes them on exit', () => {
    const renderer = new Renderer();
    const base = framebuffer(10, 2, []);
    renderer.render(undefined, base);
    const kitty = { ...base, modes: { ...DEFAULT_MODES, kittyKeyboardFlags: 1, modifyOtherKeys: 2 as const, reverseVideo: true } };
    const on = renderer.render(base, kitty);
    expect(on).toContain('\x1b[>1u');
    expect(on).toContain('\x1b[>4;2m');
    expect(on).toContain('\x1b[?5h');
    const more = renderer.render(kitty, { ...kitty, modes: { ...kitty.modes, kittyKeyboardFlags: 3 } });
    expect(more).toBe('\x1b[=3;1u');
    const exit = renderer.exit(kitty);
    expect(exit).toContain('\x1b[<u');
    expect(exit).toContain('\x1b[>4m');
    expect(exit).toMatch(/\x1b\[\?[0-9;]*\b5\b[0-9;]*l/);
  });

  it('puts cursor position, visibility and shape last', async () => {
    const h = await harness(10, 3);
    const a = framebuffer(10, 3, ['abc'], { cursor: { x: 2, y: 1, visible: false, style: 'bar', blink: false } });
    const bytes = await h.draw(a);
    expect(bytes.endsWith('\x1b[6 q')).toBe(true);
    expect(h.t.read().cursor).toMatchObject({ visible: false, style: 'bar', blink: false });
    const b = { ...a, cursor: { ...a.cursor, visible: true, style: 'underline' as const, blink: true } };
    await h.draw(b);
    expect(h.t.read().cursor).toMatchObject({ visible: true, style: 'underline', blink: true });
  });

  it('hides the cursor while it moves around, but not for plain typing', async () => {
    const h = await harness(20, 4);
    const a = framebuffer(20, 4, ['$ ', '', '', 'status'], { cursor: { ...DEFAULT_CURSOR, x: 2 } });
    await h.draw(a);
    const typed = await h.draw({ ...a, lines: [textRow('$ a', 20), ...a.lines.slice(1)], cursor: { ...DEFAULT_CURSOR, x: 3 } });
    expect(typed).toBe('a');
    const elsewhere = await h.draw(framebuffer(20, 4, ['$ a', 'some output from a program', 'more output from the same program', 'STATUS LINE'], { cursor: { ...DEFAULT_CURSOR, x: 3 } }));
    expect(elsewhere.startsWith('\x1b[?25l')).toBe(true);
    expect(elsewhere.endsWith('\x1b[?25h')).toBe(true);
  });

  it('enter() starts clean and exit() restores modes and leaves the cursor below the content', async () => {
    const h = await harness(10, 5);
    const a = framebuffer(10, 5, ['one', 'two'], {
      cursor: { x: 0, y: 0, visible: false, style: 'bar', blink: true },
      modes: { ...DEFAULT_MODES, applicationCursorKeys: true, bracketedPaste: true, mouseTracking: 'any', mouseEncoding: 'sgr', applicationKeypad: true },
    });
    await h.draw(a);
    await h.t.write(h.renderer.exit(a));
    const after = h.t.read();
    expect(after.modes).toEqual({ ...DEFAULT_MODES });
    expect(after.cursor).toMatchObject({ x: 0, y: 2, visible: true, style: 'block', blink: true });
    expect(after.lines[0]!.cells[0]!.text).toBe('o');
  });

  it("draws a full-screen program on the terminal's alternate screen: a shorter window pushes none of it into the history", async () => {
    const h = await harness(12, 5);
    h.t.term.options.scrollback = 100;
    const atRow = (y: number) => ({ cursor: { x: 2, y, visible: true, style: 'block' as const, blink: true } });
    const shell = framebuffer(12, 5, ['1', '2', '3', '4', '$ vim'], atRow(4));
    await h.draw(shell);
    const vim = framebuffer(12, 5, ['text', '~', '~', '~', '"f" 1L'], { ...atRow(0), alternateScreen: true });
    expect(h.renderer.onAlternateScreen).toBe(false);
    const enter = h.renderer.enterAlternateScreen(shell);
    expect(enter).toBe('\x1b[?1049h');
    expect(h.renderer.enterAlternateScreen(shell)).toBe(''); // once
    // After a switch the renderer repaints (previous undefined), as the client asks.
    const repaint = async (fb: Framebuffer) => {
      await h.t.write(h.renderer.render(undefined, fb));
      expect(screenDifference(h.t.read(), fb)).toBe('');
    };
    await h.t.write(enter);
    await repaint(vim);
    expect(h.t.term.buffer.active.type).toBe('alternate');
    // The window loses two rows: the normal screen below pushes its own top rows ("1", "2"), as the server's mirror
    // does; nothing of vim's screen reaches the history.
    h.t.term.resize(12, 3);
    const normal = h.t.term.buffer.normal;
    const history = Array.from({ length: normal.baseY }, (_, y) => normal.getLine(y)!.translateToString(true));
    expect(history).toEqual(['1', '2']);
    h.t.term.resize(12, 5);
    // vim exits: back to the normal screen as it was, then the frame.
    const leave = h.renderer.leaveAlternateScreen();
    expect(leave).toBe('\x1b[?1049l');
    expect(h.renderer.leaveAlternateScreen()).toBe('');
    await h.t.write(leave);
    expect(h.t.term.buffer.active.type).toBe('normal');
    await repaint(framebuffer(12, 5, ['2', '3', '4', '$ vim', '$'], atRow(4)));
    // Ending the session on the alternate screen returns to the normal one, the cursor below what it shows.
    await h.t.write(h.renderer.enterAlternateScreen(shell));
    await repaint(vim);
    await h.t.write(h.renderer.exit(vim));
    expect(h.t.term.buffer.active.type).toBe('normal');
    expect(h.renderer.onAlternateScreen).toBe(false);
    expect(h.t.read().cursor).toMatchObject({ x: 0, y: 4 });
  });

  it("exit() leaves the cursor on its own row when that row is blank, as after ssh: no blank line before the prompt", async () => {
    const h = await harness(10, 5);
    // A command's output ended with a line feed: the cursor waits at the start of the empty row below it.
    const a = framebuffer(10, 5, ['out'], { cursor: { x: 0, y: 1, visible: true, style: 'block', blink: true } });
    await h.draw(a);
    await h.t.write(h.renderer.exit(a));
    expect(h.t.read().cursor).toMatchObject({ x: 0, y: 1 });
    // Something below the cursor still counts: the cursor goes below it.
    const b = framebuffer(10, 5, ['out', '', 'status'], { cursor: { x: 0, y: 1, visible: true, style: 'block', blink: true } });
    const h2 = await harness(10, 5);
    await h2.draw(b);
    await h2.t.write(h2.renderer.exit(b));
    expect(h2.t.read().cursor).toMatchObject({ x: 0, y: 3 });
  });

  it('exit() scrolls a fresh line into view when the content reaches the bottom', async () => {
    const h = await harness(10, 3);
    const a = framebuffer(10, 3, ['a', 'b', 'c']);
    await h.draw(a);
    await h.t.write(h.renderer.exit(a));
    const after = h.t.read();
    expect(after.cursor).toMatchObject({ x: 0, y: 2 });
    expect(after.lines.map((l) => l.cells[0]!.text)).toEqual(['b', 'c', '']);
  });
});

describe('Renderer: notifications and progress', () => {
  const blank = framebuffer(20, 3, []);
  const note = (generation: number, payload: string, code: 9 | 777 | 99 = 9) => ({ generation, code, payload });

  it('delivers each notification once, as the program sent it, and never on a repaint', () => {
    const renderer = new Renderer();
    renderer.render(undefined, blank);
    const one = { ...blank, notifications: [note(1, 'build done')] };
    expect(renderer.render(blank, one)).toContain('\x1b]9;build done\x1b\\');
    const two = { ...one, notifications: [note(1, 'build done'), note(2, 'notify;Claude;waiting for you', 777)] };
    const out = renderer.render(one, two);
    expect(out).toContain('\x1b]777;notify;Claude;waiting for you\x1b\\');
    expect(out).not.toContain('build done');
    expect(renderer.render(undefined, two)).not.toContain('\x1b]'); // a repaint replays nothing
  });

  it("treats a fresh renderer's first sight, or what adoptHistory was given, as history", () => {
    const history = { ...blank, notifications: [note(7, 'old')] };
    expect(new Renderer().render(undefined, history)).not.toContain('old');
    const attaching = new Renderer();
    attaching.render(undefined, blank); // the client draws before the session's first screen arrives
    attaching.adoptHistory(history);
    expect(attaching.render(blank, history)).not.toContain('old');
    expect(attaching.render(history, { ...history, notifications: [note(7, 'old'), note(8, 'new')] })).toContain('\x1b]9;new\x1b\\');
  });

  it('shows progress as state, replays it to a fresh renderer, and takes it down on exit', () => {
    const renderer = new Renderer();
    const busy = { ...blank, progress: { state: 1 as const, value: 42 } };
    expect(renderer.render(undefined, busy)).toContain('\x1b]9;4;1;42\x1b\\');
    expect(renderer.render(busy, { ...busy })).not.toContain('9;4');
    expect(renderer.exit(busy)).toContain('\x1b]9;4;0;0\x1b\\');
    expect(new Renderer().exit(blank)).not.toContain('9;4');
  });
});
