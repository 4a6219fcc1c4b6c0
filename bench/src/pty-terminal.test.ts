import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { PtyTerminal } from './pty-terminal.js';

describe('PtyTerminal.onParsed', () => {
  it('gives each parsed chunk the moment it came out of the pty, before the parser ran, in order', async () => {
    const script = "printf 'one'; sleep 0.2; printf ' two'; sleep 0.2; printf ' three'; sleep 5";
    const terminal = new PtyTerminal({ file: 'sh', args: ['-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cols: 40, rows: 5, answerQueries: false });
    try {
      const outputAt: number[] = [];
      const parsed: Array<{ arrivedAt: number; runAt: number; text: string }> = [];
      terminal.onOutput(() => outputAt.push(performance.now()));
      const done = new Promise<void>((resolve) =>
        terminal.onParsed((arrivedAt) => {
          const text = terminal.visibleRows()[0]!;
          parsed.push({ arrivedAt, runAt: performance.now(), text });
          if (text === 'one two three') resolve();
        }),
      );
      await done;
      expect(parsed.length).toBe(outputAt.length);
      parsed.forEach((chunk, i) => {
        // Taken as the chunk arrived (no later than the output listeners, which run as it arrives), not as it was parsed.
        expect(chunk.arrivedAt).toBeLessThanOrEqual(outputAt[i]!);
        expect(chunk.arrivedAt).toBeLessThanOrEqual(chunk.runAt);
        if (i > 0) expect(chunk.arrivedAt).toBeGreaterThan(parsed[i - 1]!.arrivedAt);
      });
    } finally {
      terminal.kill();
    }
  });
});

describe('PtyTerminal.write', () => {
  it('delivers every byte in order, also when the pty takes less than it is given (a paste beyond its buffer)', async () => {
    // Raw mode, no echo: the program reads exactly what was typed and prints its hash.
    const total = 300_000;
    const script = `stty raw -echo; head -c ${total} | sha256sum; sleep 5`;
    const terminal = new PtyTerminal({ file: 'sh', args: ['-c', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cols: 100, rows: 5, answerQueries: false });
    try {
      await new Promise((r) => setTimeout(r, 300)); // stty first, or the line discipline would edit the bytes
      const pieces: string[] = [];
      for (let i = 0; pieces.join('').length < total; i++) pieces.push(String.fromCharCode(97 + (i % 26)).repeat(1000 + ((i * 37) % 3000)));
      const text = pieces.join('').slice(0, total);
      for (let at = 0; at < total; ) {
        const size = Math.min(total - at, 1000 + ((at * 7) % 9000));
        terminal.write(text.slice(at, at + size));
        at += size;
      }
      // The pty's buffer holds a few KB: most of it is still waiting here, so the retry path is what delivers it.
      expect((terminal as unknown as { unwritten: unknown[] }).unwritten.length).toBeGreaterThan(0);
      const expected = createHash('sha256').update(text).digest('hex');
      let shown = '';
      for (let i = 0; i < 200 && !shown.includes(expected); i++) {
        await new Promise((r) => setTimeout(r, 50));
        await terminal.parsed();
        shown = terminal.visibleRows().join('');
      }
      expect(shown).toContain(expected);
    } finally {
      terminal.kill();
    }
  });
});

describe('PtyTerminal.write after the program is gone', () => {
  it('drops the bytes without a word: the pty descriptor is closed, and its number may be another file\'s', async () => {
    const terminal = new PtyTerminal({ file: 'sh', args: ['-c', 'exit 0'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, cols: 40, rows: 5, answerQueries: false });
    await terminal.exited;
    expect(() => terminal.write('late keys')).not.toThrow();
    expect((terminal as unknown as { unwritten: unknown[] }).unwritten.length).toBe(0);
  });
});
