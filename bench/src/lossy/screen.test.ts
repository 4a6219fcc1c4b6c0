import { performance } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { ScreenProgram, sameScreen, sameText, type ScreenRule, type ScreenSnapshot } from './screen.js';
import { loadTrace } from './trace.js';

describe('ScreenProgram.frameHeld', () => {
  it('is true while the program is inside a synchronized-output block, and false once the block ends', async () => {
    // A frame drawn in two parts inside one block, as an Ink app's redraw can arrive through ssh.
    const script = "printf '\\033[?2026hpart one'; sleep 0.3; printf ' part two\\033[?2026l'; sleep 5";
    const program = new ScreenProgram({ file: 'sh', args: ['-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    try {
      const seen: Array<{ text: string; held: boolean }> = [];
      const stop = program.onChange(() => seen.push({ text: program.snapshot().rows[0]!, held: program.frameHeld }));
      const done = await program.waitFor((screen) => screen.rows[0] === 'part one part two' && !program.frameHeld, 10_000);
      stop();
      expect(done).toBeDefined();
      expect(seen.find((s) => s.text === 'part one')?.held).toBe(true);
      expect(seen.at(-1)).toEqual({ text: 'part one part two', held: false });
    } finally {
      program.kill();
    }
  });
});

describe('sameScreen with a region and ignored row forms (the claude trace\'s rule)', () => {
  const rule: ScreenRule = { region: { anchor: '^❯', offset: -1 }, ignorePatterns: ['^  status( · [^·]+)*$'] };
  const line = '─'.repeat(80);
  /** `above` rows of transcript, then the box holding `text` (cursor after it) and a status line. */
  const box = (above: readonly string[], text: string, status = '  status'): ScreenSnapshot => {
    const rows = ['row 0', ...above, line, `❯ ${text}`, line, status];
    while (rows.length < 24) rows.push('');
    return { rows, cursorX: 2 + text.length, cursorY: above.length + 2 };
  };

  it('compares the box wherever it sits, not the rows above it, and the status line only in its known forms', () => {
    expect(sameScreen(box(['old answer'], 'hello'), box(['a', 'longer', 'answer', 'streamed'], 'hello', '  status · esc to interrupt'), rule)).toBe(true);
    expect(sameScreen(box([], 'hello'), box([], 'hellp'), rule)).toBe(false);
    expect(sameScreen(box([], 'hello'), box([], 'hello', '  statush'), rule)).toBe(false);
    // The cursor counts relative to the box: one cell off is a difference, the text alone is not.
    const off = { ...box([], 'hello'), cursorX: 6 };
    expect(sameScreen(box(['x'], 'hello'), off, rule)).toBe(false);
    expect(sameText(box(['x'], 'hello'), off, rule)).toBe(true);
  });

  it('takes the last anchor row (the transcript repeats earlier prompts) and needs the anchor on both screens', () => {
    expect(sameScreen(box(['❯ earlier prompt', ''], 'next'), box([], 'next'), rule)).toBe(true);
    const noBox: ScreenSnapshot = { rows: ['row 0', 'starting…', ...Array<string>(22).fill('')], cursorX: 0, cursorY: 1 };
    expect(sameScreen(noBox, box([], ''), rule)).toBe(false);
    expect(sameScreen(noBox, { ...noBox }, rule)).toBe(true);
  });

  it('keeps the old behaviour for a list of ignored rows', () => {
    const a = box([], 'x');
    const b = { ...a, rows: a.rows.map((row, y) => (y === 5 ? 'spinner' : row)) };
    expect(sameScreen(a, b)).toBe(false);
    expect(sameScreen(a, b, [5])).toBe(true);
    expect(sameScreen(a, b, { ignoreRows: [5] })).toBe(true);
  });
});

describe("the vim trace's rule", () => {
  const rule = loadTrace('vim').compare ?? {};
  const screen = (message: string): ScreenSnapshot => ({ rows: ['row 0', 'The quick brown fox', '~', message], cursorX: 0, cursorY: 1 });

  it("takes vim's undo message as the same whatever seconds it counts, and nothing else", () => {
    expect(sameScreen(screen('1 line less; before #3  2 seconds ago'), screen('1 line less; before #3  14 seconds ago'), rule)).toBe(true);
    expect(sameScreen(screen('1 change; after #2  1 second ago'), screen('1 change; after #2  3 seconds ago'), rule)).toBe(true);
    expect(sameScreen(screen('1 line less; before #3  2 seconds ago'), screen('1 more line; before #3  2 seconds ago'), rule)).toBe(false);
    expect(sameScreen(screen('1 line less; before #3  2 seconds ago'), screen('-- INSERT --'), rule)).toBe(false);
  });
});

describe('ScreenProgram.type', () => {
  it("times the keystroke once its buffer exists: a pause in that allocation (this process's scavenge) is not the program's", async () => {
    const program = new ScreenProgram({ file: 'sh', args: ['-c', 'sleep 5'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    const from = Buffer.from.bind(Buffer) as (value: string, encoding: BufferEncoding) => Buffer;
    let allocatedAt: number | undefined;
    // The allocation stands for one that set off a scavenge: it returns later than it was called.
    const spy = vi.spyOn(Buffer, 'from').mockImplementation(((value: string, encoding: BufferEncoding) => {
      const buffer = from(value, encoding);
      allocatedAt = performance.now();
      return buffer;
    }) as typeof Buffer.from);
    try {
      const typedAt = program.type('x');
      expect(allocatedAt).toBeDefined();
      expect(typedAt).toBeGreaterThanOrEqual(allocatedAt!);
    } finally {
      spy.mockRestore();
      program.kill();
    }
  });
});
