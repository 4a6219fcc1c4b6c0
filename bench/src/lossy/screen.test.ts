import { describe, expect, it } from 'vitest';
import { ScreenProgram } from './screen.js';

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
