// Shared by the fidelity tests: reading Framebuffers as text and describing colours/attributes by name, so
// expectations and failure messages stay readable.
import {
  rowText as rowTextOf,
  screenLines,
  COLOR_DEFAULT,
  COLOR_MODE_MASK,
  COLOR_PALETTE_16,
  COLOR_PALETTE_256,
  COLOR_RGB,
  COLOR_VALUE_MASK,
  cellsEqual,
  cursorsEqual,
  underlineStyleOf,
  modesEqual,
  type Cell,
  type Color,
  type Framebuffer,
} from '@tsmosh/terminal';

export const ATTR_NAMES = ['bold', 'dim', 'italic', 'underline', 'blink', 'inverse', 'invisible', 'strikethrough', 'overline'] as const;

export function colorName(color: Color): string {
  const value = color & COLOR_VALUE_MASK;
  switch (color & COLOR_MODE_MASK) {
    case COLOR_DEFAULT:
      return 'default';
    case COLOR_PALETTE_16:
      return `p16:${value}`;
    case COLOR_PALETTE_256:
      return `p256:${value}`;
    case COLOR_RGB:
      return `rgb:${value.toString(16).padStart(6, '0')}`;
    default:
      return `invalid:${color}`;
  }
}

export function attrNames(attrs: number): string[] {
  return ATTR_NAMES.filter((_, bit) => (attrs & (1 << bit)) !== 0);
}

/** One row as text: empty cells as spaces, second halves of wide characters omitted, right-trimmed. */
export function rowText(fb: Framebuffer, y: number): string {
  return rowTextOf(fb.lines[y]!);
}

export function screenText(fb: Framebuffer): string[] {
  return screenLines(fb);
}

/** Where `text` starts on the screen (its first match), as [x, y]; throws with the screen when it is not there. */
export function findText(fb: Framebuffer, text: string): [number, number] {
  const lines = screenLines(fb);
  for (let y = 0; y < lines.length; y++) {
    const x = lines[y]!.indexOf(text);
    if (x >= 0) return [x, y];
  }
  throw new Error(`"${text}" is not on the screen:\n${lines.join('\n')}`);
}

const UNDERLINE_STYLE_NAMES = ['', '', 'double', 'curly', 'dotted', 'dashed'] as const;

export function describeCell(cell: Cell): string {
  const link = cell.link === undefined ? '' : ` link=${JSON.stringify(cell.link)}`;
  const style = UNDERLINE_STYLE_NAMES[underlineStyleOf(cell.attrs)] ?? '';
  const underline = (style === '' ? '' : ` ${style}`) + (cell.underlineColor === undefined ? '' : ` underline=${colorName(cell.underlineColor)}`);
  return `${JSON.stringify(cell.text)} w${cell.width} fg=${colorName(cell.fg)} bg=${colorName(cell.bg)} [${attrNames(cell.attrs).join(',')}]${underline}${link}`;
}

/** Checks the Framebuffer's structural promises: exact size, wide cells followed by their second halves. */
export function framebufferProblems(fb: Framebuffer): string[] {
  const problems: string[] = [];
  if (fb.lines.length !== fb.rows) problems.push(`${fb.lines.length} lines for ${fb.rows} rows`);
  fb.lines.forEach((row, y) => {
    if (row.cells.length !== fb.cols) problems.push(`row ${y} has ${row.cells.length} cells for ${fb.cols} cols`);
    row.cells.forEach((cell, x) => {
      if (cell.width === 2 && row.cells[x + 1]?.width !== 0) problems.push(`wide cell at ${x},${y} lacks its second half`);
      if (cell.width === 0 && row.cells[x - 1]?.width !== 2) problems.push(`second half at ${x},${y} follows no wide cell`);
    });
  });
  if (fb.cursor.x < 0 || fb.cursor.x >= fb.cols || fb.cursor.y < 0 || fb.cursor.y >= fb.rows) {
    problems.push(`cursor ${fb.cursor.x},${fb.cursor.y} outside ${fb.cols}x${fb.rows}`);
  }
  return problems;
}

/**
 * Differences between what the user's terminal shows and what the mirror holds: every cell, the cursor and the
 * modes. Title, bell and clipboard are events rather than screen contents (the renderer rings once per batch of
 * bells and writes the clipboard once per generation), so they are compared by the caller where it matters.
 * Empty list = equal.
 */
export function screenDifferences(shown: Framebuffer, wanted: Framebuffer, limit = 12): string[] {
  const out: string[] = [];
  if (shown.cols !== wanted.cols || shown.rows !== wanted.rows) return [`size ${shown.cols}x${shown.rows} != ${wanted.cols}x${wanted.rows}`];
  for (let y = 0; y < wanted.rows && out.length < limit; y++) {
    const a = shown.lines[y]!;
    const b = wanted.lines[y]!;
    if (a === b) continue;
    if (a.wrapped !== b.wrapped) out.push(`row ${y}: shown wrapped=${a.wrapped} wanted wrapped=${b.wrapped}`);
    for (let x = 0; x < wanted.cols && out.length < limit; x++) {
      if (!cellsEqual(a.cells[x]!, b.cells[x]!)) out.push(`cell ${x},${y}: shown ${describeCell(a.cells[x]!)} wanted ${describeCell(b.cells[x]!)}`);
    }
  }
  if (!cursorsEqual(shown.cursor, wanted.cursor)) out.push(`cursor shown ${JSON.stringify(shown.cursor)} wanted ${JSON.stringify(wanted.cursor)}`);
  if (!modesEqual(shown.modes, wanted.modes)) out.push(`modes shown ${JSON.stringify(shown.modes)} wanted ${JSON.stringify(wanted.modes)}`);
  return out;
}
