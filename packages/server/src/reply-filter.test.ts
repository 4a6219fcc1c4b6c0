import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeadlessMirror } from './headless-mirror.js';
import { isSafeReply } from './reply-filter.js';

describe('isSafeReply', () => {
  it("passes the answers @xterm/headless gives to a program's queries, and XTVERSION's passed-through name", () => {
    for (const reply of ['\x1b[?1;2c', '\x1b[>0;276;0c', '\x1b[2;5R', '\x1b[0n', '\x1b[?2026;2$y', '\x1b[?0u', '\x1bP1$r0m\x1b\\', '\x1bP1$r2 q\x1b\\', '\x1bP0$r\x1b\\', '\x1b]10;rgb:ffff/ffff/ffff\x1b\\', '\x1b[?1;2c\x1b[0n', '\x1bP>|kitty(0.39.1)\x1b\\\x1b[?0u\x1b[?1;2c']) {
      expect(isSafeReply(reply), JSON.stringify(reply)).toBe(true);
    }
  });

  it('refuses anything that could carry what a program printed: titles, text, line ends, other controls', () => {
    for (const reply of ['\x1b]l rm -rf ~\x1b\\', '\x1b]Lowned\x1b\\', '\x1bP1$rrm -rf ~\r\x1b\\', 'echo hi\r', '\x1b[2;5R\r', '\x1b]52;c;ZWNobyBoaQ==\x07', '\x1b[?1;2c\n', '\x1b', '']) {
      expect(isSafeReply(reply), JSON.stringify(reply)).toBe(false);
    }
    expect(isSafeReply('\x1b[0n'.repeat(300))).toBe(false);
  });

  it('never passes a reply with a byte outside printable ASCII other than the ESC, BEL and ST framing', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (text) => {
        if (!isSafeReply(text)) return;
        expect(text.replace(/\x1b|\x07/g, '')).toMatch(/^[\x20-\x7e]*$/);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('the mirror answering hostile queries', () => {
  it("gives the program only filtered answers, none carrying the query's own bytes", async () => {
    const replies: string[] = [];
    const mirror = new HeadlessMirror({ cols: 40, rows: 5, onReply: (reply) => replies.push(reply) });
    const hostile = [
      '\x1bP$qrm -rf ~\r\x1b\\', // DECRQSS of a nonsense setting that is a command
      '\x1bP$qm\x1b\\', // DECRQSS of SGR
      '\x1b[21t', // title report (xterm's CVE-2003-0063)
      '\x1b[20t', // icon title report
      '\x1b[14t\x1b[18t', // window size reports
      '\x1b]52;c;?\x07', // clipboard read
      '\x1b]10;?\x07\x1b]11;?\x1b\\', // colour queries
      '\x1b[6n\x1b[c\x1b[>c\x1b[?u',
    ];
    await mirror.write(new TextEncoder().encode(`\x1b]2;echo owned\r\x07${hostile.join('')}`));
    expect(replies.length).toBeGreaterThan(0);
    for (const reply of replies) {
      expect(isSafeReply(reply), JSON.stringify(reply)).toBe(true);
      expect(reply).not.toMatch(/rm|owned|echo|[\r\n]/);
    }
    mirror.dispose();
  });
});
