/**
 * Underline styles (SGR 4:N, 21) and underline colour (SGR 58/59) end to end, as a user runs tsmosh: `tsmosh --local`
 * in a real pty, a program printing them (as Neovim draws its LSP diagnostics: undercurl in a colour, terminfo
 * Smulx/Setulc), and the client's output drawn into a headless xterm standing for the user's terminal. Each cell
 * must show the same underline style and colour as the program's own output drawn straight into a terminal. Before,
 * the framebuffer kept one underline bit: every one of them arrived as a plain underline in the text's colour.
 */
import { describe, expect, it } from 'vitest';
import { COLOR_PALETTE_256, COLOR_RGB, UnderlineStyle, screenLines, underlineStyleOf, type Framebuffer } from '@tsmosh/terminal';
import { createTestTerminal, readFramebuffer } from '../packages/terminal/src/xterm-readback.test-helpers.js';
import { PtyProgram, READY, TSMOSH_BIN, clientTestSuite } from './client-harness.js';
import { findText } from './fidelity-support.js';

const suite = clientTestSuite();

/** Every style and colour form: the lead's `printf` first, then Neovim's forms, 21, 256 colours, 59 and 24. */
const LINES = [
  '\x1b[4:3mcurly\x1b[0m \x1b[58:2::255:0:0m\x1b[4mred underline\x1b[0m',
  '\x1b[4:3m\x1b[58:2::0:128:255mundercurl blue\x1b[0m \x1b[21mdouble\x1b[24m \x1b[4:2mdouble too\x1b[0m',
  '\x1b[4:4;58:5:196mdotted 196\x1b[4:5mdashed\x1b[59m default\x1b[4:0m off \x1b[58;2;0;255;0;4mgreen\x1b[0m',
];
const COLS = 60;
const ROWS = 8;


/** The rendition of each cell of row `y` from `x` on, for `length` cells: what an underline looks like. */
function renditions(fb: Framebuffer, x: number, y: number, length: number): string[] {
  return fb.lines[y]!.cells.slice(x, x + length).map((cell) => JSON.stringify({ text: cell.text, fg: cell.fg, bg: cell.bg, attrs: cell.attrs, underlineColor: cell.underlineColor }));
}

describe('underline styles and colour through tsmosh --local', () => {
  it('a program printing SGR 4:N, 21, 58 and 59: the user sees each cell as the program drew it', async () => {
    const direct = createTestTerminal(COLS, ROWS);
    try {
      await direct.write(LINES.join('\r\n') + '\r\n');
      const expected = direct.read();
      // The program's own output holds what the test is about (so it cannot pass on a terminal that ignored them).
      const [curlyX, curlyY] = findText(expected, 'curly');
      expect(underlineStyleOf(expected.lines[curlyY]!.cells[curlyX]!.attrs)).toBe(UnderlineStyle.Curly);
      const [redX, redY] = findText(expected, 'red underline');
      expect(expected.lines[redY]!.cells[redX]!.underlineColor).toBe(COLOR_RGB | 0xff0000);
      const [dottedX, dottedY] = findText(expected, 'dotted 196');
      expect(expected.lines[dottedY]!.cells[dottedX]!.underlineColor).toBe(COLOR_PALETTE_256 | 196);

      const printf = LINES.map((line) => line.replaceAll('\x1b', '\\033')).join('\\n') + '\\n';
      const client = suite.track(
        new PtyProgram({
          args: [TSMOSH_BIN, '--local', '--predict=never', '--', 'sh', '-c', `printf '${printf}'; echo ${READY}; exec cat`],
          env: suite.workspace().env,
          cols: COLS,
          rows: ROWS,
        }),
      );
      await client.waitForText(READY);
      await client.screen(); // every byte written so far parsed
      const shown = readFramebuffer(client.terminal, '', 0);
      for (let i = 0; i < LINES.length; i++) {
        const text = screenLines(expected)[i]!;
        const [x, y] = findText(shown, text);
        expect(renditions(shown, x, y, text.length), `line ${i}: ${text}`).toEqual(renditions(expected, 0, i, text.length));
      }
      // Only the program's forms went out: plain 4 for a single underline, the colon forms for the rest.
      expect(client.raw).toContain('4:3');
      expect(client.raw).toContain('58:2::255:0:0');
      client.type('\x1e.');
      await client.waitForExit();
    } finally {
      direct.dispose();
    }
  });
});
