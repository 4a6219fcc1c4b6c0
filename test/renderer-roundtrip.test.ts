/**
 * Round trip through two real emulators, as a session runs: a program's output goes into a "remote" xterm, the
 * server's snapshotTerminal turns it into a Framebuffer, the Renderer turns successive framebuffers into bytes for a
 * "local" xterm, and snapshotTerminal of the local terminal must give back the remote screen: cells, wrap flags,
 * cursor, modes (including the keyboard protocols and reverse video the tracker records) and title.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { Terminal as XTerm } from '@xterm/headless';
import { createHeadlessTerminal, snapshotTerminal } from '@tsmosh/server';
import { Renderer, type Framebuffer } from '@tsmosh/terminal';

const open: XTerm[] = [];
afterEach(() => {
  for (const t of open.splice(0)) t.dispose();
});

/** Both ends as the daemon builds its mirror: Unicode 11 widths, blinking block cursor, tracker installed. */
function emulator(cols: number, rows: number): XTerm {
  const term = createHeadlessTerminal({ cols, rows, scrollback: 100 });
  open.push(term);
  return term;
}

const write = (term: XTerm, data: string) => new Promise<void>((resolve) => term.write(data, resolve));

/** What the user must see of `remote` on `local`, as a list of differences (empty when they agree). */
function differences(local: Framebuffer, remote: Framebuffer): string[] {
  const found: string[] = [];
  for (let y = 0; y < remote.rows; y++) {
    for (let x = 0; x < remote.cols; x++) {
      const a = local.lines[y]!.cells[x]!;
      const e = remote.lines[y]!.cells[x]!;
      if (JSON.stringify(a) !== JSON.stringify(e)) found.push(`cell (${x},${y}) ${JSON.stringify(a)} != ${JSON.stringify(e)}`);
    }
    if (y + 1 < remote.rows && local.lines[y]!.wrapped !== remote.lines[y]!.wrapped) found.push(`row ${y} wrapped ${local.lines[y]!.wrapped}`);
  }
  const { cursor: lc } = local;
  const { cursor: rc } = remote;
  if (JSON.stringify(lc) !== JSON.stringify(rc)) found.push(`cursor ${JSON.stringify(lc)} != ${JSON.stringify(rc)}`);
  if (JSON.stringify(local.modes) !== JSON.stringify(remote.modes)) found.push(`modes ${JSON.stringify(local.modes)} != ${JSON.stringify(remote.modes)}`);
  if (local.title !== remote.title) found.push(`title ${JSON.stringify(local.title)} != ${JSON.stringify(remote.title)}`);
  return found;
}

/** Feed `chunks` to a remote emulator; after each, render the new snapshot locally and compare. */
async function roundTrip(cols: number, rows: number, chunks: readonly string[]): Promise<void> {
  const remote = emulator(cols, rows);
  const local = emulator(cols, rows);
  const renderer = new Renderer();
  await write(local, renderer.enter());
  let shown: Framebuffer | undefined;
  let bells = 0;
  for (const [i, chunk] of chunks.entries()) {
    await write(remote, chunk);
    const next = snapshotTerminal(remote, shown);
    const bytes = renderer.render(shown, next);
    await write(local, bytes);
    const seen = snapshotTerminal(local);
    expect(differences(seen, next), `after chunk ${i} ${JSON.stringify(chunk)} → ${JSON.stringify(bytes)}`).toEqual([]);
    if (shown !== undefined && next.bellCount > shown.bellCount) bells++;
    expect(seen.bellCount).toBe(bells);
    shown = next;
  }
}

