import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import xterm from '@xterm/headless';
import type { IBufferCell, IBufferLine, Terminal } from '@xterm/headless';
import {
  Attr,
  BLANK_CELL,
  COLOR_DEFAULT,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  DEFAULT_CURSOR,
  DEFAULT_MODES,
  blankFramebuffer,
  framebuffersEqual,
  trimmedLogLine,
  ScrollbackLog,
  MAX_SCREEN_LINKS,
  screenLinkTable,
  rowText as textOfRow,
  UnderlineStyle,
  underlineStyleOf,
  type Framebuffer,
} from '@tsmosh/terminal';
import { plainLogLineFromCells, readLogRow, readRow, snapshotTerminal } from './snapshot.js';
import { CLIPBOARD_PAYLOAD_LIMIT, KITTY_KEYBOARD_STACK_LIMIT, TITLE_LENGTH_LIMIT, trackTerminal } from './terminal-tracker.js';
import { guardXtermDefects, readXtermInternals, xtermLinks } from './xterm-internals.js';
import { createHeadlessTerminal } from './headless-mirror.js';

const {
  Blink: ATTR_BLINK,
  Bold: ATTR_BOLD,
  Dim: ATTR_DIM,
  Inverse: ATTR_INVERSE,
  Invisible: ATTR_INVISIBLE,
  Italic: ATTR_ITALIC,
  Overline: ATTR_OVERLINE,
  Strikethrough: ATTR_STRIKETHROUGH,
  Underline: ATTR_UNDERLINE,
} = Attr;

function write(term: Terminal, data: string | Uint8Array): Promise<void> {
  return new Promise((resolve) => term.write(data, resolve));
}

async function screen(data: string, cols = 20, rows = 5): Promise<{ term: Terminal; fb: Framebuffer; replies: string[] }> {
  const term = createHeadlessTerminal({ cols, rows });
  const replies: string[] = [];
  term.onData((d) => replies.push(d));
  await write(term, data);
  return { term, fb: snapshotTerminal(term), replies };
}

/** Row `y` of `fb` as text (the terminal package's one reading of a row). */
function rowText(fb: Framebuffer, y: number): string {
  return textOfRow(fb.lines[y]!);
}

