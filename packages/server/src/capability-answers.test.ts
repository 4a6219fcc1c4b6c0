import { describe, expect, it } from 'vitest';
import { HeadlessMirror } from './headless-mirror.js';
import { isSafeReply } from './reply-filter.js';
import { passedThroughVersion, xtversionAnswer } from './capability-answers.js';

const utf8 = new TextEncoder();
const KITTY = { kittyKeyboard: true, synchronizedOutput: true, version: 'kitty(0.39.1)' };
const PLAIN = { kittyKeyboard: false, synchronizedOutput: false, version: '' };

async function answers(queries: string, client?: typeof KITTY, before = ''): Promise<string> {
  const replies: string[] = [];
  const mirror = new HeadlessMirror({ cols: 40, rows: 5, onReply: (reply) => replies.push(reply) });
  if (before !== '') await mirror.write(utf8.encode(before));
  replies.length = 0;
  if (client !== undefined) mirror.setClientTerminal(client);
  await mirror.write(utf8.encode(queries));
  mirror.dispose();
  return replies.join('');
}

describe("the mirror's answers to capability queries", () => {
  it('before any client reported its terminal: no XTVERSION (never invented), the kitty flags as before', async () => {
    expect(await answers('\x1b[>0q\x1b[>q\x1b[?u\x1b[c')).toBe('\x1b[?0u\x1b[?1;2c');
  });

  it("passes the local terminal's XTVERSION through, in order with the other answers", async () => {
    expect(await answers('\x1b[c\x1b[>0q\x1b[?u\x1b[?2026$p', KITTY)).toBe('\x1b[?1;2c\x1bP>|kitty(0.39.1)\x1b\\\x1b[?0u\x1b[?2026;2$y');
    // tmux asks with no parameter; another Ps asks something else, unanswered as xterm.js does.
    expect(await answers('\x1b[>q', KITTY)).toBe(xtversionAnswer('kitty(0.39.1)'));
    expect(await answers('\x1b[>1q', KITTY)).toBe('');
  });

  it('passes no name that makes programs use what the mirror lacks (iTerm2 and mintty: tmux turns on left/right margins)', async () => {
    expect(await answers('\x1b[>0q\x1b[c', { ...KITTY, version: 'iTerm2 3.5.0' })).toBe('\x1b[?1;2c');
    expect(await answers('\x1b[>q', { ...KITTY, version: 'mintty 3.7.0' })).toBe('');
    for (const version of ['kitty(0.39.1)', 'WezTerm 20240203-110809-5046fc22', 'ghostty 1.2.0', 'foot(1.16.2)', 'XTerm(390)', 'tmux 3.4']) {
      expect(passedThroughVersion(version), version).toBe(version);
    }
  });

  it('answers the kitty flags the program pushed only when the local terminal speaks the protocol', async () => {
    expect(await answers('\x1b[?u', KITTY, '\x1b[>5u')).toBe('\x1b[?5u');
    // A terminal without it: no answer, which is how a program tells (the DA1 after it is still answered).
    expect(await answers('\x1b[?u\x1b[c', PLAIN, '\x1b[>5u')).toBe('\x1b[?1;2c');
    expect(await answers('\x1b[>0q', PLAIN)).toBe('');
  });

  it('keeps the answers about tsmosh itself: DECRQM 2026 and the key modes, DA1, DA2', async () => {
    expect(await answers('\x1b[?2026$p\x1b[?1$p\x1b[?66$p\x1b[?2004$p', PLAIN, '\x1b[?1h\x1b[?2004h')).toBe('\x1b[?2026;2$y\x1b[?1;1$y\x1b[?66;2$y\x1b[?2004;1$y');
    expect(await answers('\x1b[c\x1b[>c', KITTY)).toBe('\x1b[?1;2c\x1b[>0;276;0c');
  });

  it('every answer passes the reply filter, and the filter still refuses a forged version with controls', async () => {
    const all = await answers('\x1b[c\x1b[>c\x1b[>0q\x1b[?u\x1b[?2026$p\x1b[6n', { ...KITTY, version: 'WezTerm 20240203-110809-5046fc22' });
    expect(all).toContain('\x1bP>|WezTerm 20240203-110809-5046fc22\x1b\\');
    expect(isSafeReply(all)).toBe(true);
    expect(isSafeReply('\x1bP>|a\rb\x1b\\')).toBe(false);
    expect(isSafeReply(`\x1bP>|${'v'.repeat(129)}\x1b\\`)).toBe(false);
  });

  it('a new report replaces the old one (another terminal took the session over)', async () => {
    const replies: string[] = [];
    const mirror = new HeadlessMirror({ cols: 40, rows: 5, onReply: (reply) => replies.push(reply) });
    mirror.setClientTerminal(KITTY);
    await mirror.write(utf8.encode('\x1b[>0q'));
    mirror.setClientTerminal({ ...PLAIN, version: 'XTerm(390)' });
    await mirror.write(utf8.encode('\x1b[>0q\x1b[?u'));
    expect(replies).toEqual([xtversionAnswer('kitty(0.39.1)'), xtversionAnswer('XTerm(390)')]);
    mirror.dispose();
  });
});
