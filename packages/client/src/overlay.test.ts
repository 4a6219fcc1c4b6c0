import { describe, expect, it } from 'vitest';
import { Renderer, blankFramebuffer, hyperlink, type Cell, type Framebuffer } from '@tsmosh/terminal';
import { fitToWindow, statusMessage, withStatusLine } from './overlay.js';
import { formatDuration, type SessionStatus } from './session.js';
import { checkUtf8Locale, localeErrorMessage } from './locale.js';

const status = (fields: Partial<SessionStatus>): SessionStatus => ({
  everHeard: true,
  connected: true,
  lastContactAgoMs: 0,
  srttMs: undefined,
  estimatedRttMs: undefined,
  localPort: undefined,
  carrier: 'udp',
  carrierSinceMs: undefined,
  tcpPort: 60001,
  ...fields,
});

describe('status line', () => {
  it('is absent while the server is in touch, and says how long it has been silent otherwise', () => {
    expect(statusMessage(status({}), 'Ctrl-^', false)).toBeUndefined();
    expect(statusMessage(status({ connected: false, lastContactAgoMs: 7_400 }), 'Ctrl-^', false)).toBe(
      'tsmosh: Last contact 7 seconds ago. [To quit: Ctrl-^ .]',
    );
    expect(statusMessage(status({ connected: false, lastContactAgoMs: 65_000 }), 'Ctrl-^', false)).toBe(
      'tsmosh: Last contact 1:05 ago. [To quit: Ctrl-^ .]',
    );
  });
  it('shows the escape commands while the escape key waits for its second key', () => {
    expect(statusMessage(status({}), 'Ctrl-^', true)).toMatch(/Commands: Ctrl-Z suspends, "\." quits/);
  });
  it('formats durations as mosh does: seconds, then M:SS, then H:MM:SS', () => {
    expect(formatDuration(1_000)).toBe('1 second');
    expect(formatDuration(59_999)).toBe('59 seconds');
    expect(formatDuration(60_000)).toBe('1:00');
    expect(formatDuration(3_661_000)).toBe('1:01:01');
  });
  it('is drawn bold and inverse across the whole top row, hiding a cursor that sits there', () => {
    const fb = withStatusLine(blankFramebuffer(20, 3), 'tsmosh: hello');
    const text = fb.lines[0]!.cells.map((c) => c.text).join('');
    expect(text).toBe('tsmosh: hello       ');
    expect(fb.lines[0]!.cells.every((c) => c.attrs === ((1 << 0) | (1 << 5)))).toBe(true);
    expect(fb.cursor.visible).toBe(false);
    expect(fb.lines[1]).toBe(blankFramebuffer(20, 3).lines[1]);
  });
});

describe('fitToWindow', () => {
  it('crops and pads to the local size and keeps the cursor inside', () => {
    const big = { ...blankFramebuffer(100, 40), cursor: { x: 99, y: 39, visible: true, style: 'block' as const, blink: true } };
    const fitted = fitToWindow(big, 80, 24);
    expect(fitted.cols).toBe(80);
    expect(fitted.rows).toBe(24);
    expect(fitted.lines.every((row) => row.cells.length === 80)).toBe(true);
    expect(fitted.cursor).toMatchObject({ x: 79, y: 23 });
    const small = fitToWindow(blankFramebuffer(10, 5), 80, 24);
    expect(small.lines.length).toBe(24);
    expect(small.lines.every((row) => row.cells.length === 80)).toBe(true);
  });
});

