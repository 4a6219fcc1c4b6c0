import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rowText } from '@tsmosh/terminal';
import { HeadlessMirror } from './headless-mirror.js';
import { cellTextOf, cursorCellOf } from './typed-echo.js';

const utf8 = new TextEncoder();

function mirror(cols = 20, rows = 4): { m: HeadlessMirror; replies: string[] } {
  const replies: string[] = [];
  const m = new HeadlessMirror({ cols, rows, onReply: (d) => replies.push(d) });
  return { m, replies };
}

describe('HeadlessMirror', () => {
  it('answers DA1, DA2, DSR and DECRQM through onReply, in order', async () => {
    const { m, replies } = mirror();
    await m.write(utf8.encode('\x1b[c\x1b[>c\x1b[2;5H\x1b[6n\x1b[5n\x1b[?2026$p\x1b[?u'));
    expect(replies).toEqual(['\x1b[?1;2c', '\x1b[>0;276;0c', '\x1b[2;5R', '\x1b[0n', '\x1b[?2026;2$y', '\x1b[?0u']);
    m.dispose();
  });

  it('joins UTF-8 sequences split across writes', async () => {
    const { m } = mirror();
    const bytes = utf8.encode('€宽😀');
    for (let i = 0; i < bytes.length; i++) await m.write(bytes.subarray(i, i + 1));
    const cells = m.snapshot().lines[0]!.cells;
    expect([cells[0]!.text, cells[1]!.text, cells[3]!.text]).toEqual(['€', '宽', '😀']);
    m.dispose();
  });

  it('counts pending bytes until xterm has parsed them', async () => {
    const { m } = mirror();
    const chunk = utf8.encode('x'.repeat(5000));
    void m.write(chunk); // after a quiet spell: parsed at once (below)
    const done = m.write(chunk); // right behind it, as in a flood: parsed later
    expect(m.pendingBytes).toBe(5000);
    await done;
    expect(m.pendingBytes).toBe(0);
    m.dispose();
  });

  it('parses output after a quiet spell in the same turn (an echo does not wait for a timer), and sends no reply for it', async () => {
    const replies: string[] = [];
    const m = new HeadlessMirror({ cols: 20, rows: 3, onReply: (data) => replies.push(data) });
    let parsed = false;
    m.writeThen(utf8.encode('echo'), () => (parsed = true));
    expect(parsed).toBe(true);
    expect(m.pendingBytes).toBe(0);
    expect(m.snapshot().lines[0]!.cells.slice(0, 4).map((cell) => cell.text).join('')).toBe('echo');
    expect(replies).toEqual([]);
    m.dispose();
  });

  it("parses each write of an answer in the same turn, also right after another (a command's output, then its prompt)", async () => {
    const { m } = mirror();
    const parsed: string[] = [];
    m.writeThen(utf8.encode('out\r\n'), () => parsed.push('output'));
    // A millisecond later, well inside the quiet spell that would defer an ordinary write to xterm's timer.
    m.writeThen(utf8.encode('$ '), () => parsed.push('prompt'), true);
    expect(parsed).toEqual(['output', 'prompt']);
    expect(rowText(m.snapshot().lines[1]!).trimEnd()).toBe('$');
    // Not an answer: deferred as before.
    const later = m.write(utf8.encode('tick'));
    expect(m.pendingBytes).toBe(4);
    await later;
    m.dispose();
  });

  it('exposes synchronized output (DEC 2026) while the program holds it', async () => {
    const { m } = mirror();
    expect(m.synchronizedOutput).toBe(false);
    await m.write(utf8.encode('\x1b[?2026hhalf'));
    expect(m.synchronizedOutput).toBe(true);
    await m.write(utf8.encode(' done\x1b[?2026l'));
    expect(m.synchronizedOutput).toBe(false);
    expect(m.synchronizedOutputEpoch).toBe(1);
    // Off and on again inside one write: still on, but a new block the host must wait for afresh.
    await m.write(utf8.encode('\x1b[?2026hA\x1b[?2026l\x1b[?2026hB'));
    expect(m.synchronizedOutput).toBe(true);
    expect(m.synchronizedOutputEpoch).toBe(3);
    m.dispose();
  });

  it('exposes a scroll region narrower than the screen (tmux scrolling a pane), and its reset', async () => {
    const { m } = mirror(20, 24);
    expect(m.partialScrollRegion).toBeUndefined();
    await m.write(utf8.encode('\x1b[1;19r\x1b[19;1H\n17'));
    expect(m.partialScrollRegion).toBe('0;18');
    await m.write(utf8.encode('\x1b[1;24r\x1b[21;3H'));
    expect(m.partialScrollRegion).toBeUndefined();
    await m.write(utf8.encode('\x1b[5;24r'));
    expect(m.partialScrollRegion).toBe('4;23');
    await m.write(utf8.encode('\x1b[r'));
    expect(m.partialScrollRegion).toBeUndefined();
    m.dispose();
  });

  it('snapshots share state with the previous one and follow resizes', async () => {
    const { m } = mirror();
    await m.write(utf8.encode('hello'));
    const a = m.snapshot();
    expect(m.snapshot()).toBe(a);
    m.resize(30, 6);
    const b = m.snapshot();
    expect([b.cols, b.rows]).toEqual([30, 6]);
    expect(() => m.resize(0, 5)).toThrow(/positive integers/);
    m.dispose();
  });

  it('survives ED 1 in the bottom-right cell, which crashes and wedges plain @xterm/headless 6.0.0', async () => {
    for (const setup of ['', '\x1b[?1049h']) {
      const { m } = mirror(10, 3);
      await m.write(utf8.encode(`${setup}aaaaaaaaaa\r\nbbbbbbbbbb\r\nccc\x1b[3;10H\x1b[44m\x1b[1J\x1b[0m`));
      const fb = m.snapshot();
      expect(fb.lines.every((row) => row.cells.every((c) => c.text === '' && c.bg === (0x1000000 | 4)))).toBe(true);
      await m.write(utf8.encode('\x1b[Hafter'));
      expect(m.snapshot().lines[0]!.cells[0]!.text).toBe('a');
      expect(m.stats.parseErrors).toBe(0);
      m.dispose();
    }
  });

  it('drops the rest of a chunk xterm fails to parse, counts it, and keeps working', async () => {
    const { m } = mirror();
    m.terminal.parser.registerCsiHandler({ final: 'z' }, () => {
      throw new Error('a parser defect');
    });
    await m.write(utf8.encode('ok\x1b[zlost'));
    expect(m.stats.parseErrors).toBe(1);
    await m.write(utf8.encode(' more'));
    const row = rowText(m.snapshot().lines[0]!);
    expect(row).toBe('ok more');
    m.dispose();
  });

  it('reads the cursor and any cell as its snapshot would, without taking one (a typed key\'s mark)', async () => {
    // Text (wide characters, combining marks, a pending wrap at the right edge), cursor moves and erases, in any order.
    const piece = fc.oneof(
      fc.constantFrom('a', 'xyz', '宽', '😀', 'e\u0301', ' ', '\r\n', '\x1b[K', '\x1b[2J', '\x1b[H', '\x08', '\x1b[?25l'),
      fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 })).map(([row, col]) => `\x1b[${row};${col}H`),
      fc.integer({ min: 1, max: 12 }).map((n) => 'w'.repeat(n)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { maxLength: 30 }), async (pieces) => {
        const { m } = mirror(10, 4);
        await m.write(utf8.encode(pieces.join('')));
        const screen = m.snapshot();
        expect(m.cursorCell()).toEqual(cursorCellOf(screen));
        for (let y = -1; y <= 4; y++) for (let x = -1; x <= 10; x++) expect(m.cellText(x, y)).toBe(cellTextOf(screen, x, y));
        m.dispose();
      }),
      { numRuns: 100 },
    );
  });

  it('ignores writes after dispose instead of throwing', async () => {
    const { m } = mirror();
    m.dispose();
    await m.write(utf8.encode('late'));
    expect(m.pendingBytes).toBe(0);
    m.resize(10, 10);
  });
});
