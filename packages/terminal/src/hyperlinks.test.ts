import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { arbFramebufferHistory, arbFramebufferPair, arbLink, cellsOfText, rowOf, scrollRegion } from './arbitrary-framebuffer.test-helpers.js';
import { Attr, blankFramebuffer, framebuffersEqual, type Cell, type Framebuffer, type Row } from './framebuffer.js';
import {
  MAX_LINK_ID_BYTES,
  MAX_LINK_URI_BYTES,
  MAX_SCREEN_LINKS,
  MAX_SCREEN_LINK_BYTES,
  capScreenLinks,
  hyperlink,
  linkProblem,
  linkSequence,
  rowLinks,
  screenLinkTable,
  type Hyperlink,
} from './hyperlinks.js';
import { decodeScreenDiff, encodeScreenDiff, SCREEN_DIFF_VERSION } from './screen-diff.js';
import { Renderer, displayedFramebuffer } from './renderer.js';
import { sanitizeRow } from './cell-sanitizer.js';
import { replayRows } from './row-replay.js';
import { ScrollbackLog } from './scrollback-log.js';
import { PredictionEngine } from './prediction.js';
import { ByteReader, ByteWriter } from '@tsmosh/protocol';
import { createTestTerminal, screenDifference, type TestTerminal } from './xterm-readback.test-helpers.js';

const link = (uri: string, id = ''): Hyperlink => hyperlink(uri, id)!;

/** A row of `text` in `link` (undefined: plain), padded to `cols`. */
function linkedRow(text: string, cols: number, target: Hyperlink | undefined, attrs = 0): Row {
  return rowOf(
    cellsOfText(text).map((cell) => ({ ...cell, attrs, ...(target === undefined ? {} : { link: target }) })),
    cols,
  );
}

function screen(cols: number, rows: readonly Row[]): Framebuffer {
  const fb = blankFramebuffer(cols, rows.length);
  return { ...fb, lines: rows };
}

/** Every OSC 8 in `bytes`, as [params, uri]. */
function osc8s(bytes: string): [string, string][] {
  return [...bytes.matchAll(/\x1b\]8;([^;\x1b\x07]*);([^\x1b\x07]*)(?:\x1b\\|\x07)/g)].map((m) => [m[1]!, m[2]!]);
}

describe('links as values', () => {
  it('refuses what cannot travel inside an OSC 8, and nothing else', () => {
    expect(linkProblem('https://example.com/', '')).toBeUndefined();
    expect(linkProblem('https://例え.jp/ü?a=1;b=2', 'x-1')).toBeUndefined();
    expect(linkProblem('', '')).toMatch(/URI is empty/);
    expect(linkProblem('https://a/\x1b]0;pwned\x07', '')).toMatch(/control characters/);
    expect(linkProblem('https://a/\u009c', '')).toMatch(/control characters/);
    expect(linkProblem('https://a/\ud800', '')).toMatch(/lone surrogates/);
    expect(linkProblem('https://a/', 'a:b')).toMatch(/':' or ';'/);
    expect(linkProblem('https://a/', 'a;b')).toMatch(/':' or ';'/);
    expect(linkProblem('x'.repeat(MAX_LINK_URI_BYTES), '')).toBeUndefined();
    expect(linkProblem('x'.repeat(MAX_LINK_URI_BYTES - 1) + 'é', '')).toMatch(/longer than 4096 bytes/);
    expect(linkProblem('https://a/', 'i'.repeat(MAX_LINK_ID_BYTES + 1))).toMatch(/id is longer than 256 bytes/);
    expect(hyperlink('')).toBeUndefined();
  });

  it("a screen's table holds each distinct link once, sorted, whatever objects the cells carry", () => {
    const a = link('https://b.example/');
    const b = link('https://a.example/', 'z');
    const c = link('https://a.example/');
    const row1 = linkedRow('ab', 6, a);
    const row2 = rowOf([...linkedRow('cd', 2, { ...b }).cells, ...linkedRow('ef', 2, c).cells, ...linkedRow('gh', 2, a).cells], 6);
    const table = screenLinkTable([row1, row2, linkedRow('ij', 6, { uri: a.uri, id: a.id })]);
    expect(table).toEqual([c, b, a]);
    expect(rowLinks(row2)).toEqual([c, b, a]);
    // Cached: the same row array gives the same table object.
    const lines = [row1, row2];
    expect(screenLinkTable(lines)).toBe(screenLinkTable(lines));
  });

  it('capScreenLinks keeps the first links in reading order within the bounds, and the other rows as they were', () => {
    const cols = 4;
    const many = Array.from({ length: MAX_SCREEN_LINKS / 2 + 10 }, (_, y) =>
      rowOf([...linkedRow('a', 1, link(`https://e/${y}a`)).cells, ...linkedRow('b', 1, link(`https://e/${y}b`)).cells], cols),
    );
    const plain = linkedRow('plain', cols, undefined);
    const lines = [plain, ...many];
    const capped = capScreenLinks(lines);
    expect(screenLinkTable(capped).length).toBe(MAX_SCREEN_LINKS);
    expect(capped[0]).toBe(plain);
    expect(capped[1]).toBe(lines[1]);
    const last = capped[capped.length - 1]!;
    expect(last.cells[0]!.link).toBeUndefined();
    expect(last.cells[0]!.text).toBe('a');
    // Bytes: few links, but long ones.
    const long = Array.from({ length: 80 }, (_, y) => linkedRow('x', 2, link(`https://e/${y}/${'p'.repeat(4000)}`)));
    const byBytes = screenLinkTable(capScreenLinks(long));
    expect(byBytes.length).toBe(Math.floor(MAX_SCREEN_LINK_BYTES / 4010));
    // Within bounds: the very same array.
    expect(capScreenLinks(many.slice(0, 3))).toEqual(many.slice(0, 3));
  });
});

