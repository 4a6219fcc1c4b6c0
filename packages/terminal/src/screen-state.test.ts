import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arbFramebuffer,
  arbFramebufferHistory,
  arbFramebufferOfSize,
  arbFramebufferPair,
  arbRow,
  assertWellFormedFramebuffer,
  replaceRow,
  scrollRegion,
  textRow,
  writeText,
} from './arbitrary-framebuffer.test-helpers.js';
import {
  blankFramebuffer,
  blankRow,
  framebuffersEqual,
  rowsEqual,
  underlineStyleOf,
  Attr,
  MAX_SCREEN_COLS,
  COLOR_DEFAULT,
  COLOR_PALETTE_16,
  COLOR_RGB,
  UnderlineStyle,
  type Framebuffer,
} from './framebuffer.js';
import { erasedCell, sanitizeRow } from './cell-sanitizer.js';
import { ScreenState } from './screen-state.js';
import { encodeScreenDiff, SCREEN_DIFF_VERSION, type SessionEnding } from './screen-diff.js';

const REALISTIC = { minCols: 80, maxCols: 80, minRows: 24, maxRows: 24 };
const arbEchoAck = fc.nat({ max: 1_000_000 });

/** Decoding must either succeed with a well-formed screen or throw RangeError; anything else fails the test. */
function applyOrRangeError(state: ScreenState, diff: Uint8Array): ScreenState | RangeError {
  try {
    const result = state.applyDiff(diff);
    assertWellFormedFramebuffer(result.framebuffer);
    return result;
  } catch (error) {
    if (error instanceof RangeError) return error;
    throw error;
  }
}

/** A screen full of distinct, non-blank text, the worst case for a scroll. */
function fullScreen(cols: number, rows: number): Framebuffer {
  let fb = blankFramebuffer(cols, rows);
  for (let y = 0; y < rows; y++) fb = replaceRow(fb, y, textRow(`line ${y} `.padEnd(cols, String.fromCharCode(65 + (y % 26))), cols));
  return fb;
}

