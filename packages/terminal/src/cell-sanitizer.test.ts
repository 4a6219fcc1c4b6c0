import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ATTR_ALL, COLOR_DEFAULT, type Cell } from './framebuffer.js';
import { erasedCell, sanitizeCells, sanitizeRow } from './cell-sanitizer.js';
import { arbColor, arbLink } from './arbitrary-framebuffer.test-helpers.js';

/** Cells near the plain ASCII cell the fast path keeps, and every way of missing it (as a hostile server might send). */
const arbText = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', '\x07', '\x1b', '\x7f', '\x9b', 'ab', 'é', 'e\u0301', '中', '😀', '\ud800') },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 5, null) },
);
const arbOddNumber = fc.constantFrom(-1, 1.5, NaN, 0x1000010, 0x2000100, 0x4000000, 2 ** 40, -0);
const arbCell: fc.Arbitrary<Cell> = fc
  .record({
    text: arbText,
    width: fc.oneof({ weight: 8, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.constantFrom(0, 2, 3, 1.5) }),
    fg: fc.oneof({ weight: 6, arbitrary: fc.constant(COLOR_DEFAULT) }, { weight: 2, arbitrary: arbColor }, { weight: 1, arbitrary: arbOddNumber }),
    bg: fc.oneof({ weight: 6, arbitrary: fc.constant(COLOR_DEFAULT) }, { weight: 2, arbitrary: arbColor }, { weight: 1, arbitrary: arbOddNumber }),
    attrs: fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: ATTR_ALL }) }, { weight: 1, arbitrary: fc.constantFrom(ATTR_ALL + 1, -1, 0.5, NaN) }),
    link: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: arbLink }, { weight: 1, arbitrary: fc.constant({ uri: 'https://a/\x07', id: '' }) }),
    // Valid on an underlined cell only, and only as a 256-colour index or RGB.
    underlineColor: fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: arbColor }, { weight: 1, arbitrary: arbOddNumber }),
  })
  .map((raw) => {
    const { link, underlineColor, ...rest } = raw;
    const withColor = underlineColor === undefined ? rest : { ...rest, underlineColor };
    return Object.freeze(link === undefined ? withColor : { ...withColor, link }) as unknown as Cell;
  });
/** A row as received: the screen's width, or shorter or longer, with the odd missing cell. */
/** Blanks as the decoder makes them: erasedCell's, of any background the wire may carry, valid or not. */
const arbErased: fc.Arbitrary<Cell> = fc.oneof(arbColor, arbOddNumber).map((bg) => erasedCell(bg));
const arbRow = fc.integer({ min: 1, max: 12 }).chain((cols) =>
  fc.tuple(fc.constant(cols), fc.array(fc.oneof({ weight: 16, arbitrary: arbCell }, { weight: 4, arbitrary: arbErased }, { weight: 1, arbitrary: fc.constant(undefined as unknown as Cell) }), { minLength: Math.max(0, cols - 2), maxLength: cols + 2 })),
);

describe('sanitizeCells', () => {
  it('keeps plain cells by the fast path exactly as the general path does: equal cells, the same ones kept', () => {
    fc.assert(
      fc.property(arbRow, ([cols, source]) => {
        const fast = sanitizeCells(source, cols);
        const general = sanitizeCells(source, cols, false);
        expect(fast).toHaveLength(cols);
        expect(fast).toEqual(general);
        // A cell kept by one path is kept by the other (a fixed cell is a new object either way).
        for (let x = 0; x < cols; x++) expect(fast[x] === source[x]).toBe(general[x] === source[x]);
        // The source array itself when nothing changed, by either path.
        expect(fast === source).toBe(general === source);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns the row itself for an emulator-made row, and a fixed copy (the source untouched) otherwise', () => {
    const plain: Cell[] = [...'ab c'].map((text) => Object.freeze({ text, width: 1, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 }));
    expect(sanitizeCells(plain, 4)).toBe(plain);
    const hostile = [...plain.slice(0, 2), { ...plain[2]!, text: '\x1b' }, plain[3]!];
    const fixed = sanitizeCells(hostile, 4);
    expect(fixed).not.toBe(hostile);
    expect(fixed.map((cell) => cell.text)).toEqual(['a', 'b', '', 'c']);
    expect(fixed[0]).toBe(plain[0]);
    expect(hostile[2]!.text).toBe('\x1b');
    expect(sanitizeRow({ cells: plain, wrapped: false }, 6).map((cell) => cell.text)).toEqual(['a', 'b', ' ', 'c', '', '']);
  });

  it("drops a joiner that ends a cell's text, and keeps one inside it", () => {
    // The emulator keeps a ZWJ sequence as one cell per emoji, each with its joiner: printed as it is, the joiner
    // would join the next cell's emoji in the terminal (cursor move or not), and one glyph would cover their columns.
    const wide = (text: string): Cell => ({ text, width: 2, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 });
    const half: Cell = { text: '', width: 0, fg: COLOR_DEFAULT, bg: COLOR_DEFAULT, attrs: 0 };
    const family = sanitizeCells([wide('👨\u200d'), half, wide('👩\u200d\u200d'), half, wide('👧'), half], 6);
    expect(family.map((cell) => cell.text)).toEqual(['👨', '', '👩', '', '👧', '']);
    expect(sanitizeCells([wide('👁\u200d🗨'), half], 2)[0]!.text).toBe('👁'); // a second wide character never joins a cell
    expect(sanitizeCells([{ ...wide('e\u0301\u200d'), width: 1 }], 1)[0]!.text).toBe('e\u0301');
  });
});

