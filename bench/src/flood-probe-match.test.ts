import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROMPT, lineThenPrompt, promptAfterCtrlC } from './flood-probe-match.js';

// Pieces of what a tsmosh client wrote in flood-probe runs (session 21): the predicted echo of the command, word by
// word between underline sequences, and a repaint of the screen ending in the prompt.
const ECHO = (n: number): string => `\x1b[4mseq\x1b[m \x1b[4m1\x1b[m \x1b[4m${n}`;
const REPAINT = (last: number): string => `\x1b[?25l\x1b[r\x1b[m\x1b[1H\x1b[2K\x1b[H${last - 2}\x1b[2H${last - 1}\r\x1b[B${last}\r\x1b[B${PROMPT}`;

describe('lineThenPrompt', () => {
  it("finds the flood's last line with the prompt after it", () => {
    expect(lineThenPrompt('300002')(`${ECHO(300002)}\r\n1\r\n2\r\n${REPAINT(300002)}\x1b[?25h`)).toBe(true);
  });

  it("is not fooled by the command's echo followed by its line in the history", () => {
    // A first try's false finish (226 ms): the server's echo, then the history writer's copy of the command line.
    expect(lineThenPrompt('300000')(`\x1b[?2004lseq 1 300000\x1b[2H\x1b[?25l\x1b[r\x1b[m\x1b[1H${PROMPT}seq 1 300000\x1b[K\x1b[2H1\x1b[K`)).toBe(false);
  });

  it("is not fooled by the command's echo and the previous flood's repaint drawn after it (its history still being written)", () => {
    // The false finishes of 20-115 ms: the next flood typed while the last one's history was still being written.
    expect(lineThenPrompt('300002')(`${ECHO(300002)}\x1b[1H293563\x1b[K\x1b[9999;1H\x1bD${REPAINT(300001)}${ECHO(300002)}\x1b[?25h`)).toBe(false);
  });

  it("is not fooled by a tag inside a longer word, nor by the command's echo with its output after it", () => {
    expect(lineThenPrompt('DONE1')(`DONE10\r\n${PROMPT}`)).toBe(false);
    expect(lineThenPrompt('DONE0')(`echo DONE0\r\nDONE0\r\n${PROMPT}`)).toBe(true);
    expect(lineThenPrompt('DONE0')(`${PROMPT}true; echo DONE0\r\nsome output\r\n`)).toBe(false);
  });

  it('holds across any control sequences between the line and the prompt, and fails with any printable character there', () => {
    const control = fc.constantFrom('\r', '\n', '\b', '\x1b[B', '\x1b[24;1H', '\x1b[?25l', '\x1b[m', '\x1b[1;4:3m', '\x1bD', '\x1b>', '\x1b]0;title\x07', '\x1b]8;;\x1b\\');
    fc.assert(
      fc.property(fc.array(control, { maxLength: 8 }), fc.array(control, { maxLength: 8 }), fc.constantFrom('x', '7', ' ', '$'), (before, after, printable) => {
        expect(lineThenPrompt('300000')(`299999\r\n300000${before.join('')}${PROMPT}`)).toBe(true);
        expect(lineThenPrompt('300000')(`299999\r\n300000${before.join('')}${printable}${after.join('')}${PROMPT}`)).toBe(false);
        // After the prompt: more control sequences (or the history going on after them) but no text of its own.
        expect(lineThenPrompt('300000')(`299999\r\n300000\r\n${PROMPT}\x1b[?25h${after.join('')}1`)).toBe(true);
        expect(lineThenPrompt('300000')(`299999\r\n300000\r\n${PROMPT}\x1b[m${printable}`)).toBe(false);
      }),
    );
  });
});

describe('promptAfterCtrlC', () => {
  it('finds the prompt after the ^C drawn over the line it stopped', () => {
    expect(promptAfterCtrlC(`1874187\r\x1b[B1874188\r\x1b[B^C74189\r\x1b[B${PROMPT}\x1b[?25h`)).toBe(true);
  });

  it("is not fooled by the flood's own command line in its history, nor by a prompt before the ^C", () => {
    expect(promptAfterCtrlC(`${PROMPT}seq 1 1000000000\r\n1\r\n2\r\n`)).toBe(false);
    expect(promptAfterCtrlC(`^C\r\n${PROMPT}\x1b[mseq 1 1000000000\r\n`)).toBe(false);
    expect(promptAfterCtrlC(`${PROMPT}\r\n12^C`)).toBe(false);
  });
});