describe('ScreenState diff round trip', () => {
  it('turns any screen into any other screen', () => {
    fc.assert(
      fc.property(arbFramebuffer(), arbEchoAck, arbFramebuffer(), arbEchoAck, (fbA, ackA, fbB, ackB) => {
        const a = new ScreenState(fbA, ackA);
        const b = new ScreenState(fbB, ackB);
        const result = b.applyDiff(a.diffFrom(b));
        assertWellFormedFramebuffer(result.framebuffer);
        expect(result.equals(a)).toBe(true);
        expect(framebuffersEqual(result.framebuffer, fbA)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('turns a screen into its plausible successor, reusing the rows that did not change', () => {
    fc.assert(
      fc.property(arbFramebufferPair(), arbEchoAck, ([earlier, later], ack) => {
        const base = new ScreenState(earlier, ack);
        const next = new ScreenState(later, ack + 1);
        const result = base.applyDiff(next.diffFrom(base));
        expect(result.equals(next)).toBe(true);
        if (later.cols === earlier.cols) {
          const baseRows = new Set(earlier.lines);
          later.lines.forEach((row, y) => {
            // A row the successor kept is served from the base's Row objects, never rebuilt.
            // (or the shared blank row, which is cheaper to name than a moved blank row).
            const decoded = result.framebuffer.lines[y]!;
            if (baseRows.has(row)) expect(baseRows.has(decoded) || decoded === blankRow(later.cols)).toBe(true);
          });
        }
      }),
      { numRuns: 500 },
    );
  });

  it('follows a history of realistic 80x24 frames, each diff applied to the previous result', () => {
    fc.assert(
      fc.property(arbFramebufferHistory(REALISTIC, 6), (frames) => {
        let client = new ScreenState(frames[0]!);
        let server = client;
        for (const frame of frames.slice(1)) {
          const next = server.withFramebuffer(frame);
          client = client.applyDiff(next.diffFrom(server));
          server = next;
          expect(client.equals(server)).toBe(true);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('diffs equal states to nothing, and applying nothing is the identity', () => {
    fc.assert(
      fc.property(arbFramebuffer(), arbEchoAck, (fb, ack) => {
        const a = new ScreenState(fb, ack);
        // A structurally equal copy made of fresh objects, so the encoder cannot rely on identity.
        const copy = new ScreenState(structuredClone(fb) as Framebuffer, ack);
        expect(a.diffFrom(copy)).toEqual(new Uint8Array(0));
        expect(a.diffFrom(a)).toEqual(new Uint8Array(0));
        expect(a.applyDiff(new Uint8Array(0))).toBe(a);
      }),
    );
  });

  it('carries the echo ack alone in a few bytes', () => {
    const a = ScreenState.initial(80, 24);
    const diff = a.withEchoAck(123456).diffFrom(a);
    expect(diff.length).toBeLessThanOrEqual(6);
    expect(a.applyDiff(diff).echoAck).toBe(123456);
  });

  it('carries the answered cursor of a late acknowledgement, keeps it while the ack stays, and drops it with the next ack', () => {
    fc.assert(
      fc.property(arbFramebuffer(), arbFramebuffer(), fc.nat({ max: 1000 }), fc.nat({ max: 1000 }), fc.nat({ max: 999 }), fc.nat({ max: 99 }), (fbA, fbB, ack, back, x, y) => {
        const a = new ScreenState(fbA, ack);
        const answered = { upTo: Math.max(0, ack + 1 - back), x, y };
        const b = new ScreenState(fbB, ack + 1, undefined, undefined, answered);
        const got = a.applyDiff(b.diffFrom(a));
        expect(got.answeredCursor).toEqual(answered);
        expect(got.equals(b)).toBe(true);
        // A later screen with the same acknowledgement keeps it; the next acknowledgement decided on its own screen drops it.
        expect(got.withFramebuffer(fbA).applyDiff(b.withFramebuffer(fbA).diffFrom(got.withFramebuffer(fbA))).answeredCursor).toEqual(answered);
        const next = b.withEchoAck(ack + 2);
        expect(next.answeredCursor).toBeUndefined();
        expect(got.applyDiff(next.diffFrom(b)).answeredCursor).toBeUndefined();
        expect(b.equals(b.withEchoAck(ack + 1))).toBe(false);
      }),
      { numRuns: 200 },
    );
    expect(() => new ScreenState(blankFramebuffer(4, 2), 3, undefined, undefined, { upTo: 4, x: 0, y: 0 })).toThrow(RangeError);
  });

  it('subtract is the identity and equals compares screen and echo ack', () => {
    const a = ScreenState.initial(10, 3);
    expect(a.subtract(a.withEchoAck(4))).toBe(a);
    expect(a.equals(ScreenState.initial(10, 3))).toBe(true);
    expect(a.equals(a.withEchoAck(1))).toBe(false);
    expect(a.equals(a.withFramebuffer(writeText(a.framebuffer, 0, 0, 'x')))).toBe(false);
  });
});

describe('ScreenState decoded cells', () => {
  it('shares one cell per plain ASCII character and one erased cell per background, which the renderer keeps as they are', () => {
    let fb = blankFramebuffer(12, 3);
    fb = writeText(fb, 0, 0, 'aba');
    fb = writeText(fb, 0, 1, 'ab', { fg: COLOR_PALETTE_16 | 1, bg: COLOR_DEFAULT, attrs: 0 });
    fb = replaceRow(fb, 2, { cells: [...textRow('a', 12).cells.slice(0, 11), { text: '', width: 1, fg: COLOR_DEFAULT, bg: COLOR_PALETTE_16 | 4, attrs: 0 }], wrapped: false });
    const decoded = ScreenState.initial(12, 3).applyDiff(new ScreenState(fb, 0).diffFrom(ScreenState.initial(12, 3))).framebuffer;
    expect(framebuffersEqual(decoded, fb)).toBe(true);
    const [top, coloured, last] = decoded.lines.map((row) => row.cells);
    expect(top![0]).toBe(top![2]); // both 'a'
    expect(top![0]).toBe(last![0]);
    expect(top![3]).toBe(erasedCell(COLOR_DEFAULT));
    expect(coloured![0]).not.toBe(top![0]); // another pen: a cell of its own
    expect(coloured![0]!.fg).toBe(COLOR_PALETTE_16 | 1);
    expect(last![11]).toBe(erasedCell(COLOR_PALETTE_16 | 4));
    // Kept by the sanitizer as they came: no copy of the row.
    expect(sanitizeRow(decoded.lines[0]!, 12)).toBe(top);
    expect(sanitizeRow(decoded.lines[2]!, 12)).toBe(last);
  });
});

describe('ScreenState diff size', () => {
  it('costs a few bytes for a one-cell change on a full 80x24 screen, and keeps every other row object', () => {
    fc.assert(
      fc.property(
        arbFramebufferOfSize(80, 24),
        fc.integer({ min: 0, max: 79 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0x21, max: 0x7e }),
        (fb, x, y, code) => {
          const base = new ScreenState(fb);
          const next = base.withFramebuffer({ ...writeText(fb, x, y, String.fromCharCode(code), { fg: COLOR_PALETTE_16 | 3, bg: 0, attrs: 1 }), cursor: fb.cursor });
          const diff = next.diffFrom(base);
          // version, flags, KEEP run, PATCH start/length, one segment with fg and attrs, one character, KEEP run.
          // A wide character cut in half costs a neighbour cell more, and when that wide character carries a
          // hyperlink, the link's entry in the diff's link table too (a 21-byte diff in a CI run, seed -100799499).
          const row = fb.lines[y]!.cells;
          const cutsLinkedWide = [x - 1, x, x + 1].some((at) => row[at] !== undefined && row[at]!.width !== 1 && row[at]!.link !== undefined);
          expect(diff.length).toBeLessThanOrEqual(cutsLinkedWide ? 26 : 20);
          const result = base.applyDiff(diff);
          expect(result.equals(next)).toBe(true);
          result.framebuffer.lines.forEach((row, row_y) => {
            if (row_y !== y) expect(row).toBe(fb.lines[row_y]);
          });
        },
      ),
    );
  });

  it('costs less than one row of text for a one-line scroll of a full 80x24 screen', () => {
    const fb = fullScreen(80, 24);
    const base = new ScreenState(fb);
    const scrolled = base.withFramebuffer(scrollRegion(fb, 0, 23, 1));
    const diff = scrolled.diffFrom(base);
    expect(diff.length).toBeLessThan(80);
    expect(diff.length).toBeLessThanOrEqual(10);
    expect(base.applyDiff(diff).equals(scrolled)).toBe(true);
  });

  it('costs the new line and a few bytes for a scroll of any region by any lines, as a log in tmux scrolls', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 0, max: 23 }),
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        arbRow(80),
        (a, b, by, up, entering) => {
          const top = Math.min(a, b);
          const bottom = Math.max(a, b);
          const fb = fullScreen(80, 24);
          const base = new ScreenState(fb);
          const next = base.withFramebuffer(scrollRegion(fb, top, bottom, up ? by : -by, [entering, entering, entering]));
          const diff = next.diffFrom(base);
          const enteringCost = encodeScreenDiff(blankFramebuffer(80, 1), 0, { ...blankFramebuffer(80, 1), lines: [entering] }, 0).length;
          // KEEP above, MOVE, the entering rows (three identical rows may cost up to three row encodings), KEEP below.
          expect(diff.length).toBeLessThanOrEqual(16 + Math.min(by, bottom - top + 1) * enteringCost);
          expect(base.applyDiff(diff).equals(next)).toBe(true);
        },
      ),
    );
  });

  it('tmux: a pane scrolling one line above a status line whose clock changed', () => {
    let fb = fullScreen(80, 24);
    fb = replaceRow(fb, 23, textRow('[cc] 0:claude*                                          "host" 12:00 24-Nov-26', 80, { fg: 0, bg: COLOR_PALETTE_16 | 2, attrs: 0 }));
    const base = new ScreenState(fb);
    let next = scrollRegion(fb, 0, 22, 1, [textRow('$ npm test', 80)]);
    next = { ...writeText(next, 63, 23, '12:01', { fg: 0, bg: COLOR_PALETTE_16 | 2, attrs: 0 }), cursor: fb.cursor };
    const nextState = base.withFramebuffer(next);
    const diff = nextState.diffFrom(base);
    // Header 3, MOVE 22 rows 3, the new line 16, a 1-cell patch of the status line 7.
    expect(diff.length).toBeLessThanOrEqual(30);
    expect(base.applyDiff(diff).equals(nextState)).toBe(true);
  });

  it('encodes a repeated rendition run once, and text as UTF-8', () => {
    const cols = 80;
    const fb = blankFramebuffer(cols, 1);
    const text = 'héllo wörld 中文 😀';
    const next = replaceRow(fb, 0, textRow(text, cols, { fg: COLOR_PALETTE_16 | 1, bg: 0, attrs: 0 }));
    const diff = encodeScreenDiff(fb, 0, next, 0);
    // The UTF-8 itself, plus about two bytes for each of the five runs of narrow and wide characters and the header.
    expect(diff.length).toBeLessThanOrEqual(new TextEncoder().encode(text).length + 16);
  });
});

describe('ScreenState decoding of hostile bytes', () => {
  it('throws RangeError, and only RangeError, on random bytes', () => {
    fc.assert(
      fc.property(arbFramebuffer(), fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), (fb, garbage, versioned) => {
        // Half the cases start with the right version byte, so the fuzz reaches past the version check.
        const bytes = versioned ? Uint8Array.of(SCREEN_DIFF_VERSION, ...garbage) : garbage;
        applyOrRangeError(new ScreenState(fb), bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('throws RangeError for every truncation of a valid diff', () => {
    fc.assert(
      fc.property(arbFramebufferPair(), ([earlier, later]) => {
        const base = new ScreenState(earlier);
        const diff = new ScreenState(later, 7).diffFrom(base);
        for (let length = 1; length < diff.length; length++) {
          expect(applyOrRangeError(base, diff.subarray(0, length))).toBeInstanceOf(RangeError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('never throws anything but RangeError on a valid diff with one byte changed, nor builds a malformed screen', () => {
    fc.assert(
      fc.property(arbFramebufferPair(), fc.nat(), fc.integer({ min: 1, max: 255 }), ([earlier, later], at, xor) => {
        const base = new ScreenState(earlier);
        const diff = new ScreenState(later).diffFrom(base);
        if (diff.length === 0) return;
        const mutated = diff.slice();
        mutated[at % diff.length]! ^= xor;
        applyOrRangeError(base, mutated);
      }),
      { numRuns: 2000 },
    );
  });

  it('names what was wrong', () => {
    const base = ScreenState.initial(4, 2);
    const V = SCREEN_DIFF_VERSION;
    const cases: [number[], RegExp][] = [
      [[9, 0], /version 9 is not a version this build reads \(3–6\)/],
      [[V, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], /longer than 8 bytes/],
      [[V, 0x80, 0x80, 0x02], /unknown field flags/],
      // Field 14, the answered cursor: an input position behind the echo ack (0 here) or a bad flag; not before version 6.
      [[V, 0x80, 0x80, 0x01, 1, 1, 0, 0], /answered cursor's input position lies 1 before echo ack 0/],
      [[V, 0x80, 0x80, 0x01, 2], /answered cursor presence 2 is neither 0 nor 1/],
      [[5, 0x80, 0x80, 0x01, 0], /field 14 \(answered cursor\) is not part of version 5/],
      [[V, 1, 0xe9, 0x07, 1], /cols is 1001, more than the maximum 1000/],
      [[V, 1, 4, 3], /size changed but no rows/],
      [[V, 0x80, 0x02, 1, 2, 5], /MOVE source row is 5, more than the maximum 1/],
      [[V, 0x80, 0x02, 0, 3], /row run length is 3, more than the maximum 2/],
      [[V, 0x80, 0x02, 3, 0x21, 2, 0xff, 0xfe, 0, 1], /cell text is not valid UTF-8/],
      [[V, 0x80, 0x02, 3, 0x41, 1, 0x41, 2, 2], /cell text holds 1 code points where the segment needs 2/],
      [[V, 0x80, 0x02, 2, 2, 0], /unexpected trailing bytes/],
      [[V, 2, 9, 0, 0], /cursor \(9, 0\) lies outside/],
      [[V, 0x80, 0x02, 3, 0x90, 0x01, 0x04], /foreground 4 \(mode 0, value 1\) is not a valid colour/],
      [[V, 0x80, 0x02, 3, 0x90, 0x01, 0x41], /foreground 65 \(mode 1, value 16\) is not a valid colour/],
      // Four EMPTY cells (0x84 0x01: attrs follow) whose attrs break the underline's rules.
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x80, 0x04], /attributes 0x200 hold an underline style without an underline/],
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x14], /attributes 0xa08 hold an underline style without an underline, or an unknown one/],
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x80, 0x20], /attributes 0x0 carry an underline colour without an underline/],
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x20, 0x05], /underline colour 0x1000001 is neither a 256-colour index nor RGB/],
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x20, 0x04], /underline colour 4 \(mode 0, value 1\) is not a valid colour/],
      [[V, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x20], /underline colour/],
      // Version 4 (a saved screen of the previous release) had attribute bits 0–8 and the link number above them.
      [[4, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x04], /attributes is 520, more than the maximum 511/],
    ];
    for (const [bytes, message] of cases) {
      expect(() => base.applyDiff(Uint8Array.from(bytes)), message.source).toThrow(message);
      expect(() => base.applyDiff(Uint8Array.from(bytes))).toThrow(RangeError);
    }
  });

  it('reads the underline style and colour of version 5, and version 4 attrs as they were', () => {
    const base = ScreenState.initial(4, 2);
    // Attrs 520 = underline + style bits 1 (double); then 4096 + 8 + colour flag: underline, RGB 0xff0000.
    const double = base.applyDiff(Uint8Array.from([SCREEN_DIFF_VERSION, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x04, 2, 1])).framebuffer.lines[0]!.cells[0]!;
    expect(underlineStyleOf(double.attrs)).toBe(UnderlineStyle.Double);
    const red = base.applyDiff(Uint8Array.from([SCREEN_DIFF_VERSION, 0x80, 0x02, 3, 0x84, 0x01, 0x88, 0x20, 0x83, 0x80, 0xf0, 0x1f, 2, 1])).framebuffer.lines[0]!.cells[3]!;
    expect(red).toEqual({ text: '', width: 1, fg: 0, bg: 0, attrs: Attr.Underline, underlineColor: COLOR_RGB | 0xff0000 });
    const plainUnderline = base.applyDiff(Uint8Array.from([4, 0x80, 0x02, 3, 0x84, 0x01, 0x08, 2, 1])).framebuffer.lines[0]!.cells[0]!;
    expect(plainUnderline.attrs).toBe(Attr.Underline);
    expect('underlineColor' in plainUnderline).toBe(false);
  });

  it('caps the screen size the peer may ask for', () => {
    const big = blankFramebuffer(MAX_SCREEN_COLS, 2);
    const base = ScreenState.initial(2, 2);
    expect(base.applyDiff(new ScreenState(big).diffFrom(base)).framebuffer.cols).toBe(MAX_SCREEN_COLS);
  });
});

describe('ScreenState refuses to encode what the peer would reject', () => {
  it('names the field of a bad snapshot', () => {
    const base = ScreenState.initial(4, 2);
    const fb = base.framebuffer;
    expect(() => base.withFramebuffer({ ...fb, modes: { ...fb.modes, kittyKeyboardFlags: 32 } }).diffFrom(base)).toThrow(/kitty keyboard flags 32 exceed 31/);
    expect(() => base.withFramebuffer({ ...fb, cursor: { ...fb.cursor, y: 2 } }).diffFrom(base)).toThrow(/cursor \(0, 2\) is off the screen/);
    expect(() => base.withFramebuffer({ ...fb, cols: 1001 }).diffFrom(base)).toThrow(RangeError);
  });
});

describe('ScreenState diff over a resize', () => {
  it('keeps row contents when only the row count changes and patches cheaply when columns change', () => {
    const fb = fullScreen(80, 24);
    const base = new ScreenState(fb);
    const taller = base.withFramebuffer({ ...fb, rows: 30, lines: [...fb.lines, ...blankFramebuffer(80, 6).lines] });
    const tallerDiff = taller.diffFrom(base);
    expect(tallerDiff.length).toBeLessThanOrEqual(10);
    const tallerResult = base.applyDiff(tallerDiff);
    expect(tallerResult.equals(taller)).toBe(true);
    tallerResult.framebuffer.lines.slice(0, 24).forEach((row, y) => expect(row).toBe(fb.lines[y]));
    expect(rowsEqual(tallerResult.framebuffer.lines[29]!, blankFramebuffer(80, 1).lines[0]!)).toBe(true);
  });
});

const arbEnding: fc.Arbitrary<SessionEnding | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({
    kind: fc.constant('command-exited' as const),
    exitCode: fc.nat({ max: 255 }),
    signal: fc.option(fc.constantFrom('SIGKILL', 'SIGTERM', 'SIGSEGV', 'SIGHUP'), { nil: undefined }),
  }),
  fc.record({ kind: fc.constant('taken-over' as const), by: fc.string() }),
  fc.record({ kind: fc.constant('ended' as const), reason: fc.string() }),
);

describe('ScreenState session ending', () => {
  it('round-trips any ending between any two screens', () => {
    fc.assert(
      fc.property(arbFramebuffer(), arbEchoAck, arbEnding, arbFramebuffer(), arbEchoAck, arbEnding, (fbA, ackA, endA, fbB, ackB, endB) => {
        const a = new ScreenState(fbA, ackA, endA);
        const b = new ScreenState(fbB, ackB, endB);
        const result = b.applyDiff(a.diffFrom(b));
        expect(result.equals(a)).toBe(true);
        expect(result.ending).toEqual(endA);
      }),
      { numRuns: 200 },
    );
  });

  it('costs a few bytes on an unchanged screen and differs from the same screen without it', () => {
    const running = ScreenState.initial(80, 24);
    const ended = running.withEnding({ kind: 'command-exited', exitCode: 137, signal: 'SIGKILL' });
    expect(ended.equals(running)).toBe(false);
    const diff = ended.diffFrom(running);
    expect(diff.length).toBeLessThan(16);
    expect(running.applyDiff(diff).ending).toEqual({ kind: 'command-exited', exitCode: 137, signal: 'SIGKILL' });
    // Later diffs that do not touch the ending keep it.
    const later = ended.withEchoAck(5);
    expect(ended.applyDiff(later.diffFrom(ended)).ending).toEqual(ended.ending);
  });

  it('refuses an unknown ending kind with a RangeError', () => {
    const base = ScreenState.initial(4, 2);
    const diff = base.withEnding({ kind: 'ended', reason: 'x' }).diffFrom(base);
    const hostile = diff.slice();
    hostile[3] = 9; // the kind byte follows the version byte and the two-byte field flags (bit 9)
    expect(applyOrRangeError(base, hostile)).toBeInstanceOf(RangeError);
    expect(String(applyOrRangeError(base, hostile))).toContain('session ending kind 9');
  });

  it('never throws anything but RangeError on hostile bytes after an ending flag', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (tail) => {
        const bytes = new Uint8Array([SCREEN_DIFF_VERSION, 0x80, 0x04, ...tail]); // field flags = bit 9 only
        applyOrRangeError(ScreenState.initial(4, 2), bytes);
      }),
    );
  });
});
