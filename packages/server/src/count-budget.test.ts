import { describe, expect, it } from 'vitest';
import { HeadlessMirror } from './headless-mirror.js';

const HUGE = 999_999_999;
const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

/** A mirror with a recognisable screen: every row names itself, the cursor mid-screen. */
async function filledMirror(): Promise<HeadlessMirror> {
  const mirror = new HeadlessMirror({ cols: 40, rows: 10, onReply: () => {} });
  const rows = Array.from({ length: 10 }, (_, row) => `row ${row} ${'abcdefghij'.repeat(3)}`.slice(0, 40));
  await mirror.write(encode(`\x1b[H${rows.join('\r\n')}\x1b[5;7H`));
  return mirror;
}

function visible(mirror: HeadlessMirror): string {
  const screen = mirror.snapshot();
  return [...screen.lines.map((line) => line.cells.map((cell) => cell.text || ' ').join('')), `cursor ${screen.cursor.x},${screen.cursor.y}`].join('\n');
}

describe('the count budget (mosh CVE-2012-2385 was a repeat count)', () => {
  it('gives a count of a billion the same visible effect as the screen-sized count', async () => {
    for (const [name, sequence, limit] of [
      ['REP', 'b', 400],
      ['IL', 'L', 10],
      ['DL', 'M', 10],
      ['SU', 'S', 10],
      ['SD', 'T', 10],
      ['CHT', 'I', 40],
      ['CBT', 'Z', 40],
      ['SL', ' @', 40],
      ['SR', ' A', 40],
      ['DECIC', "'}", 40],
      ['DECDC', "'~", 40],
    ] as const) {
      const huge = await filledMirror();
      const sized = await filledMirror();
      await huge.write(encode(`x\x1b[${HUGE}${sequence}`));
      await sized.write(encode(`x\x1b[${limit}${sequence}`));
      expect(visible(huge), name).toBe(visible(sized));
      huge.dispose();
      sized.dispose();
    }
  });

  it('finishes every CSI with huge parameters, under any prefix and intermediate, and stays usable', async () => {
    const mirror = new HeadlessMirror({ cols: 80, rows: 24, onReply: () => {} });
    for (const prefix of ['', '?', '>', '=']) {
      for (const intermediate of ['', ' ', "'", '$', '"', '!']) {
        for (let final = 0x40; final <= 0x7e; final++) {
          // Each followed by a soft reset (DECSTR), so modes one sequence sets do not change the next one's meaning.
          await mirror.write(encode(`x\x1b[${prefix}${HUGE};${HUGE}${intermediate}${String.fromCharCode(final)}\x1b[!p`));
        }
      }
    }
    await mirror.write(encode(`\x1b[${'1;'.repeat(50_000)}m\x1b[0m\x1b[H\x1b[2Jstill here`));
    const screen = mirror.snapshot();
    expect([screen.cols, screen.rows]).toEqual([80, 24]);
    expect(screen.lines[0]!.cells.slice(0, 10).map((cell) => cell.text).join('')).toBe('still here');
    mirror.dispose();
  });
});
