/**
 * Small, deterministic building blocks for the terminal output the screen-costs benchmark feeds to the real
 * emulator (@xterm/headless through the server's HeadlessMirror): escape sequences by name, a seeded chooser, and
 * the text vocabularies (log lines, source code, CJK, emoji) the generated programs print.
 */
import { SeededRandom } from '@tsmosh/netem';

export const ESC = '\x1b';
export const CSI = '\x1b[';

/** Select Graphic Rendition with the given parameters (`sgr()` alone resets). */
export const sgr = (...params: Array<number | string>): string => `${CSI}${params.join(';')}m`;
/** Cursor position, 1-based as on the wire. */
export const cup = (row: number, col: number): string => `${CSI}${row};${col}H`;
export const fg256 = (index: number): string => sgr(38, 5, index);
export const bg256 = (index: number): string => sgr(48, 5, index);
export const fgRgb = (r: number, g: number, b: number): string => sgr(38, 2, r, g, b);
export const bgRgb = (r: number, g: number, b: number): string => sgr(48, 2, r, g, b);
/** Erase in line (0: to the end, 1: to the start, 2: whole line). */
export const el = (mode: 0 | 1 | 2 = 0): string => `${CSI}${mode === 0 ? '' : mode}K`;
/** Erase in display (0: below, 1: above, 2: all). */
export const ed = (mode: 0 | 1 | 2 = 0): string => `${CSI}${mode === 0 ? '' : mode}J`;
/** Set the scrolling region (1-based, inclusive); no arguments resets it to the whole screen. */
export const decstbm = (top?: number, bottom?: number): string => (top === undefined ? `${CSI}r` : `${CSI}${top};${bottom}r`);
export const ALT_SCREEN_ON = `${CSI}?1049h`;
export const ALT_SCREEN_OFF = `${CSI}?1049l`;
export const CURSOR_HIDE = `${CSI}?25l`;
export const CURSOR_SHOW = `${CSI}?25h`;
/** A program's line ending as a tty delivers it (ONLCR turns LF into CR LF). */
export const NEWLINE = '\r\n';

/** A seeded chooser over SeededRandom, so every generated stream is the same on every run and machine. */
export class Chooser {
  private readonly random: SeededRandom;
  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }
  /** An integer in [low, high], inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor(this.random.nextFloat() * (high - low + 1));
  }
  chance(probability: number): boolean {
    return this.random.nextFloat() < probability;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random.nextFloat() * items.length)]!;
  }
}

const WORDS = [
  'request', 'handler', 'session', 'frame', 'buffer', 'socket', 'worker', 'cache', 'index', 'commit', 'retry', 'timeout',
  'deploy', 'render', 'client', 'server', 'upload', 'queue', 'shard', 'lease', 'token', 'schema', 'column', 'batch',
];
const LEVELS: ReadonlyArray<{ name: string; color: string }> = [
  { name: 'INFO ', color: sgr(32) },
  { name: 'DEBUG', color: sgr(90) },
  { name: 'WARN ', color: sgr(1, 33) },
  { name: 'ERROR', color: sgr(1, 31) },
];

export function words(choose: Chooser, count: number): string {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(choose.pick(WORDS));
  return out.join(' ');
}

/** One line of a typical service log: timestamp, coloured level, component, message (about 70–130 columns). */
export function logLine(choose: Chooser, index: number): string {
  const level = choose.chance(0.85) ? LEVELS[0]! : choose.pick(LEVELS);
  const seconds = 1000 + index * 0.137;
  const stamp = `2026-11-24T07:${String(Math.floor(seconds / 60) % 60).padStart(2, '0')}:${(seconds % 60).toFixed(3).padStart(6, '0')}Z`;
  const component = `[worker-${choose.int(1, 8)}]`;
  const tail = choose.chance(0.5)
    ? `GET /api/items/${choose.int(1, 99999)} ${choose.pick(['200', '200', '200', '304', '404', '500'])} ${choose.int(1, 900)}ms`
    : words(choose, choose.int(3, 12));
  return `${sgr(2)}${stamp}${sgr()} ${level.color}${level.name}${sgr()} ${sgr(36)}${component}${sgr()} ${tail}`;
}

const KEYWORDS = ['const', 'let', 'return', 'if', 'for', 'export', 'function', 'await', 'new', 'import'];
const IDENTIFIERS = ['framebuffer', 'renderer', 'previous', 'next', 'cells', 'row', 'cursor', 'modes', 'diff', 'state', 'cols', 'rows'];

/** One line of TypeScript-looking source: indentation, keywords, identifiers, a string or a comment. */
export function sourceLine(choose: Chooser): { text: string; kind: 'code' | 'comment' | 'blank' } {
  const roll = choose.int(0, 9);
  if (roll === 0) return { text: '', kind: 'blank' };
  const indent = ' '.repeat(2 * choose.int(0, 4));
  if (roll === 1) return { text: `${indent}// ${words(choose, choose.int(3, 9))}`, kind: 'comment' };
  const parts = [choose.pick(KEYWORDS), choose.pick(IDENTIFIERS)];
  for (let i = choose.int(1, 5); i > 0; i--) parts.push(choose.chance(0.2) ? `'${words(choose, 2)}'` : `${choose.pick(IDENTIFIERS)}.${choose.pick(IDENTIFIERS)}`);
  return { text: `${indent}${parts.join(' ')};`, kind: 'code' };
}

/** vim's default colour scheme for that line, as vim 9 paints it in a 256-colour terminal. */
export function highlightSource(line: { text: string; kind: 'code' | 'comment' | 'blank' }): string {
  if (line.kind === 'blank') return '';
  if (line.kind === 'comment') return `${fg256(14)}${line.text}${sgr()}`;
  return line.text
    .split(/(\s+|'[^']*')/)
    .map((token) => {
      if (KEYWORDS.includes(token)) return `${fg256(130)}${token}${sgr()}`;
      if (token.startsWith("'")) return `${fg256(161)}${token}${sgr()}`;
      return token;
    })
    .join('');
}

export const CJK_SNIPPETS = ['日本語のテキスト', '中文字符测试', '한국어 문장', '東京都渋谷区', '表示幅の確認'];
/** Emoji that exercise width 2, skin-tone modifiers, ZWJ sequences, flags and variation selectors. */
export const EMOJI_SNIPPETS = ['😀', '🚀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '❤️', '✅', '🔥'];
/** Text with combining marks (a base character followed by marks of width 0). */
export const COMBINING_SNIPPETS = ['e\u0301te\u0301', 'n\u0303o', 'a\u0308\u0304'];