describe('checkUtf8Locale', () => {
  it('follows LC_ALL over LC_CTYPE over LANG, and accepts only UTF-8 character sets', () => {
    expect(checkUtf8Locale({ LANG: 'C.UTF-8' }).ok).toBe(true);
    expect(checkUtf8Locale({ LANG: 'en_US.utf8' }).ok).toBe(true);
    expect(checkUtf8Locale({ LANG: 'C' }).ok).toBe(false);
    expect(checkUtf8Locale({}).ok).toBe(false);
    expect(checkUtf8Locale({ LC_ALL: 'POSIX', LANG: 'C.UTF-8' })).toEqual({ ok: false, decidedBy: 'LC_ALL=POSIX', variable: 'LC_ALL' });
    expect(checkUtf8Locale({ LC_CTYPE: 'de_DE.UTF-8@euro', LANG: 'C' }).ok).toBe(true);
  });
  it('advises setting the variable that is in force, not LANG under an overriding LC_ALL', () => {
    expect(localeErrorMessage(checkUtf8Locale({ LC_ALL: 'C', LANG: 'C.UTF-8' }), 'tsmosh')).toMatch(
      /^tsmosh: needs a UTF-8 locale, but LC_ALL=C is not one; set LC_ALL=C\.UTF-8 or unset LC_ALL /,
    );
    expect(localeErrorMessage(checkUtf8Locale({ LC_CTYPE: 'C' }), 'tsmosh')).toMatch(/set LC_CTYPE=C\.UTF-8 or unset LC_CTYPE/);
    expect(localeErrorMessage(checkUtf8Locale({ LANG: 'C' }), 'tsmosh')).toMatch(/; set LANG=C\.UTF-8 /);
  });
});

describe('status line for the TCP carrier', () => {
  it('says for a few seconds that UDP is blocked and the session went to TCP, then gives the screen back', () => {
    expect(statusMessage(status({ carrier: 'tcp', carrierSinceMs: 100 }), 'Ctrl-^', false)).toBe('tsmosh: UDP is blocked; the session goes on over TCP port 60001.');
    expect(statusMessage(status({ carrier: 'tcp', carrierSinceMs: 10_000 }), 'Ctrl-^', false)).toBeUndefined();
    expect(statusMessage(status({ carrier: 'udp', carrierSinceMs: 100 }), 'Ctrl-^', false)).toBe('tsmosh: UDP works again; the session is back on UDP.');
  });

  it('names TCP in the silence line while on it', () => {
    expect(statusMessage(status({ carrier: 'tcp', carrierSinceMs: 60_000, connected: false, lastContactAgoMs: 7_000 }), 'Ctrl-^', false)).toBe(
      'tsmosh: Last contact 7 seconds ago (over TCP port 60001). [To quit: Ctrl-^ .]',
    );
  });
});

describe('overlays over linked cells', () => {
  const link = hyperlink('https://example.com/docs', 'd')!;
  function linkedScreen(): Framebuffer {
    const fb = blankFramebuffer(10, 3);
    const cells: Cell[] = [...'docs here!'].map((text, x) => (x < 4 ? { text, width: 1, fg: 0, bg: 0, attrs: 0, link } : { text, width: 1, fg: 0, bg: 0, attrs: 0 }));
    return { ...fb, lines: [{ cells, wrapped: false }, { cells, wrapped: false }, fb.lines[2]!] };
  }

  it('the status line hides the links under it and only those; the link comes back with the row', () => {
    const screen = linkedScreen();
    const covered = withStatusLine(screen, 'tsmosh: Last contact 7 seconds ago.');
    expect(covered.lines[0]!.cells.every((cell) => cell.link === undefined)).toBe(true);
    expect(covered.lines[1]!.cells[0]!.link).toBe(link);
    const renderer = new Renderer();
    const first = renderer.render(undefined, covered);
    expect(first.match(/\x1b\]8;id=d;https:\/\/example\.com\/docs\x1b\\/g)).toHaveLength(1);
    const back = renderer.render(covered, screen);
    expect(back).toContain('\x1b]8;id=d;https://example.com/docs\x1b\\docs\x1b]8;;\x1b\\');
  });

  it('fitting to a smaller window keeps the links of the cells that stay', () => {
    const fitted = fitToWindow(linkedScreen(), 3, 2);
    expect(fitted.lines[0]!.cells.map((cell) => cell.link)).toEqual([link, link, link]);
  });
});
