/**
 * Fast scrolling output through the real client in a real pty: the client's tty keeps output post-processing on
 * (Node's raw mode leaves OPOST and ONLCR set), so every byte the renderer writes passes through LF → CR LF. A
 * renderer that moved down or scrolled with a bare LF lost its column there and painted rows two cells off (found
 * by the benchmark: `seq 1 300000` ended with rows like 997916 where 299979 belonged).
 */
import { describe, expect, it } from 'vitest';
import { PtyProgram, TSMOSH_BIN, clientTestSuite } from './client-harness.js';

const suite = clientTestSuite();

describe('scrolling output through tsmosh --local', () => {
  it('ends seq 1 300000 with exactly the last screenful, in order', async () => {
    const t = suite.track(new PtyProgram({ args: [TSMOSH_BIN, '--local', '--predict=never', '--', 'bash', '--norc', '--noprofile'], env: suite.workspace().env }));
    await t.waitForText('$');
    t.type('seq 1 300000; echo seq-done\r');
    const lines = await t.waitFor('the end of the output and the prompt', (screen) => screen.includes('seq-done') && screen.at(-1) !== undefined && screen.some((line) => line === '300000'));
    const numbers = lines.filter((line) => /^\d+$/.test(line)).map(Number);
    expect(numbers.length).toBeGreaterThanOrEqual(20);
    expect(numbers.at(-1)).toBe(300000);
    numbers.forEach((value, index) => expect(value).toBe(300000 - (numbers.length - 1) + index));
    t.type('\x1e.');
    expect((await t.waitForExit()).exitCode).toBe(0);
  });
});