describe('snapshotTerminal', () => {
  it('restates the model attribute bits exactly', () => {
    expect([ATTR_BOLD, ATTR_DIM, ATTR_ITALIC, ATTR_UNDERLINE, ATTR_BLINK, ATTR_INVERSE, ATTR_INVISIBLE, ATTR_STRIKETHROUGH, ATTR_OVERLINE]).toEqual([
      Attr.Bold,
      Attr.Dim,
      Attr.Italic,
      Attr.Underline,
      Attr.Blink,
      Attr.Inverse,
      Attr.Invisible,
      Attr.Strikethrough,
      Attr.Overline,
    ]);
  });

  it('a fresh terminal snapshots as the blank framebuffer', async () => {
    const { fb } = await screen('');
    expect(framebuffersEqual(fb, blankFramebuffer(20, 5))).toBe(true);
    expect(fb.cursor).toEqual(DEFAULT_CURSOR);
    expect(fb.modes).toEqual(DEFAULT_MODES);
  });

  it('reads text, written spaces versus erased cells, and exact dimensions', async () => {
    const { fb } = await screen('hello world\r\n\x1b[3Cx');
    expect(fb.lines).toHaveLength(5);
    for (const row of fb.lines) expect(row.cells).toHaveLength(20);
    expect(rowText(fb, 0)).toBe('hello world');
    expect(fb.lines[0]!.cells[5]!.text).toBe(' ');
    expect(fb.lines[0]!.cells[15]).toBe(BLANK_CELL);
    expect(fb.lines[1]!.cells[2]!.text).toBe('');
    expect(fb.lines[1]!.cells[3]!.text).toBe('x');
  });

  it('reads every attribute', async () => {
    const { fb } = await screen('\x1b[1mA\x1b[0;2mB\x1b[0;3mC\x1b[0;4mD\x1b[0;5mE\x1b[0;7mF\x1b[0;8mG\x1b[0;9mH\x1b[0;53mI\x1b[0;1;3;4;9mJ\x1b[0m');
    const attrs = fb.lines[0]!.cells.slice(0, 10).map((c) => c.attrs);
    expect(attrs).toEqual([
      ATTR_BOLD,
      ATTR_DIM,
      ATTR_ITALIC,
      ATTR_UNDERLINE,
      ATTR_BLINK,
      ATTR_INVERSE,
      ATTR_INVISIBLE,
      ATTR_STRIKETHROUGH,
      ATTR_OVERLINE,
      ATTR_BOLD | ATTR_ITALIC | ATTR_UNDERLINE | ATTR_STRIKETHROUGH,
    ]);
    expect(fb.lines[0]!.cells[10]!.attrs).toBe(0);
  });

  it('reads underline styles (SGR 4:N, 21) and underline colours (SGR 58, 59), on ordinary cells none', async () => {
    const { term, fb } = await screen(
      '\x1b[4:3mA\x1b[0m \x1b[58:2::255:0:0m\x1b[4mB\x1b[0m\x1b[21mC\x1b[4:4;58:5:196mD\x1b[4:5mE\x1b[59mF\x1b[4:0mG\x1b[58;2;0;0;255;4:1mH\x1b[0mI',
    );
    try {
      const cells = fb.lines[0]!.cells.slice(0, 10);
      expect(cells.map((c) => underlineStyleOf(c.attrs))).toEqual([
        UnderlineStyle.Curly,
        UnderlineStyle.None,
        UnderlineStyle.Single,
        UnderlineStyle.Double,
        UnderlineStyle.Dotted,
        UnderlineStyle.Dashed,
        UnderlineStyle.Dashed,
        UnderlineStyle.None,
        UnderlineStyle.Single,
        UnderlineStyle.None,
      ]);
      expect(cells.map((c) => c.underlineColor)).toEqual([undefined, undefined, COLOR_RGB | 0xff0000, undefined, COLOR_PALETTE_256 | 196, COLOR_PALETTE_256 | 196, undefined, undefined, COLOR_RGB | 0xff, undefined]);
      // Cells without an underline colour do not have the field at all: ordinary cells keep their shape.
      expect(cells.filter((c) => 'underlineColor' in c)).toHaveLength(4);
    } finally {
      term.dispose();
    }
  });

  it('keeps colour modes apart: 16, 256, truecolour and default', async () => {
    const { fb } = await screen('\x1b[31mA\x1b[38;5;1mB\x1b[38;2;255;128;0mC\x1b[39mD\x1b[44mE\x1b[48;5;200mF\x1b[48;2;1;2;3mG\x1b[49;97mH\x1b[0m');
    const cells = fb.lines[0]!.cells;
    expect(cells[0]!.fg).toBe(COLOR_PALETTE_16 | 1);
    expect(cells[1]!.fg).toBe(COLOR_PALETTE_256 | 1);
    expect(cells[2]!.fg).toBe(COLOR_RGB | 0xff8000);
    expect(cells[3]!.fg).toBe(COLOR_DEFAULT);
    expect(cells[4]!.bg).toBe(COLOR_PALETTE_16 | 4);
    expect(cells[5]!.bg).toBe(COLOR_PALETTE_256 | 200);
    expect(cells[6]!.bg).toBe(COLOR_RGB | 0x010203);
    expect(cells[7]!.bg).toBe(COLOR_DEFAULT);
    expect(cells[7]!.fg).toBe(COLOR_PALETTE_16 | 15);
  });

  it('reads wide characters (unicode 11 widths), their second halves, and combining marks', async () => {
    const { fb } = await screen('宽😀e\u0301x');
    const cells = fb.lines[0]!.cells;
    expect(cells.slice(0, 6).map((c) => [c.text, c.width])).toEqual([
      ['宽', 2],
      ['', 0],
      ['😀', 2],
      ['', 0],
      ['e\u0301', 1],
      ['x', 1],
    ]);
  });

  it('reports empty cells in a pen other than the erase pen as spaces, so a renderer can reproduce them', async () => {
    // 宽 does not fit in the last column: xterm pads that cell with an empty cell in the current pen.
    const { fb } = await screen('\x1b[2;31m12345678901234567890'.slice(0, 26) + '宽\x1b[0m\x1b[2;1H\x1b[44m\x1b[K', 20, 3);
    expect(fb.lines[0]!.cells[19]).toEqual({ text: ' ', width: 1, fg: COLOR_PALETTE_16 | 1, bg: COLOR_DEFAULT, attrs: ATTR_DIM });
    expect(fb.lines[1]!.cells[0]).toEqual({ text: '', width: 1, fg: COLOR_DEFAULT, bg: COLOR_PALETTE_16 | 4, attrs: 0 });
    expect(fb.lines[1]!.cells[0]).not.toBe(BLANK_CELL);
  });

  it('keeps the wide-cell promise where xterm does not: a wide character cut by a resize, a lone combining mark', async () => {
    const { term } = await screen('ab宽', 4, 2);
    term.resize(3, 2);
    const cut = snapshotTerminal(term);
    expect(cut.lines[0]!.cells.map((c) => [c.text, c.width])).toEqual([
      ['a', 1],
      ['b', 1],
      ['', 1],
    ]);
    const { fb } = await screen('\u20dd x', 4, 2);
    expect(fb.lines[0]!.cells[0]).toMatchObject({ text: ' \u20dd', width: 1 });
    expect(fb.lines[0]!.cells[2]).toMatchObject({ text: 'x', width: 1 });
  });

  it('marks the row that continues, not the continuation', async () => {
    const { fb } = await screen('a'.repeat(25) + '\r\nnext', 20, 5);
    expect(fb.lines.map((r) => r.wrapped)).toEqual([true, false, false, false, false]);
    expect(rowText(fb, 1)).toBe('aaaaa');
  });

  it('snapshots the bottom of the normal buffer after scrolling', async () => {
    const { fb } = await screen(Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\r\n'), 20, 5);
    expect([0, 1, 2, 3, 4].map((y) => rowText(fb, y))).toEqual(['line 7', 'line 8', 'line 9', 'line 10', 'line 11']);
    expect(fb.cursor).toMatchObject({ x: 7, y: 4 });
  });

  it('clamps a pending-wrap cursor to the last column', async () => {
    const { fb, term } = await screen('x'.repeat(20));
    expect(term.buffer.active.cursorX).toBe(20);
    expect(fb.cursor.x).toBe(19);
  });

  it('reads cursor position, visibility, shape and blink', async () => {
    const { term, fb } = await screen('\x1b[3;7H');
    expect(fb.cursor).toEqual({ x: 6, y: 2, visible: true, style: 'block', blink: true });
    await write(term, '\x1b[?25l\x1b[6 q');
    expect(snapshotTerminal(term).cursor).toEqual({ x: 6, y: 2, visible: false, style: 'bar', blink: false });
    await write(term, '\x1b[?25h\x1b[3 q');
    expect(snapshotTerminal(term).cursor).toMatchObject({ visible: true, style: 'underline', blink: true });
    await write(term, '\x1b[0 q\x1b[?12l');
    expect(snapshotTerminal(term).cursor).toMatchObject({ style: 'block', blink: false });
  });

  it('reads the xterm-tracked modes', async () => {
    const { term } = await screen('\x1b[?1h\x1b=\x1b[?2004h\x1b[?1002h\x1b[?1006h\x1b[?1004h');
    expect(snapshotTerminal(term).modes).toEqual({
      ...DEFAULT_MODES,
      applicationCursorKeys: true,
      applicationKeypad: true,
      bracketedPaste: true,
      mouseTracking: 'drag',
      mouseEncoding: 'sgr',
      focusReporting: true,
    });
    await write(term, '\x1b[?1l\x1b>\x1b[?2004l\x1b[?1002l\x1b[?1003h\x1b[?1006l\x1b[?1016h\x1b[?1004l');
    expect(snapshotTerminal(term).modes).toEqual({ ...DEFAULT_MODES, mouseTracking: 'any', mouseEncoding: 'sgr-pixels' });
    await write(term, '\x1b[?9h\x1b[?1016l');
    expect(snapshotTerminal(term).modes.mouseTracking).toBe('x10');
    expect(snapshotTerminal(term).modes.mouseEncoding).toBe('default');
  });

  it('tracks the kitty keyboard stack per screen, answers its query, and bounds it', async () => {
    const { term, replies } = await screen('\x1b[>1u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(1);
    await write(term, '\x1b[>31u\x1b[?u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(31);
    expect(replies).toEqual(['\x1b[?31u']);
    await write(term, '\x1b[<u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(1);
    await write(term, '\x1b[=4;2u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(5);
    await write(term, '\x1b[=1;3u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(4);
    await write(term, '\x1b[=2u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(2);
    // The alternate screen has its own, empty stack.
    await write(term, '\x1b[?1049h');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(0);
    await write(term, '\x1b[>8u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(8);
    await write(term, '\x1b[?1049l');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(2);
    await write(term, '\x1b[<99u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(0);
    // Pushing past the limit evicts the oldest entries, so popping everything pushed lands on 0.
    await write(term, Array.from({ length: KITTY_KEYBOARD_STACK_LIMIT + 5 }, (_, i) => `\x1b[>${(i % 31) + 1}u`).join(''));
    await write(term, `\x1b[<${KITTY_KEYBOARD_STACK_LIMIT - 1}u`);
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(((5 % 31) + 1));
    await write(term, '\x1b[<u');
    expect(snapshotTerminal(term).modes.kittyKeyboardFlags).toBe(0);
    // CSI u without a prefix is still xterm's restore-cursor.
    await write(term, '\x1b[2;2H\x1b[s\x1b[4;4H\x1b[u');
    expect(snapshotTerminal(term).cursor).toMatchObject({ x: 1, y: 1 });
  });

  it('tracks modifyOtherKeys and reverse video, and RIS clears them', async () => {
    const { term } = await screen('\x1b[>4;2m');
    expect(snapshotTerminal(term).modes.modifyOtherKeys).toBe(2);
    await write(term, '\x1b[>4;1m');
    expect(snapshotTerminal(term).modes.modifyOtherKeys).toBe(1);
    await write(term, '\x1b[>4n');
    expect(snapshotTerminal(term).modes.modifyOtherKeys).toBe(0);
    await write(term, '\x1b[>4;2m\x1b[?5;2004h');
    expect(snapshotTerminal(term).modes).toMatchObject({ modifyOtherKeys: 2, reverseVideo: true, bracketedPaste: true });
    await write(term, '\x1b[>1u\x1bc');
    expect(snapshotTerminal(term).modes).toEqual(DEFAULT_MODES);
  });

  it('tracks title, bell count and OSC 52 clipboard writes with generations', async () => {
    const { term, fb } = await screen('\x1b]2;my title\x07\x07\x07\x1b]52;c;aGVsbG8=\x1b\\');
    expect(fb.title).toBe('my title');
    expect(fb.bellCount).toBe(2);
    expect(fb.clipboard).toEqual({ generation: 1, selection: 'c', data: 'aGVsbG8=' });
    await write(term, '\x1b]0;other\x1b\\\x1b]52;c;aGVsbG8=\x07');
    const again = snapshotTerminal(term, fb);
    expect(again.title).toBe('other');
    expect(again.clipboard).toEqual({ generation: 2, selection: 'c', data: 'aGVsbG8=' });
    // Reads, bad payloads and oversize payloads are dropped and counted, never stored.
    await write(term, '\x1b]52;c;?\x07\x1b]52;c;not base64!\x07\x1b]52;zz;aGk=\x07');
    await write(term, `\x1b]52;c;${'A'.repeat(CLIPBOARD_PAYLOAD_LIMIT + 4)}\x07`);
    expect(snapshotTerminal(term).clipboard?.generation).toBe(2);
    expect(trackTerminal(term).droppedClipboardWrites).toBe(4);
    await write(term, `\x1b]2;${'t'.repeat(TITLE_LENGTH_LIMIT + 100)}\x07`);
    expect(snapshotTerminal(term).title).toBe('t'.repeat(TITLE_LENGTH_LIMIT));
    await write(term, `\x1b]2;${'t'.repeat(TITLE_LENGTH_LIMIT - 1)}😀\x07`);
    expect(snapshotTerminal(term).title).toBe('t'.repeat(TITLE_LENGTH_LIMIT - 1));
  });

  it('reports the alternate screen and reads its contents', async () => {
    const { term } = await screen('main');
    await write(term, '\x1b[?1049h\x1b[Halt');
    const alt = snapshotTerminal(term);
    expect(alt.alternateScreen).toBe(true);
    expect(rowText(alt, 0)).toBe('alt');
    await write(term, '\x1b[?1049l');
    const back = snapshotTerminal(term);
    expect(back.alternateScreen).toBe(false);
    expect(rowText(back, 0)).toBe('main');
  });

  it('follows a resize', async () => {
    const { term } = await screen('abc');
    term.resize(30, 7);
    const fb = snapshotTerminal(term);
    expect([fb.cols, fb.rows, fb.lines.length, fb.lines[0]!.cells.length]).toEqual([30, 7, 7, 30]);
    expect(rowText(fb, 0)).toBe('abc');
  });

  it('shares unchanged rows with the previous snapshot, and returns it when nothing changed', async () => {
    const { term, fb } = await screen('one\r\ntwo\r\nthree');
    expect(snapshotTerminal(term, fb)).toBe(fb);
    await write(term, '\x1b[2;1HTWO');
    const next = snapshotTerminal(term, fb);
    expect(next).not.toBe(fb);
    expect(next.lines[0]).toBe(fb.lines[0]);
    expect(next.lines[1]).not.toBe(fb.lines[1]);
    expect(next.lines[2]).toBe(fb.lines[2]);
    expect(next.cursor).not.toBe(fb.cursor);
    expect(next.modes).toBe(fb.modes);
    expect(rowText(next, 1)).toBe('TWO');
  });

  it('shares rows that moved when the screen scrolled', async () => {
    const { term, fb } = await screen('a1\r\nb2\r\nc3\r\nd4\r\ne5', 20, 5);
    await write(term, '\r\nf6');
    const next = snapshotTerminal(term, fb);
    expect(next.lines.slice(0, 4)).toEqual(fb.lines.slice(1));
    for (let y = 0; y < 4; y++) expect(next.lines[y]).toBe(fb.lines[y + 1]);
  });

  it('readXtermInternals fails loudly when xterm internals change shape', () => {
    const term = new xterm.Terminal({ cols: 10, rows: 3, allowProposedApi: true });
    expect(readXtermInternals(term)).toEqual({ cursorHidden: false, cursorStyle: undefined, cursorBlink: undefined, mouseEncoding: 'default' });
    const core = (term as unknown as { _core: { coreService: { isCursorHidden: unknown } } })._core;
    core.coreService.isCursorHidden = 'no';
    expect(() => readXtermInternals(term)).toThrow(/internals changed.*isCursorHidden/);
    const fake = { _core: {} } as unknown as Terminal;
    expect(() => readXtermInternals(fake)).toThrow(/update packages\/server\/src\/xterm-internals\.ts/);
    expect(() => xtermLinks(fake)).toThrow(/internals changed: _core._oscLinkService.getLinkData is missing/);
    expect(() => guardXtermDefects(fake, () => {})).toThrow(/internals changed.*_inputHandler/);
  });
});

describe('notifications and progress in the snapshot', () => {
  it('records OSC 9, OSC 777 notify and OSC 99 as numbered notifications, and OSC 9;4 as progress', async () => {
    const { fb } = await screen('\x1b]9;done\x07\x1b]777;notify;t;b\x07\x1b]777;preexec\x07\x1b]99;i=1;hi\x1b\\\x1b]9;4;1;42\x07');
    expect(fb.notifications).toEqual([
      { generation: 1, code: 9, payload: 'done' },
      { generation: 2, code: 777, payload: 'notify;t;b' },
      { generation: 3, code: 99, payload: 'i=1;hi' },
    ]);
    expect(fb.progress).toEqual({ state: 1, value: 42 });
    const cleared = await screen('\x1b]9;4;1;42\x07\x1b]9;4;0\x07');
    expect(cleared.fb.progress).toEqual({ state: 0, value: 0 });
  });

  it('keeps only the most recent notifications, and refuses ones it could not deliver intact', async () => {
    const { fb } = await screen([1, 2, 3, 4, 5, 6].map((n) => `\x1b]9;n${n}\x07`).join('') + `\x1b]9;${'x'.repeat(5000)}\x07`);
    expect(fb.notifications.map((n) => n.payload)).toEqual(['n3', 'n4', 'n5', 'n6']);
  });
});

describe('snapshotTerminal from a previous snapshot', () => {
  it('equals a snapshot taken from scratch after any sequence of writes and resizes (the cell-word shortcut is exact)', async () => {
    const pieces = fc.oneof(
      fc.constantFrom('a', 'word ', '中', '😀', 'e\u0301', '\t', '\r\n', '\n', ' ', '\x1b[31m', '\x1b[44m', '\x1b[1;4m', '\x1b[4:3m', '\x1b[4:2m', '\x1b[58:5:2m', '\x1b[m'),
      fc.constantFrom('\x1b[H', '\x1b[H', '\x1b[K', '\x1b[2;5H', '\x1b[3X', '\x1b[2J', '\x1b[L', '\x1b[M', '\x1b[2P', '\x1b[3@', '\x1b[?1049h', '\x1b[?1049l', '\x1b[S', '\x1b[T', '\b', '\x1b[1;3r'),
      fc.constantFrom('\x1b]8;;https://example.com/\x1b\\', '\x1b]8;;https://example.org/\x1b\\', '\x1b]8;;\x1b\\'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    );
    const step = fc.oneof(fc.array(pieces, { minLength: 1, maxLength: 8 }).map((parts) => parts.join('')), fc.record({ cols: fc.integer({ min: 2, max: 20 }), rows: fc.integer({ min: 1, max: 6 }) }));
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const term = createHeadlessTerminal({ cols: 12, rows: 4 });
        try {
          let previous = snapshotTerminal(term);
          for (const s of steps) {
            if (typeof s === 'string') await write(term, s);
            else term.resize(s.cols, s.rows);
            previous = snapshotTerminal(term, previous);
            expect(framebuffersEqual(previous, snapshotTerminal(term))).toBe(true);
          }
        } finally {
          term.dispose();
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('snapshotTerminal from the words of the previous snapshot', () => {
  // A shell's traffic: lines that repeat (so equal words sit at other places), prompts, colour, scrolling, erasing.
  const shellPieces = fc.oneof(
    fc.constantFrom('$ ', 'echo hi | cat', 'hi', '\r\n', '\r\n', '\n', '\r', '\x1b[?2004h', '\x1b[?2004l', '\x1b[K', '\x1b[J', '\b \b', '\x1b[32m', '\x1b[1m', '\x1b[m'),
    fc.constantFrom('\x1b[H', '\x1b[2J', '\x1b[S', '\x1b[T', '\x1b[L', '\x1b[M', '\x1b[2;3r', '\x1b[r', '\x1bM', '\x1b[?1049h', '\x1b[?1049l', '中', 'e\u0301', '\x1b]8;;https://example.com/\x1b\\', '\x1b]8;;\x1b\\'),
    fc.string({ unit: 'grapheme-ascii', maxLength: 6 }),
  );

  it('equals a snapshot from scratch, and shares every row that reads the same as the previous row at its place or the one it moved from', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.array(shellPieces, { minLength: 1, maxLength: 10 }).map((parts) => parts.join('')), fc.record({ cols: fc.integer({ min: 2, max: 12 }), rows: fc.integer({ min: 1, max: 5 }) })), { minLength: 1, maxLength: 30 }),
        async (steps) => {
          const term = createHeadlessTerminal({ cols: 10, rows: 4 });
          try {
            let previous = snapshotTerminal(term);
            for (const s of steps) {
              if (typeof s === 'string') await write(term, s);
              else term.resize(s.cols, s.rows);
              const next = snapshotTerminal(term, previous);
              expect(framebuffersEqual(next, snapshotTerminal(term))).toBe(true);
              if (next.cols === previous.cols && next.rows === previous.rows) {
                for (let y = 0; y < next.rows; y++) {
                  // Content equal to the previous row at the same place: the same object, however it was found.
                  if (rowsEqualByText(next.lines[y]!, previous.lines[y]!)) expect(next.lines[y]).toBe(previous.lines[y]);
                }
              }
              previous = next;
            }
          } finally {
            term.dispose();
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('shares the rows a scroll moved', async () => {
    const { term, fb } = await screen('$ echo a\r\na\r\n$ echo b\r\nb\r\n$ ', 20, 5);
    await write(term, 'echo c\r\nc\r\n$ ');
    const next = snapshotTerminal(term, fb);
    expect(next.lines.slice(0, 2)).toEqual(fb.lines.slice(2, 4));
    for (let y = 0; y < 2; y++) expect(next.lines[y]).toBe(fb.lines[y + 2]);
    // The row that was the prompt and now reads `$ echo c` was read again; the rest are shared.
    expect(rowText(next, 2)).toBe('$ echo c');
    expect(rowText(next, 3)).toBe('c');
    expect(rowText(next, 4)).toBe('$');
  });

  it('sees a change of colour alone (same text, other words) as a change', async () => {
    const { term, fb } = await screen('same\r\nrow', 10, 3);
    await write(term, '\x1b[1;1H\x1b[31msame\x1b[m');
    const next = snapshotTerminal(term, fb);
    expect(next.lines[0]).not.toBe(fb.lines[0]);
    expect(next.lines[0]!.cells[0]!.fg).not.toBe(COLOR_DEFAULT);
    expect(next.lines[1]).toBe(fb.lines[1]);
  });

  it('reads again a row whose cell keeps its text outside the words (a grapheme of several code points)', async () => {
    const { term, fb } = await screen('e\u0301\u0302 x', 10, 2);
    await write(term, '\x1b[1;1Ha\u0301\u0302');
    const next = snapshotTerminal(term, fb);
    expect(next.lines[0]!.cells[0]!.text).toBe('a\u0301\u0302');
    expect(framebuffersEqual(next, snapshotTerminal(term))).toBe(true);
  });

  it('does not take the words of another terminal for its own', async () => {
    const a = await screen('alpha', 10, 2);
    const b = await screen('bravo', 10, 2);
    const fromOther = snapshotTerminal(b.term, a.fb);
    expect(rowText(fromOther, 0)).toBe('bravo');
    expect(framebuffersEqual(fromOther, snapshotTerminal(b.term))).toBe(true);
  });
});

/** Two rows read alike: the same cells (text, width, colours, attributes, link) and the same wrap. */
function rowsEqualByText(a: Framebuffer['lines'][number], b: Framebuffer['lines'][number]): boolean {
  return a.wrapped === b.wrapped && a.cells.length === b.cells.length && a.cells.every((cell, x) => {
    const other = b.cells[x]!;
    return cell.text === other.text && cell.width === other.width && cell.fg === other.fg && cell.bg === other.bg && cell.attrs === other.attrs && cell.link?.uri === other.link?.uri && cell.link?.id === other.link?.id;
  });
}

describe('readRow from cell words', () => {
  /** The same line seen only through xterm's public API: readRow then reads every cell by getCell. */
  const apiOnly = (line: IBufferLine): IBufferLine => ({
    get isWrapped() {
      return line.isWrapped;
    },
    get length() {
      return line.length;
    },
    getCell: (x, cell) => line.getCell(x, cell),
    translateToString: (trimRight, start, end) => line.translateToString(trimRight, start, end),
  });

  it('reads every line as the API does, whatever was printed, links and every attribute and colour mode included', async () => {
    const sgr = fc
      .array(fc.constantFrom('0', '1', '2', '3', '4', '5', '7', '8', '9', '53', '21', '22', '24', '27', '29', '31', '44', '97', '103', '38;5;200', '48;5;17', '38;2;1;2;3', '48;2;250;0;128', '39', '49', '4:0', '4:2', '4:3', '4:4', '4:5', '58;5;1', '58:5:300', '58;2;9;9;9', '58:2::255:0:0', '59'), { minLength: 1, maxLength: 4 })
      .map((codes) => `\x1b[${codes.join(';')}m`);
    const pieces = fc.oneof(
      fc.constantFrom('a', 'word ', '~', '中', '😀', 'e\u0301', '\u0301', '\t', '\r\n', '\n', ' ', '\x1b[K', '\x1b[2;5H', '\x1b[3X', '\x1b[2P', '\x1b[3@'),
      fc.constantFrom('\x1b]8;;https://example.com/\x1b\\', '\x1b]8;id=x;file:///tmp/a\x07', '\x1b]8;;\x1b\\'),
      sgr,
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    );
    let linesSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 60 }), fc.integer({ min: 2, max: 30 }), fc.integer({ min: 2, max: 30 }), async (parts, cols, readCols) => {
        await eachPrintedLine(parts.join(''), cols, ({ term, line, wrapped, scratch, lookahead }) => {
          const links = xtermLinks(term);
          linesSeen++;
          // Also at another width than the terminal's (a line longer or shorter than the row read).
          for (const width of [cols, readCols]) {
            expect(readRow(line, width, wrapped, scratch, lookahead, undefined, links)).toEqual(readRow(apiOnly(line), width, wrapped, scratch, lookahead, undefined, links));
            expect(readRow(line, width, wrapped, scratch, lookahead, undefined)).toEqual(readRow(apiOnly(line), width, wrapped, scratch, lookahead, undefined));
          }
        });
      }),
      { numRuns: 200 },
    );
    expect(linesSeen).toBeGreaterThan(1000);
  });
});

describe('readLogRow', () => {
  it('reads every line as trimmedLogLine(readRow(...)) would, whatever was printed', async () => {
    const pieces = fc.oneof(
      fc.constantFrom('a', 'word ', '中', '😀', 'e\u0301', '\t', '\r\n', '\n', ' ', '\x1b[31m', '\x1b[44m', '\x1b[1;4m', '\x1b[m', '\x1b[K', '\x1b[2;5H', '\x1b[3X'),
      fc.constantFrom('\x1b]8;;https://example.com/\x1b\\', '\x1b]8;id=x;file:///tmp/a\x07', '\x1b]8;;\x1b\\'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 60 }), fc.integer({ min: 2, max: 30 }), async (parts, cols) => {
        await eachPrintedLine(parts.join(''), cols, ({ term, line, wrapped, scratch, lookahead }) => {
          expect(readLogRow(line, cols, wrapped, scratch, lookahead)).toEqual(trimmedLogLine(readRow(line, cols, wrapped, scratch, lookahead, undefined)));
          const links = xtermLinks(term);
          expect(readLogRow(line, cols, wrapped, scratch, lookahead, links)).toEqual(trimmedLogLine(readRow(line, cols, wrapped, scratch, lookahead, undefined, links)));
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe('plainLogLineFromCells', () => {
  /** xterm's internal cell words of a buffer line (what the capture hands to plainLogLineFromCells). */
  const cellWords = (term: Terminal, y: number): { data: Uint32Array; length: number } => {
    const line = (term as unknown as { _core: { buffers: { normal: { lines: { get(i: number): { _data: Uint32Array; length: number } } } } } })._core.buffers.normal.lines.get(y);
    return { data: line._data, length: line.length };
  };

  it('gives the log bytes of readLogRow for every plain line and declines every other one, whatever was printed', async () => {
    const pieces = fc.oneof(
      fc.constantFrom('a', 'word ', '~', '中', '😀', 'e\u0301', '\t', '\r\n', '\n', ' ', '\x1b[31m', '\x1b[44m', '\x1b[1;4m', '\x1b[m', '\x1b[K', '\x1b[2;5H', '\x1b[3X', '\x1b[7m \x1b[m'),
      fc.constantFrom('\x1b]8;;https://example.com/\x1b\\', '\x1b]8;;\x1b\\', '\x1b[4:3m', '\x1b[58;5;1m', '\x1b[39;49m'),
      fc.string({ unit: 'grapheme-ascii', maxLength: 12 }),
    );
    let plainSeen = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 60 }), fc.integer({ min: 2, max: 30 }), async (parts, cols) => {
        await eachPrintedLine(parts.join(''), cols, ({ term, y, line, wrapped, scratch, lookahead }) => {
          const row = readLogRow(line, cols, wrapped, scratch, lookahead, xtermLinks(term));
          const { data, length } = cellWords(term, y);
          const plain = plainLogLineFromCells(data, length, cols, wrapped);
          const isPlain = row.cells.every((cell) => cell.width === 1 && /^[\x20-\x7e]$/.test(cell.text) && cell.fg === 0 && cell.bg === 0 && cell.attrs === 0 && cell.link === undefined);
          expect(plain !== undefined).toBe(isPlain);
          if (plain === undefined) return;
          plainSeen++;
          // Same log, byte for byte, and the line reads back as the row.
          const viaPlain = ScrollbackLog.empty.append([plain]);
          expect(viaPlain.equals(ScrollbackLog.empty.append([row]))).toBe(true);
          expect(viaPlain.line(0)).toEqual(row);
        });
      }),
      { numRuns: 150 },
    );
    expect(plainSeen).toBeGreaterThan(100);
  });
});

describe('OSC 8 hyperlinks in the snapshot', () => {
  const OPEN = (uri: string, params = '') => `\x1b]8;${params};${uri}\x1b\\`;
  const CLOSE = '\x1b]8;;\x1b\\';

  it("keeps each linked cell's URL and id, and does not underline it", async () => {
    const { term, fb } = await screen(`see ${OPEN('https://example.com/docs', 'id=d1')}docs${CLOSE} or ${OPEN('file:///tmp/a b')}this${CLOSE}.`);
    try {
      const cells = fb.lines[0]!.cells;
      expect(rowText(fb, 0)).toBe('see docs or this.');
      expect(cells[3]!.link).toBeUndefined();
      for (let x = 4; x < 8; x++) {
        expect(cells[x]!.link).toEqual({ uri: 'https://example.com/docs', id: 'd1' });
        expect(cells[x]!.attrs & ATTR_UNDERLINE).toBe(0);
      }
      expect(cells[4]!.link).toBe(cells[7]!.link);
      expect(cells[8]!.link).toBeUndefined();
      expect(cells[12]!.link).toEqual({ uri: 'file:///tmp/a b', id: '' });
      expect(cells[16]!.link).toBeUndefined();
      expect(cells[16]!.attrs).toBe(0);
    } finally {
      term.dispose();
    }
  });

  it('keeps the underline a program drew inside a link, and only there', async () => {
    const { term, fb } = await screen(`${OPEN('https://a.example/')}ab\x1b[4mcd\x1b[4:3me\x1b[24mf${CLOSE}\x1b[4mg\x1b[m`);
    try {
      const underlined = fb.lines[0]!.cells.slice(0, 7).map((c) => (c.attrs & ATTR_UNDERLINE) !== 0);
      expect(underlined).toEqual([false, false, true, true, true, false, true]);
      // The program's style, not the dashed one xterm reports for every linked cell.
      expect(fb.lines[0]!.cells.slice(2, 5).map((c) => underlineStyleOf(c.attrs))).toEqual([UnderlineStyle.Single, UnderlineStyle.Single, UnderlineStyle.Curly]);
      expect(fb.lines[0]!.cells.slice(0, 6).every((c) => c.link?.uri === 'https://a.example/')).toBe(true);
      expect(fb.lines[0]!.cells[6]!.link).toBeUndefined();
    } finally {
      term.dispose();
    }
  });

  it('follows a link across a wrapped line and into a wide character', async () => {
    const { term, fb } = await screen(`${OPEN('https://wide.example/')}abcdef中${CLOSE}x`, 5, 3);
    try {
      const link = fb.lines[0]!.cells[0]!.link;
      expect(link).toEqual({ uri: 'https://wide.example/', id: '' });
      expect(fb.lines[0]!.wrapped).toBe(true);
      expect(fb.lines[1]!.cells[0]!.link).toBe(link);
      expect(fb.lines[1]!.cells[1]!).toMatchObject({ text: '中', width: 2 });
      expect(fb.lines[1]!.cells[1]!.link).toBe(link);
      expect(fb.lines[1]!.cells[2]!.link).toBe(link);
      expect(fb.lines[1]!.cells[3]!.link).toBeUndefined();
    } finally {
      term.dispose();
    }
  });

  it('shows a link it cannot send as plain text, not as an underline', async () => {
    const long = `https://example.com/${'p'.repeat(5000)}`;
    const { term, fb } = await screen(`${OPEN(long)}ab${CLOSE}`);
    try {
      expect(fb.lines[0]!.cells[0]!).toMatchObject({ text: 'a', attrs: 0 });
      expect(fb.lines[0]!.cells[0]!.link).toBeUndefined();
    } finally {
      term.dispose();
    }
  });

  it('reuses unchanged rows with their links, and sees a link change as a change', async () => {
    const term = createHeadlessTerminal({ cols: 10, rows: 3 });
    try {
      await write(term, `${OPEN('https://a/')}link${CLOSE}\r\n`);
      const first = snapshotTerminal(term);
      await write(term, 'x');
      const second = snapshotTerminal(term, first);
      expect(second.lines[0]).toBe(first.lines[0]);
      await write(term, `\x1b[H${OPEN('https://b/')}link${CLOSE}`);
      const third = snapshotTerminal(term, second);
      expect(third.lines[0]!.cells[0]!.link).toEqual({ uri: 'https://b/', id: '' });
      expect(framebuffersEqual(third, second)).toBe(false);
    } finally {
      term.dispose();
    }
  });

  it('holds at most MAX_SCREEN_LINKS distinct links; later ones are plain text', async () => {
    let data = '';
    for (let i = 0; i < 1100; i++) data += `${OPEN(`https://e/${i}`)}x${CLOSE}`;
    const { term, fb } = await screen(data, 100, 12);
    try {
      const table = screenLinkTable(fb.lines);
      expect(table.length).toBe(MAX_SCREEN_LINKS);
      expect(fb.lines[11]!.cells[99]!.link).toBeUndefined();
      expect(fb.lines[0]!.cells[0]!.link).toEqual({ uri: 'https://e/0', id: '' });
    } finally {
      term.dispose();
    }
  });
});

/**
 * Prints `text` into a fresh headless terminal `cols` wide and 6 rows high, calls `visit` with each line of its
 * buffer (scrollback included) and whether the next line continues it, then disposes of the terminal.
 */
async function eachPrintedLine(
  text: string,
  cols: number,
  visit: (at: { term: Terminal; y: number; line: IBufferLine; wrapped: boolean; scratch: IBufferCell; lookahead: IBufferCell }) => void,
): Promise<void> {
  const term = createHeadlessTerminal({ cols, rows: 6 });
  try {
    await write(term, text);
    const buffer = term.buffer.normal;
    const scratch = buffer.getNullCell();
    const lookahead = buffer.getNullCell();
    for (let y = 0; y < buffer.length; y++) {
      visit({ term, y, line: buffer.getLine(y)!, wrapped: buffer.getLine(y + 1)?.isWrapped === true, scratch, lookahead });
    }
  } finally {
    term.dispose();
  }
}
