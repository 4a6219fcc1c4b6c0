/**
 * A deterministic stream of mixed terminal output for the CPU measurements: what a busy session's pty produces
 * when logs, coloured tool output, full-screen apps and Unicode-heavy text alternate. Every kind of block appears
 * throughout the stream (chosen per block from a seeded random source), so any prefix has the same mix.
 */
import {
  ALT_SCREEN_OFF,
  ALT_SCREEN_ON,
  CJK_SNIPPETS,
  COMBINING_SNIPPETS,
  CSI,
  Chooser,
  EMOJI_SNIPPETS,
  NEWLINE,
  bg256,
  bgRgb,
  cup,
  decstbm,
  ed,
  el,
  fg256,
  fgRgb,
  logLine,
  sgr,
  words,
} from './escapes.js';

export interface MixedOutputShare {
  readonly kind: string;
  readonly bytes: number;
}

export interface MixedOutput {
  readonly bytes: Uint8Array;
  /** How many bytes each kind of block contributed (before the stream was cut to length). */
  readonly shares: readonly MixedOutputShare[];
}

type Block = (choose: Chooser, cols: number, rows: number, serial: number) => string;

/**
 * Kinds of output and their target shares of the stream's bytes. A plain log dominates a typical flood; the rest
 * gives every emulator path (colour modes, cursor addressing, erases, wide and combining characters, wrapping,
 * alternate screen and scroll regions) a real share, so no single path decides the figure.
 */
const BLOCKS: ReadonlyArray<{ kind: string; share: number; make: Block }> = [
  { kind: 'log lines, SGR 16 colours', share: 0.25, make: (c, _cols, _rows, serial) => Array.from({ length: c.int(5, 30) }, (_, i) => logLine(c, serial + i) + NEWLINE).join('') },
  {
    kind: 'SGR 256-colour text and backgrounds',
    share: 0.1,
    make: (c) => Array.from({ length: c.int(3, 12) }, () => Array.from({ length: c.int(4, 10) }, () => `${fg256(c.int(16, 255))}${c.chance(0.3) ? bg256(c.int(232, 255)) : ''}${words(c, c.int(1, 3))} `).join('') + sgr() + NEWLINE).join(''),
  },
  {
    kind: 'truecolour gradients',
    share: 0.1,
    make: (c, cols) => {
      let out = '';
      for (let line = c.int(2, 8); line > 0; line--) {
        const base = c.int(0, 255);
        for (let x = 0; x < cols; x++) out += `${bgRgb((base + x * 3) % 256, (x * 5) % 256, 255 - ((base + x) % 256))}${fgRgb(255, 255, (x * 7) % 256)}${c.chance(0.5) ? '▀' : ' '}`;
        out += sgr() + NEWLINE;
      }
      return out;
    },
  },
  {
    kind: 'cursor moves and overwrites (progress bars, spinners)',
    share: 0.1,
    make: (c, cols, rows) => {
      let out = '';
      for (let step = c.int(10, 40); step > 0; step--) {
        const roll = c.int(0, 4);
        if (roll === 0) out += `${cup(c.int(1, rows), c.int(1, cols))}${words(c, 1)}`;
        else if (roll === 1) out += `\r${sgr(32)}${'#'.repeat(c.int(0, Math.max(1, cols - 10)))}${sgr()} ${c.int(0, 100)}%${el()}`;
        else if (roll === 2) out += `${CSI}${c.int(1, 5)}A${CSI}${c.int(1, 20)}C${c.pick(['|', '/', '-', '\\'])}${CSI}${c.int(1, 5)}B`;
        else if (roll === 3) out += `\x1b7${cup(c.int(1, rows), 1)}${sgr(7)} ${words(c, 2)} ${sgr()}\x1b8`;
        else out += `${CSI}${c.int(1, 10)}D${CSI}${c.int(1, 10)}X`;
      }
      return out + NEWLINE;
    },
  },
  {
    kind: 'erases (EL, ED, ECH) and line insert/delete',
    share: 0.05,
    make: (c, cols, rows) => {
      let out = '';
      for (let step = c.int(4, 12); step > 0; step--) {
        out += cup(c.int(1, rows), c.int(1, cols));
        out += c.pick([el(0), el(1), el(2), ed(0), `${CSI}${c.int(1, 3)}L`, `${CSI}${c.int(1, 3)}M`, `${CSI}${c.int(1, 30)}X`]);
        out += words(c, c.int(0, 3));
      }
      return out + cup(rows, 1) + NEWLINE;
    },
  },
  {
    kind: 'CJK, emoji and combining marks',
    share: 0.15,
    make: (c) => Array.from({ length: c.int(3, 15) }, () => Array.from({ length: c.int(3, 9) }, () => c.pick([c.pick(CJK_SNIPPETS), c.pick(EMOJI_SNIPPETS), c.pick(COMBINING_SNIPPETS), words(c, 1)])).join(' ') + NEWLINE).join(''),
  },
  {
    kind: 'long lines (wrapping over several rows)',
    share: 0.1,
    make: (c) => `${sgr(c.int(31, 37))}${words(c, c.int(40, 300))}${sgr()}${NEWLINE}`,
  },
  {
    kind: 'full-screen app redraws (alternate screen, scroll region)',
    share: 0.15,
    make: (c, cols, rows) => {
      let out = `${ALT_SCREEN_ON}${cup(1, 1)}${ed(2)}${decstbm(2, rows - 1)}`;
      for (let row = 1; row <= rows; row++) out += `${cup(row, 1)}${row === 1 || row === rows ? sgr(7) : fg256(c.int(16, 231))}${words(c, Math.ceil(cols / 8)).slice(0, cols)}${sgr()}${el()}`;
      for (let scroll = c.int(0, 10); scroll > 0; scroll--) out += `${cup(rows - 1, 1)}\n${words(c, 4)}`;
      return `${out}${decstbm()}${c.chance(0.5) ? ALT_SCREEN_OFF : ''}`;
    },
  },
];


/** `length` bytes of mixed output for a `cols`×`rows` screen, the same for the same arguments everywhere. */
export function mixedOutput(length: number, cols: number, rows: number, seed: number): MixedOutput {
  const choose = new Chooser(seed);
  const encoder = new TextEncoder();
  const shares = new Map<string, number>(BLOCKS.map((block) => [block.kind, 0]));
  const out = new Uint8Array(length);
  let used = 0;
  let serial = 0;
  let produced = 0;
  while (used < length) {
    // The next block is of the kind furthest below its share so far, so the mix holds in every part of the stream.
    let block = BLOCKS[0]!;
    let largestDeficit = -Infinity;
    for (const candidate of BLOCKS) {
      const deficit = candidate.share * (produced + 1) - shares.get(candidate.kind)!;
      if (deficit > largestDeficit) [block, largestDeficit] = [candidate, deficit];
    }
    const bytes = encoder.encode(block.make(choose, cols, rows, serial++));
    shares.set(block.kind, shares.get(block.kind)! + bytes.length);
    produced += bytes.length;
    const take = Math.min(bytes.length, length - used);
    out.set(bytes.subarray(0, take), used);
    used += take;
  }
  return { bytes: out, shares: [...shares].map(([kind, bytes]) => ({ kind, bytes })) };
}
