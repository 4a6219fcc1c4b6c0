import { describe, expect, it } from 'vitest';
import { ScreenProgram } from './screen.js';
import { typeSetup } from './replay.js';

/**
 * A program in raw mode that echoes what it reads and lists each read, in order, on the last row once it has read
 * `total` bytes: what reached it in one piece and what came separately. READY on row 23 once its terminal is raw (the
 * line discipline no longer echoes).
 */
function readLogger(total: number): ScreenProgram {
  const script = `
    process.stdin.setRawMode(true);
    const reads = [];
    let seen = 0;
    process.stdin.on('data', (chunk) => {
      const text = chunk.toString('latin1');
      reads.push(text);
      seen += chunk.length;
      process.stdout.write(text.replace(/\\r/g, ''));
      if (seen >= ${total}) process.stdout.write('\\x1b[24;1HREADS ' + JSON.stringify(reads));
    });
    process.stdout.write('\\x1b[23;1HREADY\\x1b[1;1H');`;
  return new ScreenProgram({ file: process.execPath, args: ['-e', script], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
}

describe('typeSetup', () => {
  it("types the set-up line's first key alone and the rest only once that key shows", async () => {
    const setup = 'clear; echo "tsmosh bench: shell"\r';
    const program = readLogger(setup.length);
    try {
      expect(await program.waitFor((screen) => screen.rows[22] === 'READY', 10_000)).toBeDefined();
      await typeSetup(program, setup);
      const done = await program.waitFor((screen) => screen.rows[23]!.startsWith('READS '), 10_000);
      expect(done).toBeDefined();
      const reads = JSON.parse(program.snapshot().rows[23]!.slice('READS '.length)) as string[];
      // The program echoed 'c' before it could read anything else: the rest was typed after the echo showed.
      expect(reads[0]).toBe('c');
      expect(reads.join('')).toBe(setup);
    } finally {
      program.kill();
    }
  });

  it('types a one-key set-up (vim trace: Ctrl-L) or one starting with a control key whole', async () => {
    const program = readLogger(3);
    try {
      expect(await program.waitFor((screen) => screen.rows[22] === 'READY', 10_000)).toBeDefined();
      await typeSetup(program, '\x1b[A');
      const done = await program.waitFor((screen) => screen.rows[23]!.startsWith('READS '), 10_000);
      expect(done).toBeDefined();
      expect(JSON.parse(program.snapshot().rows[23]!.slice('READS '.length))).toEqual(['\x1b[A']);
    } finally {
      program.kill();
    }
  });
});
