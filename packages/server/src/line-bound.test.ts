import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Terminal } from '@xterm/headless';
import { lineBound } from './line-bound.js';

/** Lines that left the top of a real xterm's normal screen while it parsed `chunks`, one count per chunk. */
async function linesAdded(chunks: readonly Uint8Array[], cols: number, rows: number): Promise<number[]> {
  const term = new Terminal({ cols, rows, scrollback: 100_000, allowProposedApi: true });
  const counts: number[] = [];
  try {
    for (const chunk of chunks) {
      const before = term.buffer.normal.baseY;
      await new Promise<void>((resolve) => term.write(chunk, resolve));
      counts.push(term.buffer.normal.baseY - before);
    }
  } finally {
    term.dispose();
  }
  return counts;
}

const encode = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('lineBound', () => {
  it('is near the truth for a flood of short lines, where a byte a line was seven times it', () => {
    let seq = '';
    for (let i = 1; i <= 585; i++) seq += `${i}\r\n`;
    const chunk = encode(seq);
    expect(lineBound(chunk, 80)).toBe(585 + Math.floor(chunk.length / 80) + 1);
    expect(lineBound(chunk, 80)).toBeLessThan(chunk.length / 3);
  });

  it('never counts fewer lines than a real terminal adds, whatever the output (cursor moves, tabs, wraps, C1, wide characters)', async () => {
    const piece = fc.constantFrom('a', 'b', '表', '\r', '\n', '\x0b', '\x0c', '\t', '\b', '\x1bD', '\x1bE', '\x1bM', '\u0085', '\u0084', '\x1b[80G', '\x1b[24;80H', '\x1b[H', '\x1b[C', 'é', ' ');
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(piece, { maxLength: 300 }), { minLength: 1, maxLength: 4 }), fc.integer({ min: 2, max: 30 }), fc.integer({ min: 2, max: 8 }), async (parts, cols, rows) => {
        const chunks = parts.map((part) => encode(part.join('')));
        const added = await linesAdded(chunks, cols, rows);
        chunks.forEach((chunk, index) => expect(added[index]!).toBeLessThanOrEqual(lineBound(chunk, cols)));
      }),
      { numRuns: 300 },
    );
  });
});
