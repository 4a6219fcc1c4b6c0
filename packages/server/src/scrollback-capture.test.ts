// The capture against xterm's real behaviour: a real @xterm/headless mirror fed real output.
import { describe, expect, it } from 'vitest';
import { rowText } from '@tsmosh/terminal';
import { HeadlessMirror } from './headless-mirror.js';

const text = rowText;
const logText = (mirror: HeadlessMirror): string[] => mirror.scrollback().linesFrom(0).map(text);
const numbers = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

function mirrorOf(cols: number, rows: number, scrollback = 50, logLines?: number): HeadlessMirror {
  return new HeadlessMirror({ cols, rows, scrollback, onReply: () => {}, ...(logLines === undefined ? {} : { logLines }) });
}

describe('ScrollbackCapture', () => {
  it('logs every line that leaves the screen once, in order, even when one write scrolls past xterm\'s own scrollback', async () => {
    const mirror = mirrorOf(20, 5, 10);
    await mirror.write(new TextEncoder().encode(numbers(1, 2000).join('\r\n') + '\r\n'));
    // 2000 lines and the cursor's empty line: 2001 rows, the last 5 on the screen.
    expect(logText(mirror)).toEqual(numbers(1, 1996));
    expect(mirror.scrollback().start).toBe(0);
    mirror.dispose();
  });

  it('keeps only the last logLines lines, numbered absolutely', async () => {
    const mirror = mirrorOf(20, 5, 10, 100);
    await mirror.write(new TextEncoder().encode(numbers(1, 500).join('\r\n')));
    const log = mirror.scrollback();
    // 500 rows, the last 5 on the screen: lines 1–495 left it, the last 100 of them are kept.
    expect([log.start, log.end]).toEqual([395, 495]);
    expect(text(log.line(494))).toBe('495');
    expect(text(log.line(395))).toBe('396');
    mirror.dispose();
  });

  it('the alternate screen leaves nothing, and the normal screen picks up where it was', async () => {
    const mirror = mirrorOf(20, 5);
    const enc = new TextEncoder();
    await mirror.write(enc.encode('a\r\nb\r\nc\r\nd\r\ne\r\nf\r\n'));
    expect(logText(mirror)).toEqual(['a', 'b']);
    await mirror.write(enc.encode('\x1b[?1049h' + numbers(1, 40).join('\r\n') + '\x1b[?1049l'));
    expect(logText(mirror)).toEqual(['a', 'b']);
    await mirror.write(enc.encode('g\r\nh\r\n'));
    expect(logText(mirror)).toEqual(['a', 'b', 'c', 'd']);
    mirror.dispose();
  });

  it('a scroll region below the top line (a status line program) logs nothing', async () => {
    const mirror = mirrorOf(20, 5);
    await mirror.write(new TextEncoder().encode('\x1b[2;5r\x1b[5;1H' + numbers(1, 30).join('\r\n')));
    expect(logText(mirror)).toEqual([]);
    mirror.dispose();
  });

  it('keeps the colours and the soft wrap of a logged line, without trailing blanks', async () => {
    const mirror = mirrorOf(4, 2);
    await mirror.write(new TextEncoder().encode('\x1b[31mabcdef\x1b[m\r\nx\r\ny\r\n'));
    const [first, second] = mirror.scrollback().linesFrom(0);
    expect(first!.wrapped).toBe(true);
    expect(first!.cells.map((c) => c.text).join('')).toBe('abcd');
    expect(first!.cells[0]!.fg).not.toBe(0);
    expect(second!.wrapped).toBe(false);
    expect(second!.cells.map((c) => c.text).join('')).toBe('ef');
    mirror.dispose();
  });

  it('a shorter screen logs the lines it pushes up, a taller one pulls lines back without logging them twice, and the shift says how far resizes moved the screen', async () => {
    const mirror = mirrorOf(20, 6);
    const enc = new TextEncoder();
    await mirror.write(enc.encode(numbers(1, 6).join('\r\n'))); // 1–6 on screen, cursor on 6
    expect([mirror.scrollback().screenTop, mirror.scrollback().resizeShift]).toEqual([0, 0]);
    mirror.resize(20, 3); // xterm pushes 1–3 up
    expect(logText(mirror)).toEqual(['1', '2', '3']);
    expect([mirror.scrollback().screenTop, mirror.scrollback().resizeShift]).toEqual([3, 3]);
    await mirror.write(enc.encode('\r\n7'));
    expect(logText(mirror)).toEqual(['1', '2', '3', '4']);
    expect([mirror.scrollback().screenTop, mirror.scrollback().resizeShift]).toEqual([4, 3]);
    mirror.resize(20, 6); // xterm pulls 2–4 back onto the screen
    expect([mirror.scrollback().end, mirror.scrollback().screenTop, mirror.scrollback().resizeShift]).toEqual([4, 1, 0]);
    await mirror.write(enc.encode('\r\n8\r\n9\r\n10\r\n11\r\n12\r\n13'));
    // 2–4 left the screen a second time: the log holds them once, in order.
    expect(logText(mirror)).toEqual(numbers(1, 7));
    expect([mirror.scrollback().screenTop, mirror.scrollback().resizeShift]).toEqual([7, 0]);
    mirror.dispose();
  });

  it('a width change (reflow) logs nothing again and logging goes on after it', async () => {
    const mirror = mirrorOf(10, 4);
    const enc = new TextEncoder();
    await mirror.write(enc.encode(numbers(1, 10).join('\r\n')));
    expect(logText(mirror)).toEqual(numbers(1, 6));
    mirror.resize(30, 4);
    mirror.resize(5, 4);
    expect(logText(mirror)).toEqual(numbers(1, 6));
    await mirror.write(enc.encode('\r\n11\r\n12'));
    // 7–10 were on the screen through both reflows; two more lines push 7 and 8 up.
    expect(logText(mirror)).toEqual(numbers(1, 8));
    mirror.dispose();
  });

  it('lines read in batches are all logged once when ED 3 or RIS drops xterm\'s scrollback between catch-ups', async () => {
    // scrollback 40: catch-ups every 20 scrolls, so each erase below comes with unread lines in xterm's scrollback.
    const mirror = mirrorOf(20, 5, 40);
    const enc = new TextEncoder();
    await mirror.write(enc.encode(numbers(1, 37).join('\r\n') + '\x1b[3J'));
    await mirror.write(enc.encode('\r\n' + numbers(38, 70).join('\r\n') + '\x1b[?3J'));
    await mirror.write(enc.encode('\r\n' + numbers(71, 103).join('\r\n') + '\r\n'));
    // 1–99 left the screen (100–103 and the cursor's line are on it); none of them was read at a scroll.
    expect(logText(mirror)).toEqual(numbers(1, 99));
    await mirror.write(enc.encode(numbers(104, 130).join('\r\n') + '\x1bc' + numbers(1, 7).join('\r\n')));
    // RIS: 100–125 had left the screen before it; the new screen pushed 1 and 2 out.
    expect(logText(mirror)).toEqual([...numbers(1, 125), '1', '2']);
    mirror.dispose();
  });

  it('a full reset (RIS) keeps the numbering going', async () => {
    const mirror = mirrorOf(20, 3);
    const enc = new TextEncoder();
    await mirror.write(enc.encode('a\r\nb\r\nc\r\nd'));
    await mirror.write(enc.encode('\x1bc1\r\n2\r\n3\r\n4'));
    expect(logText(mirror)).toEqual(['a', '1']);
    expect(mirror.scrollback().end).toBe(2);
    mirror.dispose();
  });
});