describe('links in the screen diff (field 13)', () => {
  it('round trip keeps every link, including when the table changes between frames', () => {
    fc.assert(
      fc.property(arbFramebufferHistory({ maxCols: 12, maxRows: 6 }, 5), (frames) => {
        let decoded = frames[0]!;
        decoded = decodeScreenDiff(blankFramebuffer(decoded.cols, decoded.rows), 0, encodeScreenDiff(blankFramebuffer(decoded.cols, decoded.rows), 0, decoded, 0)).framebuffer;
        for (let i = 1; i < frames.length; i++) {
          decoded = decodeScreenDiff(decoded, 0, encodeScreenDiff(frames[i - 1]!, 0, frames[i]!, 0)).framebuffer;
          expect(framebuffersEqual(decoded, frames[i]!)).toBe(true);
          expect(screenLinkTable(decoded.lines)).toEqual(screenLinkTable(frames[i]!.lines));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a cell that differs only in its link is a change', () => {
    const a = link('https://a/');
    const base = screen(4, [linkedRow('ab', 4, a)]);
    const next = screen(4, [linkedRow('ab', 4, link('https://a/', 'other'))]);
    const diff = encodeScreenDiff(base, 0, next, 0);
    expect(diff.length).toBeGreaterThan(0);
    expect(framebuffersEqual(decodeScreenDiff(base, 0, diff).framebuffer, next)).toBe(true);
    const plain = screen(4, [linkedRow('ab', 4, undefined)]);
    expect(framebuffersEqual(decodeScreenDiff(base, 0, encodeScreenDiff(base, 0, plain, 0)).framebuffer, plain)).toBe(true);
  });

  it('sends each URL once: a scroll of linked lines carries only the links that are new', () => {
    const cols = 40;
    const rows = Array.from({ length: 10 }, (_, y) => linkedRow(`file ${y}`, cols, link(`file:///home/user/projects/tsmosh/file-${y}.ts`)));
    const base = screen(cols, rows);
    const entering = linkedRow('file 10', cols, link('file:///home/user/projects/tsmosh/file-10.ts'));
    const next = scrollRegion(base, 0, 9, 1, [entering]);
    const diff = encodeScreenDiff(base, 0, next, 0);
    const text = new TextDecoder().decode(diff);
    expect(text).toContain('file-10.ts');
    expect(text).not.toContain('file-3.ts');
    // The URL, the row's text, the removal of one link, the move: far less than the ten URLs.
    expect(diff.length).toBeLessThan(90);
    const decoded = decodeScreenDiff(base, 0, diff).framebuffer;
    expect(framebuffersEqual(decoded, next)).toBe(true);
    // Cells of one link share one object in the decoded screen, as in the snapshot.
    expect(decoded.lines[9]!.cells[0]!.link).toBe(decoded.lines[9]!.cells[5]!.link);
  });

  it('costs nothing on screens without links', () => {
    fc.assert(
      fc.property(arbFramebufferPair(), ([a, b]) => {
        fc.pre(screenLinkTable(a.lines).length === 0 && screenLinkTable(b.lines).length === 0);
        const diff = encodeScreenDiff(a, 0, b, 0);
        if (diff.length > 0) {
          const reader = new ByteReader(diff, 'test');
          reader.u8('version');
          expect(reader.varint('fields') & (1 << 13)).toBe(0);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('refuses to send a link the decoder would refuse, naming it', () => {
    const bad = screen(4, [rowOf([{ text: 'x', width: 1, fg: 0, bg: 0, attrs: 0, link: { uri: 'https://a/\x07', id: '' } }], 4)]);
    expect(() => encodeScreenDiff(blankFramebuffer(4, 1), 0, bad, 0)).toThrow(/cannot be sent: a link cannot be sent: its URI holds control characters/);
    const tooMany = screen(
      2,
      Array.from({ length: MAX_SCREEN_LINKS / 2 + 1 }, (_, y) => rowOf([...linkedRow('a', 1, link(`https://e/${y}a`)).cells, ...linkedRow('b', 1, link(`https://e/${y}b`)).cells], 2)),
    );
    expect(() => encodeScreenDiff(blankFramebuffer(2, tooMany.rows), 0, tooMany, 0)).toThrow(/1026 distinct links, more than 1024/);
  });

  it('decoding names what was wrong in hostile link bytes', () => {
    const V = SCREEN_DIFF_VERSION;
    const base = blankFramebuffer(4, 1);
    const linkedBase = screen(4, [linkedRow('ab', 4, link('https://a/'))]);
    const string = (text: string): number[] => {
      const bytes = [...new TextEncoder().encode(text)];
      return [bytes.length, ...bytes];
    };
    // Fields: rows (bit 8) and links (bit 13) = 0x2100, as a varint 0x80 0x42.
    const cases: [Framebuffer, number[], RegExp][] = [
      [base, [V, 0x80, 0x40, 0, 0], /the link table changed but no rows were sent/],
      [base, [V, 0x80, 0x42, 1, 0], /removed link count is 1, more than the maximum 0/],
      [linkedBase, [V, 0x80, 0x42, 1, 1], /removed link 1 is not in the base's table of 1 links/],
      [base, [V, 0x80, 0x42, 0, 1, ...string(''), 0], /added link 0 is invalid: its URI is empty/],
      [base, [V, 0x80, 0x42, 0, 1, ...string('https://a/\x1b'), 0], /added link 0 is invalid: its URI holds control characters/],
      [base, [V, 0x80, 0x42, 0, 1, ...string('https://a/'), ...string('x:y')], /added link 0 is invalid: its id holds/],
      [base, [V, 0x80, 0x42, 0, 2, ...string('https://b/'), 0, ...string('https://a/'), 0], /added link 1 is not after the one before it/],
      [linkedBase, [V, 0x80, 0x42, 0, 1, ...string('https://a/'), 0], /added link 0 is already in the table/],
      // A FULL row whose segment names link 1 while the table is empty: attrs 8192 > 8191 (bits and the underline
      // colour flag below 8192).
      [base, [V, 0x80, 0x02, 3, 0x84, 0x01, 0x80, 0x40], /attributes is 8192, more than the maximum 8191/],
      // The same naming link 2 over a base whose table (looked up only now, for the first cell naming a link) has one.
      [linkedBase, [V, 0x80, 0x02, 3, 0x84, 0x01, 0x80, 0x80, 0x01], /attributes is 16384, more than the maximum 16383/],
    ];
    for (const [from, bytes, message] of cases) {
      expect(() => decodeScreenDiff(from, 0, Uint8Array.from(bytes)), message.source).toThrow(message);
      expect(() => decodeScreenDiff(from, 0, Uint8Array.from(bytes))).toThrow(RangeError);
    }
    // Link 1 over that base, the table unchanged (no links field): the cells carry the base's link.
    const decoded = decodeScreenDiff(linkedBase, 0, Uint8Array.from([V, 0x80, 0x02, 3, 0x84, 0x01, 0x80, 0x40]));
    expect(decoded.framebuffer.lines[0]!.cells.map((cell) => cell.link)).toEqual(new Array(4).fill(link('https://a/')));
  });

  it('scrollback lines keep their links, each line with its own table', () => {
    const target = link('https://example.com/docs', 'd1');
    const row = rowOf([...cellsOfText('see '), ...linkedRow('docs', 4, target).cells], 10);
    const log = ScrollbackLog.empty.append([row, linkedRow('plain', 10, undefined)], 100);
    const writer = new ByteWriter();
    expect(log.writeDiff(ScrollbackLog.empty, writer)).toBe(true);
    const read = ScrollbackLog.empty.readDiff(new ByteReader(writer.finish(), 'test'), 100);
    const lines = read.linesFrom(0);
    expect(lines[0]!.cells[4]!.link).toEqual(target);
    expect(lines[0]!.cells[3]!.link).toBeUndefined();
    expect(lines[1]!.cells[0]!.link).toBeUndefined();
  });
});

describe('links on the local terminal', () => {
  const terminals: TestTerminal[] = [];
  afterEach(() => {
    for (const t of terminals.splice(0)) t.dispose();
  });

  async function shows(t: TestTerminal, fb: Framebuffer): Promise<void> {
    expect(screenDifference(t.read(), displayedFramebuffer(fb))).toBe('');
  }

  it('opens a link once per run, switches between links without closing, and closes at the frame end', async () => {
    const t = createTestTerminal(20, 2);
    terminals.push(t);
    const renderer = new Renderer();
    await t.write(renderer.enter());
    const a = link('https://a.example/', 'A');
    const b = link('https://b.example/');
    const row = rowOf([...linkedRow('xx', 2, a).cells, ...linkedRow('yy', 2, b).cells, ...cellsOfText(' plain')], 20);
    const fb = screen(20, [row, linkedRow('zz', 20, a, Attr.Underline)]);
    const bytes = renderer.render(undefined, fb);
    await t.write(bytes);
    await shows(t, fb);
    expect(osc8s(bytes)).toEqual([
      ['id=A', 'https://a.example/'],
      ['', 'https://b.example/'],
      ['', ''],
      ['id=A', 'https://a.example/'],
      ['', ''],
    ]);
    // The program's own underline inside a link stays, and a linked cell without it is not underlined.
    const read = t.read();
    expect(read.lines[1]!.cells[0]!.attrs & Attr.Underline).toBe(Attr.Underline);
    expect(read.lines[0]!.cells[0]!.attrs & Attr.Underline).toBe(0);
    // Typing after the link: nothing about links is sent again.
    const typed = { ...fb, lines: [rowOf([...row.cells.slice(0, 10), ...cellsOfText('!')], 20), fb.lines[1]!] };
    const more = renderer.render(fb, typed);
    expect(osc8s(more)).toEqual([]);
    await t.write(more);
    await shows(t, typed);
    expect(renderer.exit(typed)).toContain('\x1b]8;;\x1b\\');
  });

  it('keeps the link of a character that continues a wrapped line once the line above is gone', async () => {
    // xterm.js files a printed link under the line the cursor was on before the character's own wrap; deleting that
    // line (here DL at the top) would strip the link from the character, which sits on the next line.
    const u = link('https://wrap.example/');
    const wide: Cell = { text: '界', width: 2, fg: 0, bg: 0, attrs: 0 };
    const wideHalf: Cell = { text: '', width: 0, fg: 0, bg: 0, attrs: 0, link: u };
    for (const first of [cellsOfText('L')[0]!, wide]) {
      const t = createTestTerminal(4, 3);
      terminals.push(t);
      const renderer = new Renderer();
      await t.write(renderer.enter());
      const linked = { ...first, link: u };
      // Row 0 full (a wide character needs the last column left empty: the terminal wraps it whole), row 1 continues it.
      const top = first.width === 2 ? rowOf(cellsOfText('abc'), 4, true) : rowOf(cellsOfText('abcd'), 4, true);
      const second = rowOf(first.width === 2 ? [linked, wideHalf] : [linked], 4);
      const fb = screen(4, [top, second, rowOf([], 4)]);
      await t.write(renderer.render(undefined, fb));
      await shows(t, fb);
      await t.write('\x1b[H\x1b[M');
      expect(t.read().lines[0]!.cells[0]).toMatchObject({ text: first.text, link: u });
    }
  });

  it('never leaves a link open at the end of a frame (property)', () => {
    fc.assert(
      fc.property(arbFramebufferHistory({ maxCols: 10, maxRows: 5 }, 4), (frames) => {
        const renderer = new Renderer();
        let previous: Framebuffer | undefined;
        for (const fb of frames) {
          const sequences = osc8s(renderer.render(previous, fb));
          if (sequences.length > 0) expect(sequences.at(-1)![1]).toBe('');
          previous = fb;
        }
      }),
      { numRuns: 100 },
    );
  });

  it('shows an unsafe link as plain text: nothing of it reaches the terminal', () => {
    const hostile: Cell = { text: 'x', width: 1, fg: 0, bg: 0, attrs: 0, link: { uri: 'https://a/\x1b]2;owned\x07', id: 'i' } };
    const cells = sanitizeRow(rowOf([hostile, { ...hostile, link: { uri: 'https://b/', id: 'a;b' } }], 3), 3);
    expect(cells[0]!.link).toBeUndefined();
    expect(cells[1]!.link).toBeUndefined();
    const bytes = new Renderer().render(undefined, screen(3, [rowOf([hostile], 3)]));
    expect(bytes).not.toContain('owned');
  });

  it('rows replayed into history carry their links and close them at the end of each row', async () => {
    fc.assert(
      fc.property(arbLink, arbLink, (a, b) => {
        const out = replayRows([linkedRow('ab', 6, a), linkedRow('cd', 6, b)], 6);
        const sequences = osc8s(out);
        expect(sequences).toEqual([
          [a.id === '' ? '' : `id=${a.id}`, a.uri],
          ['', ''],
          [b.id === '' ? '' : `id=${b.id}`, b.uri],
          ['', ''],
        ]);
        expect(linkSequence(a)).toMatch(/^\x1b\]8;[^\x1b\x07]*\x1b\\$/);
      }),
      { numRuns: 50 },
    );
  });
});

describe('links under predictions', () => {
  it('typed text predicted in front of a link moves the linked cells with their link, and is not linked itself', async () => {
    const target = link('https://example.com/', 'e');
    const prompt = (typed: string): Framebuffer => ({
      ...screen(20, [rowOf([...cellsOfText(`$ ${typed}`), ...linkedRow('url', 3, target).cells], 20), linkedRow('', 20, undefined)]),
      cursor: { x: 2 + typed.length, y: 0, visible: true, style: 'block', blink: true },
    });
    const engine = new PredictionEngine({ mode: 'always' });
    const before = prompt('');
    engine.onUserInput(new TextEncoder().encode('a'), before, 1, 0);
    // The server echoes 'a' (the link moves right): the epoch is confirmed, and 'b' shows at once.
    const echoed = prompt('a');
    engine.onServerScreen(echoed, 1, 100);
    engine.onUserInput(new TextEncoder().encode('b'), echoed, 2, 110);
    const shownFrame = engine.apply(echoed, 110);
    const cells = shownFrame.lines[0]!.cells;
    expect(cells.slice(0, 7).map((cell) => cell.text).join('')).toBe('$ aburl');
    expect(cells[3]!.link).toBeUndefined();
    expect(cells.slice(4, 7).map((cell) => cell.link)).toEqual([target, target, target]);
    // Drawn on a real terminal: the link is where the overlay put it, and closed after.
    const t = createTestTerminal(20, 2);
    try {
      const renderer = new Renderer();
      await t.write(renderer.enter() + renderer.render(undefined, echoed) + renderer.render(echoed, shownFrame));
      expect(screenDifference(t.read(), displayedFramebuffer(shownFrame))).toBe('');
    } finally {
      t.dispose();
    }
  });
});
