// Seeded random escape-laden byte streams through the whole chain: HeadlessMirror → snapshot → ScreenState diff →
// apply → Renderer → a second headless terminal. After every chunk the user's terminal must equal the mirror, the
// snapshot must keep the Framebuffer's structural promises, and nothing may throw.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { HeadlessMirror } from '@tsmosh/server';
import { FidelityChain } from './fidelity-chain.js';
import { framebufferProblems } from './fidelity-support.js';

const ESC = '\x1b';
const CSI = `${ESC}[`;

const int = (min: number, max: number) => fc.integer({ min, max });
const pick = <T>(...values: T[]) => fc.constantFrom(...values);

const sgrParam = fc.oneof(
  pick('0', '1', '2', '3', '4', '5', '7', '8', '9', '21', '22', '23', '24', '25', '27', '28', '29', '53', '55', '39', '49', '4:3', ''),
  int(30, 37).map(String),
  int(40, 47).map(String),
  int(90, 97).map(String),
  int(100, 107).map(String),
  int(0, 255).map((n) => `38;5;${n}`),
  int(0, 255).map((n) => `48;5;${n}`),
  fc.tuple(int(0, 255), int(0, 255), int(0, 255)).map(([r, g, b]) => `38;2;${r};${g};${b}`),
  fc.tuple(int(0, 255), int(0, 255), int(0, 255)).map(([r, g, b]) => `48:2::${r}:${g}:${b}`),
);

const text = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-zA-Z0-9 .,:;!?-]{1,30}$/) },
  { weight: 2, arbitrary: pick('宽', '字符', '😀', '⚡', '✔', '⏺', '☃', 'é', 'e\u0301', 'a\u0308\u0323', '한국어', 'x\u20dd', '─│┌┐') },
  { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 8, unit: 'grapheme' }) },
);

const control = fc.oneof(
  pick('\r\n', '\n', '\r', '\b', '\t', '\x07', `${ESC}M`, `${ESC}D`, `${ESC}E`, `${ESC}7`, `${ESC}8`, `${ESC}(0`, `${ESC}(B`, `${ESC}=`, `${ESC}>`),
  fc.array(sgrParam, { minLength: 1, maxLength: 4 }).map((ps) => `${CSI}${ps.join(';')}m`),
  fc.tuple(int(0, 30), int(0, 90)).map(([r, c]) => `${CSI}${r};${c}H`),
  fc.tuple(pick('A', 'B', 'C', 'D', 'E', 'F', 'G', 'd', '@', 'P', 'X', 'L', 'M', 'S', 'T', 'J', 'K', 'b', 'I', 'Z'), int(0, 12)).map(
    ([final, n]) => `${CSI}${n}${final}`,
  ),
  pick('0', '1', '2').map((n) => `${CSI}${n}J`),
  pick('0', '1', '2').map((n) => `${CSI}${n}K`),
  fc.tuple(int(0, 20), int(0, 26)).map(([t, b]) => `${CSI}${t};${b}r`),
  fc.tuple(pick(1, 6, 7, 25, 45, 66, 1000, 1002, 1003, 1004, 1006, 1016, 2004, 1049, 47, 1047, 2026, 12, 5, 9), pick('h', 'l')).map(
    ([mode, hl]) => `${CSI}?${mode}${hl}`,
  ),
  pick(4, 20).chain((mode) => pick('h', 'l').map((hl) => `${CSI}${mode}${hl}`)),
  int(0, 6).map((n) => `${CSI}${n} q`),
  int(0, 31).map((n) => `${CSI}>${n}u`),
  int(0, 3).map((n) => `${CSI}<${n}u`),
  fc.tuple(int(0, 31), int(1, 3)).map(([f, m]) => `${CSI}=${f};${m}u`),
  int(0, 2).map((n) => `${CSI}>4;${n}m`),
  fc.stringMatching(/^[a-zA-Z0-9 ]{0,12}$/).map((t) => `${ESC}]${t.length % 2 ? 0 : 2};${t}\x07`),
  pick('aGVsbG8=', 'd29ybGQ=', '?').map((d) => `${ESC}]52;c;${d}${ESC}\\`),
  // OSC 8 hyperlinks: opened with and without an id, ended by ST or BEL, closed, and reopened mid-run.
  fc.tuple(pick('', 'id=a', 'id=b', 'foo=1:id=a'), pick('https://example.com/', 'https://example.com/x?y=1;z', 'file:///tmp/f', 'https://例え.jp/'), pick('\x07', `${ESC}\\`)).map(
    ([params, uri, end]) => `${ESC}]8;${params};${uri}${end}`,
  ),
  pick(`${ESC}]8;;${ESC}\\`, `${ESC}]8;;\x07`),
  pick(`${CSI}c`, `${CSI}>c`, `${CSI}6n`, `${CSI}5n`, `${CSI}?2026$p`, `${CSI}?u`, `${CSI}3g`, `${ESC}H`, `${CSI}!p`),
);

/** Byte-level junk: truncated and stray escapes, invalid UTF-8, C1 bytes. */
const junk = fc.oneof(
  pick(ESC, `${ESC}[`, `${ESC}[?`, `${ESC}]`, '\x9b', '\x90', '\x00', '\x7f', '\x18', '\x1a'),
  fc.uint8Array({ minLength: 1, maxLength: 6 }),
);

const encoder = new TextEncoder();
const token = fc.oneof(
  { weight: 5, arbitrary: text.map((t) => encoder.encode(t)) },
  { weight: 5, arbitrary: control.map((t) => encoder.encode(t)) },
  { weight: 1, arbitrary: junk.map((t) => (typeof t === 'string' ? encoder.encode(t) : t)) },
);

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const scenario = fc.record({
  cols: int(2, 100),
  rows: int(1, 30),
  stream: fc.array(token, { minLength: 1, maxLength: 120 }).map(concat),
  cuts: fc.array(int(1, 64), { minLength: 1, maxLength: 12 }),
  resizeAt: fc.option(fc.tuple(int(0, 11), int(2, 100), int(1, 30)), { nil: undefined }),
});

describe('fuzz: random escape streams keep the user terminal equal to the mirror', () => {
  it('holds for 200 seeded scenarios, chunk by chunk', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async ({ cols, rows, stream, cuts, resizeAt }) => {
        const mirror = new HeadlessMirror({ cols, rows, onReply: () => {} });
        const chain = new FidelityChain(cols, rows);
        try {
          await chain.enter();
          let offset = 0;
          for (let i = 0; offset < stream.length; i++) {
            const size = cuts[i % cuts.length]!;
            await mirror.write(stream.subarray(offset, offset + size));
            offset += size;
            if (resizeAt !== undefined && resizeAt[0] === i) {
              await chain.resizeUserTerminal(resizeAt[1], resizeAt[2]);
              mirror.resize(resizeAt[1], resizeAt[2]);
            }
            const wanted = mirror.snapshot();
            expect(framebufferProblems(wanted)).toEqual([]);
            const check = await chain.step(wanted);
            expect(check.differences, `after ${offset} of ${stream.length} bytes`).toEqual([]);
          }
        } finally {
          mirror.dispose();
          chain.dispose();
        }
      }),
      { seed: 0x7e5e, numRuns: 200 },
    );
  });
});
