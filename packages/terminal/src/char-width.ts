import { WIDE_RANGES, ZERO_WIDTH_RANGES } from './char-width-table.js';

function inRanges(ranges: readonly number[], codePoint: number): boolean {
  let low = 0;
  let high = ranges.length / 2 - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    if (codePoint < ranges[middle * 2]!) high = middle - 1;
    else if (codePoint > ranges[middle * 2 + 1]!) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Cells a code point occupies, by the same Unicode 11 table the server's emulator uses: 0 for combining and other
 * zero-width characters, 2 for wide ones, 1 otherwise. Control characters (below U+0020, U+007F–U+009F) are not
 * printable and return 0.
 */
export function charWidth(codePoint: number): 0 | 1 | 2 {
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  if (codePoint < 0x300) return 1; // fast path: ASCII and Latin-1 are all single-width
  if (inRanges(ZERO_WIDTH_RANGES, codePoint)) return 0;
  return inRanges(WIDE_RANGES, codePoint) ? 2 : 1;
}