describe('renderer round trip: remote xterm → snapshot → Renderer → local xterm → snapshot', () => {
  it('a shell session: prompt, typing, output that scrolls, a long wrapped line', async () => {
    const lines = Array.from({ length: 30 }, (_, i) => `file-${i * 37}.txt  ${'x'.repeat(i % 11)}\r\n`);
    await roundTrip(40, 10, [
      '\x1b]2;user@host: ~\x07\x1b[1;32muser@host\x1b[0m:\x1b[1;34m~\x1b[0m$ ',
      'l',
      's',
      '\r\n',
      ...lines,
      '\x1b[1;32muser@host\x1b[0m:~$ echo ' + 'a-very-long-argument-'.repeat(4),
      '\r\n' + 'a-very-long-argument-'.repeat(4) + '\r\n$ ',
      '\x07',
    ]);
  });

  it('a full-screen program: alternate screen, scroll region with a status line, colours, modes', async () => {
    const body = (from: number) => Array.from({ length: 7 }, (_, i) => `\x1b[${i + 1};1H\x1b[38;5;${(from + i) % 256}m${from + i}: line of text ${'#'.repeat((from + i) % 13)}\x1b[K`).join('');
    await roundTrip(50, 9, [
      '\x1b[?1049h\x1b[?1h\x1b=\x1b[?2004h\x1b[?1000h\x1b[?1006h\x1b[>1u\x1b[>4;2m\x1b[6 q',
      body(0) + '\x1b[9;1H\x1b[7m status: editing \x1b[K\x1b[m',
      '\x1b[1;8r\x1b[8;1H\n' + `\x1b[8;1H\x1b[38;2;10;200;30mnew line 7 \u4e2d\u6587 e\u0301\x1b[K\x1b[r\x1b[3;5H`,
      '\x1b[1;8r\x1b[1;1H\x1bM\x1b[1;1Hinserted at top\x1b[r',
      '\x1b[?5h\x1b[?1003h\x1b[=5;1u\x1b[?25l',
      '\x1b[?1049l\x1b[?1l\x1b>\x1b[?2004l\x1b[?1000l\x1b[?1003l\x1b[?1006l\x1b[<u\x1b[>4;0m\x1b[?5l\x1b[?25h\x1b[0 q',
    ]);
  });

  it('any program output from a vocabulary of escape sequences', async () => {
    const piece = fc.oneof(
      fc.stringMatching(/^[a-z ]{1,12}$/),
      fc.constantFrom('中文', '😀', 'e\u0301', 'ß', '─│', '\u4e2d'),
      fc.constantFrom('\r\n', '\r', '\n', '\b', '\t', '\x07'),
      fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 14 })).map(([y, x]) => `\x1b[${y};${x}H`),
      fc.constantFrom('\x1b[K', '\x1b[1K', '\x1b[2K', '\x1b[J', '\x1b[2J', '\x1b[3X', '\x1b[2P', '\x1b[2@', '\x1b[L', '\x1b[M'),
      fc.constantFrom('\x1b[S', '\x1b[2S', '\x1b[T', '\x1bM', '\x1b[2;5r', '\x1b[r', '\x1b[3;6r\x1b[6;1H\n\n'),
      fc.constantFrom('\x1b[1m', '\x1b[2;3m', '\x1b[4;5;7m', '\x1b[8m', '\x1b[9;53m', '\x1b[0m', '\x1b[31m', '\x1b[94;101m', '\x1b[38;5;200m', '\x1b[48;2;1;2;3m', '\x1b[22;39;49m'),
      fc.constantFrom('\x1b[?1h', '\x1b[?1l', '\x1b=', '\x1b>', '\x1b[?2004h', '\x1b[?1002h', '\x1b[?1006h', '\x1b[?1004h', '\x1b[?1000l', '\x1b[?25l', '\x1b[?25h'),
      fc.constantFrom('\x1b[>3u', '\x1b[<u', '\x1b[>4;1m', '\x1b[?5h', '\x1b[?5l', '\x1b[4 q', '\x1b[0 q', '\x1b]2;title\x07', '\x1b]0;other\x07'),
      fc.constantFrom('x'.repeat(20), 'wrapping text that is longer than the screen is wide'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 4, max: 16 }),
        fc.integer({ min: 2, max: 9 }),
        fc.array(fc.array(piece, { minLength: 1, maxLength: 6 }).map((p) => p.join('')), { minLength: 1, maxLength: 8 }),
        async (cols, rows, chunks) => {
          await roundTrip(cols, rows, chunks);
          for (const t of open.splice(0)) t.dispose();
        },
      ),
      { numRuns: 300 },
    );
  });
});
