/**
 * A large screen over a lossy link, end to end: the real daemon runs a program in a real pty that draws a 250×70
 * screen of random 256-colour cells, and the real client (connect(), over real UDP through the netem proxy on
 * 127.0.0.1, 20 % loss and 50 ms each way) must show it. The state is a diff of ~57 fragments; before resends shared
 * their fragments (packages/protocol/src/fragment-reuse.ts) it arrived whole in 0.8^57 ≈ 3 × 10⁻⁶ of tries and the
 * client never showed it (session 24 found it by hand at 10 % loss, the screen redrawn every second:
 * test/sim/large-state.test.ts has that shape, under a manual clock).
 */
import { describe, expect, it } from 'vitest';
import { startUdpProxy } from '@tsmosh/netem/udp';
import { connect, type ClientSession } from '@tsmosh/client';
import { COLOR_PALETTE_256 } from '@tsmosh/terminal';
import { waitUntil } from '@tsmosh/testkit';
import { clientTestSuite } from './client-harness.js';

const suite = clientTestSuite();
const COLS = 250;
const ROWS = 70;

/**
 * The program: frame N (from 1) is "frame N" at the top left and bottom right, and between them cells from a generator seeded with N, a letter on a random
 * colour from the 6×6×6 cube (16..231: no palette-16 aliasing) on another, every row, every second.
 */
const PROGRAM = `
const rng = (seed) => () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed >>> 8; };
let n = 0;
const draw = () => {
  n++;
  const next = rng(n);
  let out = '\\x1b[H';
  for (let row = 0; row < ${ROWS}; row++) {
    for (let col = 0; col < ${COLS}; col++) {
      const label = 'frame ' + n;
      const end = ${COLS} - label.length;
      const ch = row === 0 && col < label.length ? label[col] : row === ${ROWS - 1} && col >= end ? label[col - end] : String.fromCharCode(97 + (next() % 26));
      out += '\\x1b[38;5;' + (16 + (next() % 216)) + ';48;5;' + (16 + (next() % 216)) + 'm' + ch;
    }
  }
  process.stdout.write(out + '\\x1b[0m');
};
process.stdout.write('\\x1b[?25l\\x1b[2J');
draw();
setInterval(process.env.REDRAW_EVERY_MS ? draw : () => {}, Number(process.env.REDRAW_EVERY_MS || 60000));
`;

/** What the program draws in frame `n`: [character, fg, bg] per cell, row by row. */
function expectedFrame(n: number): Array<[string, number, number]> {
  let seed = n;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed >>> 8;
  };
  const cells: Array<[string, number, number]> = [];
  const label = `frame ${n}`;
  for (let row = 0; row < ROWS; row++) {
    for (let col = 0; col < COLS; col++) {
      const end = COLS - label.length;
      const ch = row === 0 && col < label.length ? label[col]! : row === ROWS - 1 && col >= end ? label[col - end]! : String.fromCharCode(97 + (next() % 26));
      const fg = COLOR_PALETTE_256 | (16 + (next() % 216));
      const bg = COLOR_PALETTE_256 | (16 + (next() % 216));
      cells.push([ch, fg, bg]);
    }
  }
  return cells;
}

/**
 * The frame the client shows, when it shows one whole: the daemon sends whatever its screen holds, which may be a
 * frame half drawn over the one before (its label at the top new, at the bottom old).
 */
function shownFrame(session: ClientSession): number | undefined {
  const lines = session.screen.lines;
  const text = (row: number): string => lines[row]?.cells.map((cell) => cell.text || ' ').join('') ?? '';
  const top = /^frame (\d+)/.exec(text(0));
  const bottom = /frame (\d+)$/.exec(text(ROWS - 1));
  return top !== null && bottom !== null && top[1] === bottom[1] ? Number(top[1]) : undefined;
}

describe('a large screen over a lossy link', () => {
  it('a 250×70 screen of random colours over 20 % loss: the client shows it, cell for cell', async () => {
    const target = await suite.workspace().newSession([process.execPath, '-e', PROGRAM], ['--size', `${COLS}x${ROWS}`]);
    const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: target.port }, profile: 'loss=20%,delay=50ms', seed: 24 });
    suite.track({ kill: () => void proxy.close() });
    const session = connect({ host: proxy.address.host, port: proxy.address.port, key: target.key, cols: COLS, rows: ROWS, initialRttMs: 100 });
    suite.track({ kill: () => void session.close() });
    const seen = new Set<number>();
    let mismatch: string | undefined;
    const check = (): void => {
      const n = shownFrame(session);
      if (n === undefined || seen.has(n)) return;
      seen.add(n);
      // A state arrives whole or not at all: every cell of the frame is the program's.
      const expected = expectedFrame(n);
      const lines = session.screen.lines;
      for (let i = 0; i < expected.length && mismatch === undefined; i++) {
        const cell = lines[Math.floor(i / COLS)]!.cells[i % COLS]!;
        const [ch, fg, bg] = expected[i]!;
        if (cell.text !== ch || cell.fg !== fg || cell.bg !== bg) mismatch = `frame ${n}, cell ${i}: ${JSON.stringify([cell.text, cell.fg, cell.bg])}, drew ${JSON.stringify([ch, fg, bg])}`;
      }
    };
    session.on('screen', check);
    await waitUntil(() => seen.size >= 1 || mismatch !== undefined, 'the 250×70 screen shown whole', 30_000);
    session.off('screen', check);
    expect(mismatch).toBeUndefined();
    // The link really lost datagrams on the way to the client.
    expect(proxy.stats.down.dropped.loss).toBeGreaterThan(10); // a fifth of the first try alone
    await session.close();
  }, 60_000);

  /**
   * The finding's shape, for a real run under the bench lock (docs/benchmarks-journal.md, *Large screen states under
   * loss*): the screen redrawn every second for 30 s, the client counting the distinct frames it showed whole. Off
   * unless LARGE_SCREEN_REDRAW_LOSS names the loss (e.g. `20%`); it measures, it asserts nothing about speed.
   */
  it.runIf(process.env.LARGE_SCREEN_REDRAW_LOSS !== undefined)('the screen redrawn every second: frames shown whole in 30 s (measurement)', async () => {
    const loss = process.env.LARGE_SCREEN_REDRAW_LOSS!;
    const target = await suite.workspace().newSession(['/usr/bin/env', 'REDRAW_EVERY_MS=1000', process.execPath, '-e', PROGRAM], ['--size', `${COLS}x${ROWS}`]);
    const proxy = await startUdpProxy({ listen: { host: '127.0.0.1', port: 0 }, target: { host: '127.0.0.1', port: target.port }, profile: `loss=${loss},delay=50ms`, seed: 24 });
    suite.track({ kill: () => void proxy.close() });
    const session = connect({ host: proxy.address.host, port: proxy.address.port, key: target.key, cols: COLS, rows: ROWS, initialRttMs: 100 });
    suite.track({ kill: () => void session.close() });
    const seen: number[] = [];
    const check = (): void => {
      const n = shownFrame(session);
      if (n !== undefined && !seen.includes(n)) seen.push(n);
    };
    session.on('screen', check);
    await new Promise((resolve) => setTimeout(resolve, 30_000));
    session.off('screen', check);
    process.stdout.write(`large-screen redraw at ${loss} loss: ${seen.length} frames shown whole in 30 s: ${seen.join(' ')}\n`);
    await session.close();
  }, 60_000);
});
